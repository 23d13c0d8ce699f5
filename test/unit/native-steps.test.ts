import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NATIVE_STEPS } from '../../runtime/shim/steps.js';
import { REPO } from '../helpers.js';

/**
 * The shim reports steps by key (native/*.c: step("key", ...) when done,
 * begin("key") when it starts one that may fail, exit_step("key", ...) for
 * the exit-time steps in exit-steps.jsonl); their titles and whys live in
 * runtime/shim/steps.ts. A key on one side only would show up in a trace as
 * a bare key, or never: both lists must match.
 */
describe('native step keys', () => {
  const dir = join(REPO, 'native');
  const sources = readdirSync(dir).filter((f) => f.endsWith('.c'));
  const used = new Map<string, string>(); // key -> first file using it
  for (const file of sources) {
    // Comments may mention step("key") as an example: only code counts.
    const text = readFileSync(join(dir, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    for (const m of text.matchAll(/\b(?:step|begin|exit_step)\(\s*"([^"]+)"/g)) if (!used.has(m[1]!)) used.set(m[1]!, file);
  }

  it('finds the shim\'s steps in the C sources', () => {
    expect(sources).toContain('init.c');
    for (const key of ['clone', 'exec', 'mount-overlay', 'exit-record', 'cgroup-remove', 'exit-hook']) expect([...used.keys()]).toContain(key);
  });

  it('every key the shim uses has a title and a why in steps.ts', () => {
    const missing = [...used].filter(([k]) => !(k in NATIVE_STEPS)).map(([k, f]) => `${k} (${f})`);
    expect(missing).toEqual([]);
    for (const k of used.keys()) {
      expect(NATIVE_STEPS[k]!.title, k).not.toBe('');
      expect(NATIVE_STEPS[k]!.why, k).not.toBe('');
    }
  });

  it('every key in steps.ts is one the shim uses', () => {
    expect(Object.keys(NATIVE_STEPS).filter((k) => !used.has(k))).toEqual([]);
  });
});
