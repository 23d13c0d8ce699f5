// Build the extension: the language server and the client, each one CommonJS
// bundle (esbuild, the project's own), into dist/. The server bundles glass's
// command catalog, CLI parser and lesson parser from ../runtime: one copy of
// each, the same code the CLI runs.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
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
