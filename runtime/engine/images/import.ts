import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { detectCompression, digestingStream, peekStream, shellJoin, unpackArchive } from '../../kernel/archive.js';
import { report, type Tracer } from '../../kernel/step.js';
import { GlassError } from '../errors.js';
import type { Paths } from '../state/paths.js';
import { makeScratchDir } from '../state/scratch.js';
import { applyChanges } from './changes.js';
import { MEDIA, hostArchitecture, type PreparedImage } from './oci.js';
import type { OciImageConfig } from './types.js';

/**
 * `docker import`: a tarball of a root filesystem becomes a one-layer image.
 * The layer is stored uncompressed (a gzip input is decompressed while it is
 * hashed), so its blob digest and its diff_id are the same sha256.
 */
export interface ImportSource {
  /** A file path, or a stream (the caller turns "-" into stdin). */
  source: string | NodeJS.ReadableStream;
  /** Replaces the history comment "Imported from <source>". */
  message?: string;
  /** Dockerfile instructions applied to the config (see changes.ts). */
  changes?: string[];
}

export async function prepareImport(trace: Tracer, paths: Paths, opts: ImportSource): Promise<PreparedImage> {
  const runConfig = applyChanges({}, opts.changes ?? []); // reject bad --change before reading anything
  const label = typeof opts.source === 'string' ? opts.source : '-';
  const workDir = await makeScratchDir(paths.tmp, 'import');
  try {
    const blobPath = join(workDir, 'layer.tar');
    const { digest, size, gzip } = await storeUncompressed(await open(opts.source), blobPath);
    if (size === 0) throw new GlassError('INVALID_ARGUMENT', `${label} is empty: expected a tar archive of a root filesystem`);
    report(trace, {
      title: "Store the tarball as the image's layer",
      why: "The tarball becomes the image's only layer, kept uncompressed under its sha256 (its diff_id), the name every image config uses for a layer's contents.",
      command: `${gzip ? `gunzip -c ${shellJoin([label])}` : `cat ${shellJoin([label])}`} > layer.tar && sha256sum layer.tar`,
    });

    const treePath = join(workDir, 'rootfs');
    await fs.mkdir(treePath, { mode: 0o755 });
    await fs.chmod(treePath, 0o755);
    await unpackArchive(trace, blobPath, treePath, {
      label: label === '-' ? 'the archive from standard input' : label,
      title: 'Unpack the imported filesystem into a layer directory',
      why: 'Containers use the layer through overlayfs, which stacks plain directories, so the tar is unpacked once, keeping its owners, modes and device files.',
    });

    const created = new Date().toISOString();
    const config: OciImageConfig = {
      created,
      architecture: hostArchitecture(),
      os: 'linux',
      config: runConfig,
      rootfs: { type: 'layers', diff_ids: [digest] },
      history: [{ created, comment: opts.message || `Imported from ${label}` }],
    };
    return {
      config,
      workDir,
      layers: [{ descriptor: { mediaType: MEDIA.layerTar, digest, size }, diffId: digest, blobPath, treePath }],
    };
  } catch (e) {
    await fs.rm(workDir, { recursive: true, force: true });
    throw e;
  }
}

async function open(source: string | NodeJS.ReadableStream): Promise<NodeJS.ReadableStream> {
  if (typeof source !== 'string') return source;
  const st = await fs.stat(source).catch((e: NodeJS.ErrnoException) => {
    throw new GlassError('INVALID_ARGUMENT', `open ${source}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
  });
  if (!st.isFile()) throw new GlassError('INVALID_ARGUMENT', `${source} is not a file: expected a tar archive`);
  return createReadStream(source);
}

/** Copy to `dest`, gunzipping if needed, hashing the uncompressed bytes. */
async function storeUncompressed(
  input: NodeJS.ReadableStream,
  dest: string,
): Promise<{ digest: string; size: number; gzip: boolean }> {
  const { head, stream } = await peekStream(input, 6);
  const compression = detectCompression(head);
  if (compression && compression !== 'gzip') {
    throw new GlassError(
      'INVALID_ARGUMENT',
      `the tarball is compressed with ${compression}; glass import reads plain or gzip tarballs, so decompress it first`,
    );
  }
  const measure = digestingStream();
  const stages: (Readable | Transform)[] = [stream];
  if (compression === 'gzip') stages.push(createGunzip());
  try {
    await pipeline([...stages, measure.stream, createWriteStream(dest, { flags: 'wx', mode: 0o644 })]);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_')) throw new GlassError('INVALID_ARGUMENT', `the tarball is not valid gzip: ${(e as Error).message}`);
    throw e;
  }
  return { ...measure.result(), gzip: compression === 'gzip' };
}
