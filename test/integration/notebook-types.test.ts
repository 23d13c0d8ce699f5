import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as TS from 'typescript';
import { REPO } from '../helpers.js';

/**
 * tslab type-checks every cell with its own TypeScript, 5.0.4, before it runs
 * it; glass itself is written for a newer one. Notebooks therefore import the
 * compiled library (dist/runtime/notebook, JS and .d.ts): here tslab's own
 * compiler checks each notebook's code, cells in order, with the options
 * tslab uses (ES modules, Node10 resolution, ES2022), plus strict — and the
 * declaration files too (tslab itself skips those).
 */
const TSLAB_TS = join(REPO, 'tools', 'tslab', 'node_modules', '@tslab', 'typescript-for-tslab');
const NOTEBOOKS = join(REPO, 'notebooks');

function loadTs(): typeof TS {
  return createRequire(import.meta.url)(TSLAB_TS) as typeof TS;
}

/**
 * Type-check `sources` (name → code) as if each were a cell file in
 * notebooks/, all in one program (one load of the compiler and the Node
 * types); the diagnostics of each, as "line: message".
 */
function check(ts: typeof TS, sources: Record<string, string>): Record<string, string[]> {
  const files = new Map(Object.entries(sources).map(([name, code]) => [join(NOTEBOOKS, `__${name}__.ts`), code]));
  const options: TS.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    esModuleInterop: true,
    resolveJsonModule: true,
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    typeRoots: [join(REPO, 'node_modules', '@types')],
    types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (files.has(name) ? ts.createSourceFile(name, files.get(name)!, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  const program = ts.createProgram([...files.keys()], options, host);
  const out: Record<string, string[]> = Object.fromEntries(Object.keys(sources).map((n) => [n, []]));
  const global: string[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const name = d.file ? /__(.+)__\.ts$/.exec(d.file.fileName)?.[1] : undefined;
    if (name && d.start !== undefined) out[name]!.push(`${d.file!.getLineAndCharacterOfPosition(d.start).line + 1}: ${text}`);
    else global.push(`${d.file?.fileName ?? ''}: ${text}`); // in a declaration file: the library's own
  }
  return { ...out, declarations: global };
}

/** A notebook's code cells, in order, as one module (tslab runs them as one growing module too). */
function notebookCode(file: string): string {
  const nb = JSON.parse(readFileSync(file, 'utf8')) as { cells: { cell_type: string; source: string | string[] }[] };
  return nb.cells
    .filter((c) => c.cell_type === 'code')
    .map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source))
    .join('\n;\n');
}

const CELL =
  'import * as glass from "../dist/runtime/notebook/index.js";\n' +
  'const nb: glass.Session = await glass.notebook("types");\n' +
  'const r: glass.RunOutput = await glass.run({ command: ["hostname"] });\n' +
  'const t: glass.Table = await glass.compare(["a", "b"]);\n' +
  'const p: glass.Picture = await glass.processTree(["a"]);\n' +
  'await glass.show(r); await glass.show(t); await glass.show(p); await glass.show(r.steps);\n' +
  'const sh: glass.ShResult = await glass.sh`run --rm busybox ${nb.name}`;\n' +
  'const created = await nb.engine.containers.create({ image: "busybox", labels: nb.labels });\n' +
  'export { created, sh };\n';
const WRONG = 'import * as glass from "../dist/runtime/notebook/index.js";\nawait glass.run({ command: "not an array" });\nexport {};\n';

describe.skipIf(!existsSync(TSLAB_TS))("the notebook library under tslab's TypeScript", () => {
  const notebooks = readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb'));
  let result: Record<string, string[]> = {};

  beforeAll(() => {
    const sources: Record<string, string> = { cell: CELL, wrong: WRONG };
    for (const f of notebooks) sources[f] = notebookCode(join(NOTEBOOKS, f)) + '\nexport {};\n';
    result = check(loadTs(), sources);
  }, 120_000);

  it('is TypeScript 5.0.4, the compiler tslab bundles', () => {
    expect(loadTs().version).toBe('5.0.4');
  });

  it("a cell's import of the library type-checks, and the library's declarations with it", () => {
    expect(result.cell).toEqual([]);
    expect(result.declarations).toEqual([]);
  });

  it('a wrong call is caught by the same check (the check can fail)', () => {
    expect(result.wrong!.join('\n')).toMatch(/^2: .*not assignable/);
  });

  it('every notebook: every cell, in order, type-checks', () => {
    expect(notebooks).toHaveLength(6);
    for (const f of notebooks) expect(result[f], f).toEqual([]);
  });
});
