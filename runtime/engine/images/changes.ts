import { posix } from 'node:path';
import { GlassError } from '../errors.js';
import type { ImageRunConfig } from './types.js';

/**
 * `import --change`: Dockerfile instructions that set how the image runs
 * rather than what it contains, so they only edit the image config.
 *
 *   CMD ["cat","/hello"]   exec form: the argv as given
 *   CMD cat /hello         shell form: ["/bin/sh","-c","cat /hello"]
 *   ENTRYPOINT ...         the same two forms
 *   ENV K=V [K2="v 2"]     (or the old form: ENV K some value)
 *   LABEL k=v ...
 *   EXPOSE 80 53/udp
 *   USER name[:group]
 *   WORKDIR /path          relative paths resolve against the previous WORKDIR
 *   VOLUME /data [/logs]   (or ["/data"]): every container gets an anonymous volume there
 */
const SUPPORTED = 'CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR';

export function applyChanges(base: ImageRunConfig, changes: string[]): ImageRunConfig {
  const config: ImageRunConfig = structuredClone(base);
  for (const change of changes) applyOne(config, change);
  return config;
}

function applyOne(config: ImageRunConfig, change: string): void {
  const m = /^\s*(\S+)\s*([\s\S]*?)\s*$/.exec(change);
  if (!m) throw bad(change, 'empty change');
  const instruction = m[1]!.toUpperCase();
  const rest = m[2]!;
  const needArgs = () => {
    if (!rest) throw bad(change, `${instruction} needs an argument`);
  };
  switch (instruction) {
    case 'CMD':
      needArgs();
      config.Cmd = commandForm(rest);
      return;
    case 'ENTRYPOINT':
      needArgs();
      config.Entrypoint = commandForm(rest);
      return;
    case 'ENV': {
      needArgs();
      const env = [...(config.Env ?? [])];
      for (const [k, v] of keyValues(change, rest)) {
        const i = env.findIndex((e) => e.startsWith(`${k}=`));
        if (i >= 0) env[i] = `${k}=${v}`;
        else env.push(`${k}=${v}`);
      }
      config.Env = env;
      return;
    }
    case 'LABEL':
      needArgs();
      config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(keyValues(change, rest)) };
      return;
    case 'EXPOSE': {
      needArgs();
      const ports = { ...(config.ExposedPorts ?? {}) };
      for (const p of rest.split(/\s+/)) {
        const pm = /^(\d{1,5}(?:-\d{1,5})?)(?:\/(tcp|udp|sctp))?$/i.exec(p);
        if (!pm) throw bad(change, `invalid port "${p}": use PORT or PORT/tcp|udp|sctp`);
        ports[`${pm[1]}/${(pm[2] ?? 'tcp').toLowerCase()}`] = {};
      }
      config.ExposedPorts = ports;
      return;
    }
    case 'USER':
      needArgs();
      config.User = rest;
      return;
    case 'VOLUME': {
      needArgs();
      let paths: string[] = rest.split(/\s+/);
      if (rest.startsWith('[')) {
        try {
          const list: unknown = JSON.parse(rest);
          if (Array.isArray(list) && list.every((a) => typeof a === 'string')) paths = list;
        } catch { /* not JSON: plain words, as Docker reads it */ }
      }
      const volumes = { ...(config.Volumes ?? {}) };
      for (const p of paths) {
        if (!p) throw bad(change, 'VOLUME specified can not be an empty string');
        volumes[p] = {};
      }
      config.Volumes = volumes;
      return;
    }
    case 'WORKDIR':
      needArgs();
      config.WorkingDir = posix.resolve(config.WorkingDir || '/', rest);
      return;
    default:
      throw bad(change, `${instruction} is not a valid change command; glass supports ${SUPPORTED}`);
  }
}

/** JSON array of strings = exec form; anything else runs through /bin/sh -c. */
function commandForm(rest: string): string[] {
  if (rest.startsWith('[')) {
    try {
      const argv: unknown = JSON.parse(rest);
      if (Array.isArray(argv) && argv.every((a) => typeof a === 'string')) return argv;
    } catch {
      // Not JSON: Docker then treats it as the shell form too.
    }
  }
  return ['/bin/sh', '-c', rest];
}

/** `K=V K2="v 2"` pairs, or the old single `K value with spaces` form. */
function keyValues(change: string, rest: string): [string, string][] {
  const words = shellWords(change, rest);
  if (!words[0]!.includes('=')) {
    const legacy = /^(\S+)\s+([\s\S]+)$/.exec(rest);
    if (!legacy) throw bad(change, `expected KEY=VALUE or KEY VALUE`);
    return [[legacy[1]!, legacy[2]!]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw bad(change, `"${w}" is not KEY=VALUE`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** Split on unquoted whitespace; quotes group, backslash escapes. */
function shellWords(change: string, s: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) word += s[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      word += s[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw bad(change, 'unterminated quote');
  if (inWord) words.push(word);
  return words;
}

function bad(change: string, detail: string): GlassError {
  return new GlassError('INVALID_ARGUMENT', `invalid --change "${change}": ${detail}`);
}
