import chalk from 'chalk';
import type { Step } from '../kernel/step.js';

/**
 * `--explain`: print each kernel step as it happens, on stderr so the
 * container's own output on stdout stays clean and pipeable.
 */
export function printStep(step: Step, out: NodeJS.WritableStream = process.stderr): void {
  const who = step.by === 'shim' ? chalk.magenta('[shim]') : chalk.cyan('[glass]');
  const lines = [`${chalk.bold('▸')} ${who} ${chalk.bold(step.title)}`];
  if (step.why) lines.push(`    ${chalk.dim('why:')} ${step.why}`);
  if (step.command) lines.push(`    ${chalk.green('$')} ${step.command}`);
  out.write(lines.join('\n') + '\n');
}
