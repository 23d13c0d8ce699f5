// Build the extension: the language server and the client, each one CommonJS
// bundle (esbuild, the project's own), into dist/. The server bundles glass's
// command catalog, CLI parser and lesson parser from ../runtime: one copy of
// each, the same code the CLI runs.
//   node build.mjs            the bundles
//   node build.mjs --package  type-check, the bundles, then dist/glass-vscode.vsix (vsce)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, 'node_modules', 'vscode-languageserver'))) {
  console.error('vscode-extension: its packages are not installed: run npm ci --prefix vscode-extension (setup.sh does)');
  process.exit(1);
}
const packaging = process.argv.includes('--package');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: here, stdio: ['ignore', 'ignore', 'inherit'] });
if (packaging) run(join(here, '..', 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']);
// The runtime's markdown-it (the lesson parser's), not the older one vsce brings along.
const rootRequire = createRequire(new URL('../package.json', import.meta.url));
const markdownIt = rootRequire.resolve('markdown-it');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  absWorkingDir: here,
  logLevel: 'warning',
  alias: { 'markdown-it': markdownIt },
  // runtime/ reads import.meta.url (to find the glass checkout); in a CommonJS bundle it is this file's URL.
  banner: { js: "const __glass_url = require('url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__glass_url' },
  // execa (tar, in the engine's image import) is never called by the extension.
  external: ['vscode', 'execa'],
};

await build({ ...common, entryPoints: ['src/server/server.ts'], outfile: 'dist/server.js' });
await build({ ...common, entryPoints: ['src/client/extension.ts'], outfile: 'dist/extension.js' });
if (packaging) {
  run(join(here, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', 'dist/glass-vscode.vsix']);
  console.log('vscode-extension: dist/glass-vscode.vsix');
}
