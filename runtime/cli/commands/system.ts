import { release } from 'node:os';
import { detectLayout } from '../../kernel/cgroup/index.js';
import { glassVersion } from '../../kernel/install.js';
import type { Handler } from '../context.js';
import { findCommand } from '../../catalog/commands.js';
import { formatHelp } from '../help.js';

export const version: Handler = async (ctx) => {
  let cgroup = 'unknown';
  try {
    cgroup = detectLayout().kind;
  } catch { /* no /sys/fs/cgroup */ }
  const lines = [
    'Client:',
    ` Version:           ${glassVersion()}`,
    ` Node version:      ${process.version}`,
    ` OS/Arch:           linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
    '',
    'Runtime:',
    ` Kernel:            ${release()}`,
    ` Cgroup layout:     ${cgroup}`,
    ` Storage driver:    overlay`,
    ` State root:        ${ctx.rt.paths.root}`,
  ];
  ctx.out(lines.join('\n') + '\n');
  return 0;
};

export const help: Handler = async (ctx) => {
  const name = ctx.args[0];
  const cmd = name ? findCommand(name) : undefined;
  if (name && !cmd) {
    ctx.err(`glass: '${name}' is not a glass command.\nSee 'glass help'.\n`);
    return 1;
  }
  ctx.out(formatHelp(cmd));
  return 0;
};
