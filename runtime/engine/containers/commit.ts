import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { packDirectory } from '../../kernel/archive.js';
import { openLowerView, readUpperDir, stageOciLayer, type LayerEntry } from '../../kernel/overlay-upper.js';
import { report, type Tracer } from '../../kernel/step.js';
import { unpackLayerDir } from '../../kernel/whiteouts.js';
import { applyChanges } from '../images/changes.js';
import { MEDIA, hexOf, type Descriptor, type PreparedImage, type PreparedLayer } from '../images/oci.js';
import type { ImageRecord, ImageRunConfig, OciImageConfig } from '../images/types.js';
import { lowerdirsTopFirst } from '../images/types.js';
import type { Paths } from '../state/paths.js';
import { makeScratchDir } from '../state/scratch.js';
import { DEFAULT_PATH } from './create-config.js';
import { computeChanges, type Change } from './diff.js';
import type { ContainerConfig } from './types.js';

/**
 * `docker commit`: a container's changes become a new image, one layer on
 * top of its image's layers. The layer is the container's upperdir as a tar
 * (overlay marks turned into OCI whiteout files); the config is the image's,
 * with the container's command, environment, working directory, user and
 * labels, then the --change instructions; the history gains one entry.
 */
export interface CommitOptions {
  /** "repo[:tag]" for the new image; untagged when absent. */
  reference?: string;
  /** -m: the history entry's comment (and the image's .Comment). */
  message?: string;
  /** -a: the image's author. */
  author?: string;
  /** -c: Dockerfile instructions applied to the config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR). */
  changes?: string[];
  /** -p: freeze the container while its upperdir is read (default true). */
  pause?: boolean;
}

/** Extended attributes a committed layer keeps: file capabilities and user.* (not overlayfs's trusted.* or a host's security label). */
const LAYER_XATTRS = ['security.capability', 'user.*'];

/** The changes of a container's upperdir against its image (diff), and the entries a layer of them holds (commit). */
export async function readChanges(trace: Tracer, upper: string, c: ContainerConfig): Promise<{ changes: Change[]; layer: LayerEntry[] }> {
  const entries = await readUpperDir(trace, upper);
  const dirs = ['/', ...entries.filter((e) => e.kind === 'dir').map((e) => e.path)];
  const lower = await openLowerView(trace, lowerdirsTopFirst(c.layerDirs), dirs);
  return computeChanges(entries, lower);
}

/**
 * The container's Config as Docker keeps it: the variables the daemon adds
 * at start (PATH when the image has none, HOSTNAME, TERM for -t) are not part
 * of it, so a committed image does not carry them.
 */
export function containerEnv(c: ContainerConfig, imageEnv: string[] = []): string[] {
  const imageHas = (key: string) => imageEnv.some((e) => e.split('=')[0] === key);
  return c.env.filter((e) => {
    if (e === DEFAULT_PATH && !imageHas('PATH')) return false;
    if (e === `HOSTNAME=${c.hostname}` && !imageHas('HOSTNAME')) return false;
    if (c.tty && e === 'TERM=xterm' && !imageHas('TERM')) return false;
    return true;
  });
}

/**
 * The new image's run config, as moby's daemon/commit.go merges it: the
 * --change instructions applied to an empty config, then every field they
 * left unset taken from the container's config (Env and Labels merged key
 * by key, the changes winning; ExposedPorts and Volumes joined; Cmd taken
 * only when the changes set neither Cmd nor Entrypoint).
 */
export function commitRunConfig(container: ImageRunConfig, changes: string[]): ImageRunConfig {
  const user = applyChanges({}, changes);
  const out: ImageRunConfig = { ...user };
  if (!out.User && container.User) out.User = container.User;
  if (!out.WorkingDir && container.WorkingDir) out.WorkingDir = container.WorkingDir;
  const key = (e: string) => e.split('=')[0];
  const env = [...(user.Env ?? [])];
  for (const e of container.Env ?? []) if (!env.some((u) => key(u) === key(e))) env.push(e);
  if (env.length) out.Env = env;
  const labels = { ...(container.Labels ?? {}), ...(user.Labels ?? {}) };
  if (Object.keys(labels).length) out.Labels = labels;
  const ports = { ...(container.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  if (Object.keys(ports).length) out.ExposedPorts = ports;
  const volumes = { ...(container.Volumes ?? {}), ...(user.Volumes ?? {}) };
  if (Object.keys(volumes).length) out.Volumes = volumes;
  if (!user.Entrypoint?.length) {
    if (!user.Cmd?.length) out.Cmd = container.Cmd ?? null;
    if (user.Entrypoint === undefined) out.Entrypoint = container.Entrypoint ?? null;
  }
  return out;
}

/** The container's config in the image config's terms (what Docker's container.Config holds). */
export function containerRunConfig(c: ContainerConfig, image: ImageRunConfig): ImageRunConfig {
  const out: ImageRunConfig = { ...image, Env: containerEnv(c, image.Env), Cmd: c.cmd, Entrypoint: c.entrypoint };
  if (c.user) out.User = c.user;
  else delete out.User;
  if (c.workingDir) out.WorkingDir = c.workingDir;
  else delete out.WorkingDir;
  if (c.labels && Object.keys(c.labels).length) out.Labels = c.labels;
  else delete out.Labels;
  // Config.Volumes: the image's VOLUMEs and the container's anonymous `-v /path` ones (Docker's commit keeps them as the new image's VOLUMEs).
  const volumes = { ...(image.Volumes ?? {}), ...Object.fromEntries((c.mountFlags?.volumes ?? []).map((v) => [v, {}])) };
  if (Object.keys(volumes).length) out.Volumes = volumes;
  else delete out.Volumes;
  return out;
}

/** Docker's media types for the same bytes, named as an OCI manifest names them. */
export function ociMediaType(mediaType: string): string {
  const docker: Record<string, string> = {
    'application/vnd.docker.image.rootfs.diff.tar.gzip': MEDIA.layerTarGzip,
    'application/vnd.docker.image.rootfs.diff.tar': MEDIA.layerTar,
  };
  return docker[mediaType] ?? mediaType;
}

export interface BuiltLayer {
  changes: Change[];
  /** The new layer, or undefined when the container changed nothing (Docker then adds an empty_layer history entry). */
  layer?: Required<PreparedLayer>;
  workDir: string;
}

/**
 * Read the upperdir and pack its changes as an OCI layer tar in a scratch
 * directory. The caller keeps the container frozen meanwhile (with --pause).
 */
export async function packChanges(trace: Tracer, paths: Paths, upper: string, c: ContainerConfig, excluded: (path: string) => boolean = () => false): Promise<BuiltLayer> {
  const workDir = await makeScratchDir(paths.tmp, 'commit');
  try {
    const { changes, layer } = await readChanges(trace, upper, c);
    // Volume mount points and what is below them belong to the volume, not the image (S-vol's hook).
    const entries = layer.filter((e) => !excluded(e.path));
    if (entries.length === 0) return { changes, workDir };
    const stage = join(workDir, 'stage');
    await fs.mkdir(stage, { mode: 0o755 });
    await stageOciLayer(trace, upper, stage, entries);
    // The top-level names of the staged tree (whiteout files of top-level entries included).
    const top = (await fs.readdir(stage)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const blobPath = join(workDir, 'layer.tar');
    const { digest, size } = await packDirectory(trace, stage, blobPath, {
      layer: { members: top, xattrs: LAYER_XATTRS },
      title: "Pack the container's changes as a layer tar",
      why:
        "The new image's layer is an ordinary tar of what the container changed, whiteout files included; its sha256 is the layer's diff_id " +
        '(and, stored uncompressed, also its blob digest).',
    });
    return {
      changes,
      workDir,
      layer: { descriptor: { mediaType: MEDIA.layerTar, digest, size }, diffId: digest, blobPath, treePath: join(workDir, 'tree') },
    };
  } catch (e) {
    await fs.rm(workDir, { recursive: true, force: true });
    throw e;
  }
}

/** Unpack the new layer into the directory containers of the new image will stack (overlay whiteouts, as a pulled layer's). */
export async function unpackLayer(trace: Tracer, layer: Required<PreparedLayer>): Promise<void> {
  await unpackLayerDir(trace, layer.blobPath, layer.treePath, {
    title: 'Unpack the new layer into a layer directory',
    why: 'Containers of the new image stack this directory under their own upperdir, like every other layer: the tar is unpacked once, whiteout files turned back into overlay whiteouts.',
  });
}

/** The prepared image: the parent's layers (already stored: reused, never copied) plus the new one, and the merged config. */
export function preparedCommit(opts: {
  parent: ImageRecord;
  parentLayers: Descriptor[];
  container: ContainerConfig;
  built: BuiltLayer;
  options: CommitOptions;
  paths: Paths;
  created: Date;
}): PreparedImage {
  const { parent, parentLayers, container: c, built, options, paths } = opts;
  const p = parent.config;
  const created = opts.created.toISOString();
  const diffIds = [...p.rootfs.diff_ids];
  const layers: PreparedLayer[] = parentLayers.map((d, i) => ({
    descriptor: { mediaType: ociMediaType(d.mediaType), digest: d.digest, size: d.size },
    diffId: diffIds[i]!,
    blobPath: paths.blob(d.digest),
    treePath: paths.layer(hexOf(diffIds[i]!)),
  }));
  if (built.layer) {
    layers.push(built.layer);
    diffIds.push(built.layer.diffId);
  }
  const history: NonNullable<OciImageConfig['history']>[number] = {
    created,
    // Docker's CreatedBy for a commit: the container's Cmd, joined with spaces.
    created_by: (c.cmd ?? []).join(' '),
    ...(options.author ? { author: options.author } : {}),
    ...(options.message ? { comment: options.message } : {}),
    ...(built.layer ? {} : { empty_layer: true }),
  };
  const config: OciImageConfig = {
    created,
    ...(options.author ? { author: options.author } : {}),
    architecture: p.architecture,
    os: p.os,
    config: commitRunConfig(containerRunConfig(c, p.config ?? {}), options.changes ?? []),
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [...(p.history ?? []), history],
    comment: options.message ?? '',
    container: c.id,
    // Docker keeps the parent in its image store's metadata; glass, in the config (as Docker's v1 configs did): history follows it.
    parent: parent.id,
  };
  return { config, layers, workDir: built.workDir };
}

/** One step naming the result, for the trace. */
export function reportLayer(trace: Tracer, built: BuiltLayer): void {
  if (!built.layer) {
    report(trace, {
      title: 'The container changed nothing: no new layer',
      why: 'An empty upperdir adds no files, so the new image reuses its parent\'s layers as they are and only its config and history change (an "empty_layer" history entry).',
      command: 'ls -A upper   # empty',
    });
    return;
  }
  report(trace, {
    title: `New layer ${built.layer.diffId.slice(0, 19)}… (${built.layer.descriptor.size} bytes)`,
    why: "The layer's diff_id is the sha256 of its uncompressed tar: the config lists it in rootfs.diff_ids, after the parent image's. Stored uncompressed, the blob's digest is the same sha256.",
    command: `sha256sum layer.tar   # ${hexOf(built.layer.diffId)}`,
  });
}
