import chalk from 'chalk';
import { appendFileSync } from 'node:fs';
import type { Step } from '../engine/index.js';

/**
 * `--explain`: print each kernel step as it happens, on stderr so the
 * container's own output on stdout stays clean and pipeable. A step is
 * printed once it is done (or failed); "started" marks are for clients that
 * show progress.
 */
export function printStep(step: Step, out: NodeJS.WritableStream = process.stderr): void {
  if (step.phase === 'started') return;
  const who = step.by === 'shim' ? chalk.magenta('[shim]') : chalk.cyan('[glass]');
  const failed = step.phase === 'failed';
  const mark = failed ? chalk.red.bold('✗') : chalk.bold('▸');
  const lines = [`${mark} ${who} ${chalk.bold(step.title)}${failed ? chalk.red(' (failed)') : ''}`];
  if (step.why) lines.push(`    ${chalk.dim('why:')} ${step.why}`);
  if (step.command) lines.push(`    ${chalk.green('$')} ${step.command}`);
  if (failed && step.error) lines.push(`    ${chalk.red('error:')} ${step.error}`);
  out.write(lines.join('\n') + '\n');
}

/** Append a finished step to a trace file, one JSON object a line (for glass learn). A write that fails is dropped: the trace must never fail the command. */
export function appendTrace(file: string, step: Step): void {
  if (step.phase === 'started') return;
  try {
    appendFileSync(file, JSON.stringify(step) + '\n');
  } catch {
    // No trace rather than no command.
  }
}
