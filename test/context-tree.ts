import { chmodSync, linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A build context for tests, described as data: relative path → file
 * contents, a symlink, a hard link to another entry, or a file with a mode;
 * a path ending in "/" is an empty directory. Made in a new directory under
 * `parent` (the caller removes it).
 */
export type TreeFiles = Record<string, string | { link: string } | { hardlink: string } | { mode: number; text: string }>;

export function makeTree(parent: string, files: TreeFiles): string {
  const root = mkdtempSync(join(parent, 'ctx-'));
  for (const [rel, what] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    if (rel.endsWith('/')) mkdirSync(p, { recursive: true });
    else if (typeof what === 'string') writeFileSync(p, what);
    else if ('link' in what) symlinkSync(what.link, p);
    else if ('hardlink' in what) linkSync(join(root, what.hardlink), p);
    else {
      writeFileSync(p, what.text);
      chmodSync(p, what.mode);
    }
  }
  return root;
}

/** Docker's documented .dockerignore example (docs: "Exclude files and directories"), as a context. */
export const DOCUMENTED_DOCKERIGNORE: TreeFiles = {
  Dockerfile: 'FROM busybox\n',
  '.dockerignore': '# comment\n*/temp*\n*/*/temp*\ntemp?\n**/*.go\n*.md\n!README.md\n',
  'README.md': 'r',
  'CHANGES.md': 'c',
  'somedir/temporary.txt': 't',
  'somedir/keep.txt': 'k',
  'somedir/subdir/temp.txt': 't',
  tempa: 'a',
  temp: 'kept',
  'main.go': 'go',
  'pkg/x/y.go': 'go',
};
