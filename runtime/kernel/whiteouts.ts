import { promises as fs, type Dirent } from 'node:fs';
import { join, relative } from 'node:path';
import { shellJoin, unpackArchive, type UnpackOptions } from './archive.js';
import { KernelError } from './errors.js';
import { step, type Tracer } from './step.js';

/** execa is loaded on first use (it costs start-up time most commands never need). */
const loadExeca = async () => (await import('execa')).execa;

/**
 * Whiteouts: how a layer says "this file of a lower layer is deleted".
 * A tar cannot hold the absence of a file, so image layers (OCI and Docker
 * alike, after aufs) mark deletions with special empty files:
 *
 *   .wh.NAME        NAME, in the layers below, is deleted
 *   .wh..wh..opq    this directory is "opaque": nothing of the lower layers'
 *                   directory of the same path shows through
 *
 * overlayfs, which stacks the unpacked layers, has its own marks:
 *
 *   NAME as a character device 0/0        hides NAME below  (mknod NAME c 0 0)
 *   xattr trusted.overlay.opaque="y"      on a directory: hides everything below it
 *
 * So after unpacking a layer, each OCI mark is replaced by the overlay one.
 * (The reverse, for `commit` and `push`, turns overlay marks back into .wh. files.)
 *
 * The walk never follows a symlink: it descends only into real directories
 * (lstat), so a layer cannot steer it outside its own directory, and both
 * tools are told not to follow a link at the last component either.
 */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARK = '.wh..wh..opq';
/** Other ".wh..wh." names are aufs bookkeeping (hard-link directories): meaningless here, dropped. */
const AUFS_META = '.wh..wh.';

export interface WhiteoutResult {
  whiteouts: number;
  opaque: number;
}

/** Replace the OCI whiteout files under `layerDir` by overlayfs whiteouts. */
export async function convertWhiteouts(trace: Tracer, layerDir: string): Promise<WhiteoutResult> {
  const result: WhiteoutResult = { whiteouts: 0, opaque: 0 };
  const execa = await loadExeca();
  const run = async (argv: string[]) => {
    const r = await execa(argv[0]!, argv.slice(1), { reject: false, env: { LC_ALL: 'C' }, stdin: 'ignore' });
    if (r.failed) throw new KernelError('KERNEL', `${argv[0]} failed: ${String(r.stderr || r.shortMessage).trim().split('\n')[0]}`);
  };

  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      throw new KernelError('KERNEL', `cannot read ${dir} while converting whiteouts: ${(e as Error).message}`);
    }
    // Removing .wh. files and making devices touches the directory's mtime: keep the one the layer's tar gave it.
    const times = entries.some((e) => e.name.startsWith(WHITEOUT_PREFIX)) ? await fs.lstat(dir) : undefined;
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.name === OPAQUE_MARK) {
        await fs.rm(path, { force: true });
        const shown = relative(layerDir, dir) || '.';
        await step(
          trace,
          {
            title: `Mark directory ${shown} of the layer as opaque`,
            why: `The layer held ${OPAQUE_MARK} in ${shown}: the image replaced that directory whole. overlayfs shows nothing of the lower layers' ${shown} when the directory has the extended attribute trusted.overlay.opaque=y.`,
            command: shellJoin(['setfattr', '-h', '-n', 'trusted.overlay.opaque', '-v', 'y', dir]),
          },
          () => run(['setfattr', '-h', '-n', 'trusted.overlay.opaque', '-v', 'y', dir]),
        );
        result.opaque++;
      } else if (e.name.startsWith(AUFS_META)) {
        await fs.rm(path, { recursive: true, force: true });
      } else if (e.name.startsWith(WHITEOUT_PREFIX)) {
        const name = e.name.slice(WHITEOUT_PREFIX.length);
        if (name === '' || name === '.' || name === '..') {
          throw new KernelError('INVALID_ARGUMENT', `the layer has a malformed whiteout ${relative(layerDir, path)}: it names no file`);
        }
        const target = join(dir, name);
        await fs.rm(path, { force: true });
        // A well-formed layer never holds both a file and its whiteout; if it does, the whiteout wins (as in Docker).
        await fs.rm(target, { recursive: true, force: true });
        const shown = relative(layerDir, target);
        await step(
          trace,
          {
            title: `Turn the whiteout of ${shown} into an overlay whiteout`,
            why: `The layer deletes ${shown} of the layers below (its tar held ${e.name}). overlayfs hides a lower file where an upper layer has a character device 0/0 of the same name.`,
            command: shellJoin(['mknod', '-m', '000', target, 'c', '0', '0']),
          },
          () => run(['mknod', '-m', '000', target, 'c', '0', '0']),
        );
        result.whiteouts++;
      } else if (e.isDirectory()) {
        await walk(path); // a Dirent of a symlink is never a directory: links are not followed
      }
    }
    if (times) await fs.utimes(dir, times.atime, times.mtime); // dir was lstat'ed as a real directory: utimes cannot follow a link here
  };
  await walk(layerDir);
  return result;
}

/**
 * A layer tar made into a layer directory, as overlayfs stacks it: a fresh
 * directory (0755, whatever the umask), the tar unpacked into it with its
 * members checked (unpackArchive), then its OCI whiteouts made overlay ones.
 * What load and commit do with each layer; pull does the same while the
 * layer streams in.
 */
export async function unpackLayerDir(trace: Tracer, src: string, layerDir: string, opts: UnpackOptions = {}): Promise<void> {
  await fs.mkdir(layerDir, { mode: 0o755 });
  await fs.chmod(layerDir, 0o755);
  await unpackArchive(trace, src, layerDir, opts);
  await convertWhiteouts(trace, layerDir);
}
