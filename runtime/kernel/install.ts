import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where glass is installed: the folder holding its package.json, found by
 * walking up from this module. Works from the sources (runtime/kernel), the
 * compiled library (dist/runtime/kernel) and the bundled CLI (dist/).
 */
let cached: string | undefined;

export function installRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'glass') return (cached = dir);
      } catch { /* not ours */ }
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the glass installation (no package.json named "glass" above this module)');
}

export function glassVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(installRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'dev';
  }
}
