/**
 * The layer rule (DESIGN.md, "Layers"): each layer talks only to the ones
 * below it; no import runs back up. `npm test` checks it before the tests:
 *
 *   vscode-extension/src          a client too (language server, VS Code client)
 *   cli  learn  notebook  api   clients
 *        engine              the one API for every client   (catalog: data, beside it)
 *        shim                TS half of the shim protocol
 *        kernel              the only TypeScript that touches the host
 *
 * Type-only imports count too (tsPreCompilationDeps): a layer that needs a
 * type from above is as tangled as one that calls up.
 */
const layer = (name) => `^runtime/${name}/`;
const any = (...names) => `^runtime/(${names.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'kernel-imports-nothing-above',
      comment: 'runtime/kernel is the bottom layer: it imports nothing from engine, cli, shim, catalog, learn, notebook or api.',
      severity: 'error',
      from: { path: layer('kernel') },
      to: { path: any('engine', 'cli', 'shim', 'catalog', 'learn', 'notebook', 'api') },
    },
    {
      name: 'shim-imports-only-kernel',
      comment: 'runtime/shim (the TS half of the shim protocol) sits on the kernel alone.',
      severity: 'error',
      from: { path: layer('shim') },
      to: { path: any('engine', 'cli', 'catalog', 'learn', 'notebook', 'api') },
    },
    {
      name: 'engine-imports-no-client',
      comment: 'runtime/engine is the library behind every client: it imports nothing from cli, learn, notebook or api.',
      severity: 'error',
      from: { path: layer('engine') },
      to: { path: any('cli', 'learn', 'notebook', 'api') },
    },
    {
      name: 'catalog-is-data-only',
      comment: 'runtime/catalog describes commands and flags as data: it imports no other layer.',
      severity: 'error',
      from: { path: layer('catalog') },
      to: { path: any('engine', 'cli', 'kernel', 'shim', 'learn', 'notebook', 'api') },
    },
    {
      name: 'cli-not-to-kernel',
      comment: "runtime/cli talks to the Engine, not to the kernel; the one exception is the Step type (kernel/step.ts), until the engine re-exports it.",
      severity: 'error',
      from: { path: layer('cli') },
      to: { path: layer('kernel'), pathNot: '^runtime/kernel/step\\.ts$' },
    },
    {
      name: 'cli-only-types-from-kernel-step',
      comment: 'From kernel/step.ts the cli may import types only (import type {...}), not functions.',
      severity: 'error',
      from: { path: layer('cli') },
      to: { path: '^runtime/kernel/step\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'cli-not-to-shim',
      comment: 'runtime/cli reaches the shim (attach, launch) through the Engine.',
      severity: 'error',
      from: { path: layer('cli') },
      to: { path: layer('shim') },
    },
    {
      name: 'cli-uses-engine-public-surface',
      comment: "runtime/cli uses the Engine only through its public surface (engine/index.ts), never its stores or internals.",
      severity: 'error',
      from: { path: layer('cli') },
      to: { path: layer('engine'), pathNot: '^runtime/engine/index\\.ts$' },
    },
    {
      name: 'learn-and-api-below-engine-only',
      comment: 'runtime/learn and runtime/api are clients like the cli: they use the Engine, not the shim or the kernel, and not each other or the cli.',
      severity: 'error',
      from: { path: any('learn', 'api') },
      to: { path: any('kernel', 'shim', 'cli') },
    },
    {
      name: 'notebook-below-engine-only',
      comment: 'runtime/notebook (the library notebooks import) is a client like learn: it uses the Engine, learn and the catalog, not the shim, the kernel, the cli or the api.',
      severity: 'error',
      from: { path: layer('notebook') },
      to: { path: any('kernel', 'shim', 'cli', 'api') },
    },
    {
      name: 'no-client-imports-notebook',
      comment: 'No other layer imports runtime/notebook: it is a client, at the top.',
      severity: 'error',
      from: { path: any('kernel', 'shim', 'engine', 'catalog', 'cli', 'learn', 'api') },
      to: { path: layer('notebook') },
    },
    {
      name: 'vscode-extension-is-a-client',
      comment:
        'vscode-extension/ (the language server and the VS Code client) is a client at the top, like learn and the notebooks: it reads the catalog, ' +
        'the lessons (learn) and live names through the Engine\'s public surface; never the kernel, the shim, the notebooks or the api.',
      severity: 'error',
      from: { path: '^vscode-extension/src/' },
      to: { path: any('kernel', 'shim', 'notebook', 'api') },
    },
    {
      name: 'vscode-extension-uses-engine-public-surface',
      severity: 'error',
      from: { path: '^vscode-extension/src/' },
      to: { path: layer('engine'), pathNot: '^runtime/engine/index\\.ts$' },
    },
    {
      name: 'vscode-extension-uses-cli-checks-only',
      comment:
        "From the cli, only the language server's diagnostics use cli/check.ts (the CLI parser and the checks the CLI makes before it runs, " +
        'so the editor shows the very message the terminal would). The client runs glass as a program, never its code.',
      severity: 'error',
      from: { path: '^vscode-extension/src/' },
      to: { path: layer('cli'), pathNot: '^runtime/cli/check\\.ts$' },
    },
    {
      name: 'vscode-client-not-to-cli',
      severity: 'error',
      from: { path: '^vscode-extension/src/client/' },
      to: { path: layer('cli') },
    },
    {
      name: 'nothing-imports-the-extension',
      comment: 'No runtime layer imports vscode-extension/: it is a client, at the top.',
      severity: 'error',
      from: { path: '^runtime/' },
      to: { path: '^vscode-extension/' },
    },
    {
      name: 'api-not-to-learn',
      severity: 'error',
      from: { path: layer('api') },
      to: { path: layer('learn') },
    },
    {
      name: 'learn-not-to-api',
      severity: 'error',
      from: { path: layer('learn') },
      to: { path: layer('api') },
    },
  ],
  options: {
    includeOnly: '^(runtime|vscode-extension/src)/',
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
