import { open } from 'node:fs/promises';
import { GlassError } from '../errors.js';
import { syscallMessage } from '../host-errors.js';

/**
 * Docker reads env files with Go's bufio.Scanner, whose longest line is
 * 64 KiB: a longer one ends the read with "bufio.Scanner: token too long".
 * glass keeps that limit, and reads the file as a stream so that a file with
 * no line ends at all (/dev/zero) fails at once instead of filling memory.
 */
export const ENV_FILE_MAX_LINE = 64 * 1024;
/**
 * And a limit on the whole file: the kernel refuses to start a program whose
 * arguments and environment pass ARG_MAX (2 MiB with the usual 8 MiB stack),
 * so a larger env file could never reach the container anyway.
 */
export const ENV_FILE_MAX_BYTES = 2 * 1024 * 1024;

/** A line-per-entry file glass reads for run/create: --env-file, or --label-file (labels.ts). */
export type KeyValueFileKind = 'env' | 'label';

export const lineTooLong = (path: string, line: number, kind: KeyValueFileKind = 'env') =>
  new GlassError(
    'INVALID_ARGUMENT',
    `${kind} file ${path}: line ${line} is longer than 64 KiB, the longest line Docker reads (bufio.Scanner: token too long): ${kind === 'env' ? 'an env file holds one KEY=value' : 'a label file holds one KEY=VALUE'} per line`,
  );

const tooLarge: Record<KeyValueFileKind, (path: string) => string> = {
  env: (path) => `env file ${path} is larger than 2 MiB: the kernel would refuse to start a program with that much environment (ARG_MAX); pass fewer variables`,
  label: (path) => `label file ${path} is larger than 2 MiB: labels are kept in the container's config.json; pass fewer labels`,
};

/**
 * Read an env file (the client's side of --env-file) as a stream, stopping
 * at the first line longer than ENV_FILE_MAX_LINE or once the file passes
 * ENV_FILE_MAX_BYTES. Returns its text for CreateOptions.envFiles.
 */
export async function readEnvFile(path: string): Promise<string> {
  return readKeyValueFile(path, 'env');
}

/** Read an env or label file with Docker's line limit and glass's size limit (see readEnvFile). */
export async function readKeyValueFile(path: string, kind: KeyValueFileKind): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new GlassError('INVALID_ARGUMENT', syscallMessage(e as NodeJS.ErrnoException, path));
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    let lineLength = 0; // bytes since the last line end
    let line = 1;
    for (;;) {
      const buf = Buffer.allocUnsafe(ENV_FILE_MAX_LINE);
      let n: number;
      try {
        ({ bytesRead: n } = await fh.read(buf, 0, buf.length, null));
      } catch (e) {
        throw new GlassError('INVALID_ARGUMENT', syscallMessage(e as NodeJS.ErrnoException, path));
      }
      if (n === 0) break;
      for (let i = 0; i < n; i++) {
        if (buf[i] === 0x0a) {
          lineLength = 0;
          line++;
        } else if (++lineLength >= ENV_FILE_MAX_LINE) {
          throw lineTooLong(path, line, kind);
        }
      }
      total += n;
      if (total > ENV_FILE_MAX_BYTES) throw new GlassError('INVALID_ARGUMENT', tooLarge[kind](path));
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await fh.close();
  }
}

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
    if (Buffer.byteLength(raw) >= ENV_FILE_MAX_LINE) throw lineTooLong(path, i + 1);
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
