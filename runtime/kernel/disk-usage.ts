import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/**
 * How many bytes a directory tree holds, as Docker counts a layer or a
 * volume (pkg/directory.Size): the sizes of its files and symlinks, each
 * inode once (hard links are one file on disk), directories and empty files
 * not counted. An overlay whiteout is a character device of size 0, so a
 * deletion costs nothing. Unreadable entries (removed meanwhile) are skipped.
 */
export async function directorySize(dir: string): Promise<number> {
  const seen = new Set<bigint>();
  let total = 0;
  const walk = async (path: string): Promise<void> => {
    let st;
    try {
      st = await fs.lstat(path, { bigint: true });
    } catch {
      return;
    }
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = await fs.readdir(path);
      } catch {
        return;
      }
      for (const name of names) await walk(join(path, name));
      return;
    }
    if (st.size === 0n || seen.has(st.ino)) return;
    seen.add(st.ino);
    total += Number(st.size);
  };
  await walk(dir);
  return total;
}
