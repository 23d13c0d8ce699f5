import { GlassError } from '../errors.js';

/** Replace KEY=... in place if present, else append (Docker's ReplaceOrAppendEnvValues). */
export function mergeEnv(base: string[], overrides: string[]): string[] {
  const out = [...base];
  for (const kv of overrides) {
    const key = kv.split('=')[0]!;
    const i = out.findIndex((e) => e.split('=')[0] === key);
    if (i >= 0) out[i] = kv;
    else out.push(kv);
  }
  return out;
}

/**
 * `-e KEY` without a value takes KEY from glass's own environment, or is left
 * out when unset, as in Docker.
 */
export function resolveEnvArg(arg: string, hostEnv: NodeJS.ProcessEnv = process.env): string | undefined {
  if (arg.includes('=')) {
    if (arg.startsWith('=')) throw new GlassError('INVALID_ARGUMENT', `invalid environment variable: ${arg} (use KEY=value)`);
    return arg;
  }
  const value = hostEnv[arg];
  return value === undefined ? undefined : `${arg}=${value}`;
}

/**
 * Parse a Docker env-file: KEY=value per line, # comments and blank lines
 * skipped, a bare KEY takes the host's value. Values are taken literally (no
 * quotes are stripped), as Docker does.
 */
export function parseEnvFile(path: string, text: string, hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const key = line.split('=')[0]!;
    if (key === '' || /\s/.test(key)) {
      throw new GlassError('INVALID_ARGUMENT', `${path}:${i + 1}: invalid env-file line ${JSON.stringify(raw)}: each line must be KEY=value (no spaces in KEY)`);
    }
    const resolved = resolveEnvArg(line, hostEnv);
    if (resolved !== undefined) out.push(resolved);
  });
  return out;
}
