import type { Handler } from '../context.js';
import { findCommand } from '../../catalog/commands.js';
import { formatHelp } from '../help.js';
import { isGroup } from '../parse.js';

export const version: Handler = async (ctx) => {
  const info = await ctx.engine.system.info();
  const lines = [
    'Client:',
    ` Version:           ${info.version}`,
    ` Node version:      ${process.version}`,
    ` OS/Arch:           linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
    '',
    'Runtime:',
    ` Kernel:            ${info.kernel}`,
    ` Cgroup layout:     ${info.cgroupLayout}`,
    ` Storage driver:    ${info.storageDriver}`,
    ` State root:        ${info.root}`,
  ];
  ctx.out(lines.join('\n') + '\n');
  return 0;
};

export const help: Handler = async (ctx) => {
  // `glass help container prune`: a subcommand is two words.
  const name = ctx.args.join(' ');
  const cmd = name ? findCommand(name) : undefined;
  const group = !cmd && name && isGroup(name) ? name : undefined;
  if (name && !cmd && !group) {
    ctx.err(`glass: '${name}' is not a glass command.\nSee 'glass help'.\n`);
    return 1;
  }
  ctx.out(formatHelp(cmd, group));
  return 0;
};
