/**
 * When glass colours its output. chalk's own guess (supports-color) turns
 * colour off when TERM is unset or a CI variable is set, even on a real
 * terminal; a learner's `script` session or an instructor's CI-launched VM
 * would then see plain text where the lesson promises escape codes. glass's
 * rule is the one git and ls follow instead:
 *
 *   --no-color, or NO_COLOR set (not empty)  → no colour
 *   FORCE_COLOR set                          → chalk's reading of it
 *   TERM=dumb                                → no colour
 *   standard output is a terminal            → colour (at least 16 colours)
 *   otherwise (a pipe, a file)               → no colour
 */
export function colorLevel(opts: {
  flag: boolean;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  detected: 0 | 1 | 2 | 3;
}): 0 | 1 | 2 | 3 {
  const { flag, env, isTTY, detected } = opts;
  if (!flag) return 0;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (env.FORCE_COLOR !== undefined) return detected;
  if (env.TERM === 'dumb') return 0;
  if (!isTTY) return 0;
  return detected > 0 ? detected : 1;
}
