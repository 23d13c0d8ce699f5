import { GlassError } from '../engine/index.js';

/**
 * A small subset of Go's text/template, the language of Docker's --format:
 *
 *   {{.State.Pid}}            a field (path of keys)
 *   {{json .Config.Env}}      the value as compact JSON
 *   {{join .Args " "}}        a list joined by a separator
 *   {{index .Config.Labels "k"}}  one entry of a map (or, with a number, of a list)
 *   {{.Label "k"}}            a method with arguments (ps's .Label)
 *
 * Text around the actions is copied, with \t and \n turned into a tab and a
 * newline as Docker does. Anything else ({{range}}, {{if}}, pipelines) is
 * refused with a clear message rather than printed wrong.
 */
type Part =
  | { text: string }
  | { fn: 'field' | 'json'; path: string[] }
  | { fn: 'join'; path: string[]; sep: string }
  | { fn: 'index'; path: string[]; keys: (string | number)[] }
  | { fn: 'call'; path: string[]; args: string[] };

const UNSUPPORTED = 'glass --format understands {{.Field}}, {{json .Field}}, {{join .Field "sep"}}, {{index .Field "key"}} and {{.Method "arg"}}';

/** A string constant ("k", with Go's escapes, or `k` raw), or undefined if the word is none. */
function stringArg(word: string): string | undefined {
  if (word.startsWith('"')) return JSON.parse(word) as string;
  if (/^`[^`]*`$/.test(word)) return word.slice(1, -1);
  return undefined;
}

function parsePath(s: string, action: string): string[] {
  if (s === '.') return [];
  if (!/^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(s)) throw new GlassError('INVALID_ARGUMENT', `template: cannot read "${action}": ${UNSUPPORTED}`);
  return s.slice(1).split('.');
}

export function parseTemplate(format: string): Part[] {
  const src = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const parts: Part[] = [];
  let rest = src;
  for (;;) {
    const open = rest.indexOf('{{');
    if (open < 0) break;
    const close = rest.indexOf('}}', open);
    if (close < 0) throw new GlassError('INVALID_ARGUMENT', `template: unclosed action in "${format}"`);
    if (open > 0) parts.push({ text: rest.slice(0, open) });
    const action = rest.slice(open + 2, close).trim();
    const words = action.match(/"(?:[^"\\]|\\.)*"|`[^`]*`|\S+/g) ?? [];
    const unsupported = () => new GlassError('INVALID_ARGUMENT', `template: "{{${action}}}" is not supported: ${UNSUPPORTED}`);
    const args = (from: number) => words.slice(from).map((w) => stringArg(w));
    if (words.length === 1) parts.push({ fn: 'field', path: parsePath(words[0]!, action) });
    else if (words[0] === 'json' && words.length === 2) parts.push({ fn: 'json', path: parsePath(words[1]!, action) });
    else if (words[0] === 'join' && words.length === 3 && words[2]!.startsWith('"')) {
      parts.push({ fn: 'join', path: parsePath(words[1]!, action), sep: JSON.parse(words[2]!) as string });
    } else if (words[0] === 'index' && words.length >= 3) {
      // Go's index: a map by a string key, a list by a number; several keys go one level deeper each.
      const keys = words.slice(2).map((w) => stringArg(w) ?? (/^\d+$/.test(w) ? Number(w) : undefined));
      if (keys.some((k) => k === undefined)) throw unsupported();
      parts.push({ fn: 'index', path: parsePath(words[1]!, action), keys: keys as (string | number)[] });
    } else if (words[0]!.startsWith('.') && args(1).every((a) => a !== undefined)) {
      parts.push({ fn: 'call', path: parsePath(words[0]!, action), args: args(1) as string[] });
    } else throw unsupported();
    rest = rest.slice(close + 2);
  }
  if (rest) parts.push({ text: rest });
  return parts;
}

/**
 * `ps` and `images` format a fixed set of fields (Go structs in Docker, where
 * an unknown field is an error, unlike inspect's maps, which print <no value>).
 */
export function checkFields(parts: Part[], fields: string[], command: string): void {
  for (const p of parts) {
    if ('text' in p || p.path.length === 0) continue;
    if (!fields.includes(p.path[0]!) || p.path.length > 1) {
      throw new GlassError('INVALID_ARGUMENT', `template: can't evaluate field ${p.path.join('.')}: ${command} --format knows ${fields.map((f) => `.${f}`).join(' ')}`);
    }
  }
}

function lookup(value: unknown, path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object' || !(key in (v as object))) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** How Go's fmt prints a value with %v: "[a b]", "map[k:v]", "<no value>". */
function goString(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `map[${entries.map(([k, x]) => `${k}:${goString(x)}`).join(' ')}]`;
  }
  return String(v);
}

/** Go's index builtin: a missing map key gives the map's zero value (inspect's maps hold interface{}: <no value>). */
function index(v: unknown, keys: (string | number)[], path: string[]): unknown {
  let item = v;
  for (const key of keys) {
    const fail = (why: string) => new GlassError('INVALID_ARGUMENT', `template: error calling index: ${why} (in index .${path.join('.')})`);
    if (item === undefined || item === null) throw fail('index of untyped nil');
    if (Array.isArray(item)) {
      if (typeof key !== 'number') throw fail(`cannot index slice/array with type string`);
      if (key >= item.length) throw fail(`index out of range: ${key}`);
      item = item[key];
    } else if (typeof item === 'object') {
      if (typeof key !== 'string') throw fail('value has type int; should be string');
      item = Object.hasOwn(item, key) ? (item as Record<string, unknown>)[key] : undefined;
    } else {
      throw fail(`can't index item of type ${typeof item}`);
    }
  }
  return item;
}

export function render(parts: Part[], value: unknown): string {
  return parts
    .map((p) => {
      if ('text' in p) return p.text;
      const v = lookup(value, p.path);
      const name = p.path[p.path.length - 1] ?? '.';
      if (p.fn === 'call') {
        if (typeof v !== 'function') throw new GlassError('INVALID_ARGUMENT', `template: can't give argument to non-function .${p.path.join('.')}`);
        if (v.length !== p.args.length) throw new GlassError('INVALID_ARGUMENT', `template: wrong number of args for ${name}: want ${v.length} got ${p.args.length}`);
        return goString(v(...p.args));
      }
      if (typeof v === 'function') throw new GlassError('INVALID_ARGUMENT', `template: wrong number of args for ${name}: want ${v.length} got 0`);
      if (p.fn === 'index') return goString(index(v, p.keys, p.path));
      if (p.fn === 'json') return JSON.stringify(v ?? null);
      if (p.fn === 'join') return Array.isArray(v) ? v.map(String).join(p.sep) : goString(v);
      return goString(v);
    })
    .join('');
}
