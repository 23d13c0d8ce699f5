/**
 * A build step's image. Docker's classic builder commits every step:
 * RUN's and COPY's build container becomes a layer (the container's
 * upperdir, packed as `docker commit` packs it); a metadata instruction
 * (ENV, CMD, LABEL...) changes only the config, so its image reuses the
 * parent's layers and its history entry says "empty_layer". Every step
 * image records its parent and the step's key (container_config), which is
 * what the cache looks for next time (cache.ts).
 */
import { withLock } from '../state/lock.js';
import type { Tracer } from '../../kernel/step.js';
import { packChanges, ociMediaType, reportLayer, unpackLayer, type BuiltLayer } from '../containers/commit.js';
import { containerFiles } from '../containers/shim-spec.js';
import type { ContainerConfig } from '../containers/types.js';
import { GlassError } from '../errors.js';
import { hexOf, hostArchitecture, readBlobJson, type OciManifest, type PreparedImage, type PreparedLayer } from '../images/oci.js';
import type { ImageStore } from '../images/store.js';
import type { ImageRecord, ImageRunConfig, OciImageConfig } from '../images/types.js';
import type { Paths } from '../state/paths.js';
import { rmSync } from 'node:fs';

export interface StepImageInput {
  /** The image the step ran on; undefined for FROM scratch. */
  parent?: ImageRecord;
  /** The new image's Config: the build's run config after this step. */
  config: ImageRunConfig;
  /** Its container_config: the step's key (Cmd = the step's text, as the cache compares it). */
  containerConfig: ImageRunConfig;
  /** MAINTAINER: the image's (and its history entry's) author. */
  author?: string;
  /** The build container whose changes become the new layer (RUN, COPY, ADD, WORKDIR). */
  container?: ContainerConfig;
  /** A metadata step's container (never started, nothing to read): only recorded as the image's `container`. */
  containerId?: string;
}

/** Drop the empty fields, so an image config holds what Docker's JSON (omitempty) would. */
export function cleanRunConfig(c: ImageRunConfig): ImageRunConfig {
  const out: ImageRunConfig = {};
  for (const [k, v] of Object.entries(c) as [keyof ImageRunConfig, unknown][]) {
    const command = k === 'Cmd' || k === 'Entrypoint';
    if (v === undefined || v === '' || (v === null && !command) || (Array.isArray(v) && v.length === 0 && !command)) continue;
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

export async function commitStepImage(trace: Tracer, paths: Paths, store: ImageStore, input: StepImageInput): Promise<ImageRecord> {
  const { parent, container } = input;
  let built: BuiltLayer | undefined;
  if (container) {
    // The container has exited (or never ran); its lock keeps a concurrent start or rm away while the upperdir is read.
    built = await withLock(paths.containerLock(container.id), () =>
      packChanges(trace, paths, containerFiles(paths.container(container.id), container.id).upper, container),
    );
  }
  try {
    if (built) {
      reportLayer(trace, built);
      if (built.layer) await unpackLayer(trace, built.layer);
    }
    const layers: PreparedLayer[] = [];
    const diffIds: string[] = [];
    if (parent) {
      const manifest = await readBlobJson<OciManifest>(paths, parent.manifestDigest);
      if (manifest.layers.length !== parent.config.rootfs.diff_ids.length) {
        throw new GlassError('INVALID_ARGUMENT', `image ${parent.id.slice(7, 19)} lists ${manifest.layers.length} layers but ${parent.config.rootfs.diff_ids.length} diff_ids: nothing can be built on it`, 1);
      }
      manifest.layers.forEach((d, i) => {
        const diffId = parent.config.rootfs.diff_ids[i]!;
        diffIds.push(diffId);
        layers.push({ descriptor: { mediaType: ociMediaType(d.mediaType), digest: d.digest, size: d.size }, diffId, blobPath: paths.blob(d.digest), treePath: paths.layer(hexOf(diffId)) });
      });
    }
    if (built?.layer) {
      layers.push(built.layer);
      diffIds.push(built.layer.diffId);
    }
    const created = new Date().toISOString();
    const history: NonNullable<OciImageConfig['history']>[number] = {
      created,
      // Docker's CreatedBy for a build step: the key Cmd joined with spaces ("/bin/sh -c #(nop)  CMD [\"sh\"]").
      created_by: (input.containerConfig.Cmd ?? []).join(' '),
      ...(input.author ? { author: input.author } : {}),
      ...(built?.layer ? {} : { empty_layer: true }),
    };
    const config: OciImageConfig = {
      created,
      ...(input.author ? { author: input.author } : {}),
      architecture: parent?.config.architecture ?? hostArchitecture(),
      os: parent?.config.os ?? 'linux',
      config: cleanRunConfig(input.config),
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: [...(parent?.config.history ?? []), history],
      ...(container || input.containerId ? { container: container?.id ?? input.containerId } : {}),
      container_config: cleanRunConfig(input.containerConfig),
      ...(parent ? { parent: parent.id } : {}),
    };
    const prepared: PreparedImage = { config, layers, ...(built ? { workDir: built.workDir } : {}) };
    // installPrepared is atomic (all of it, or nothing) and removes the scratch dir.
    return (await store.installPrepared(prepared, [])).image;
  } catch (e) {
    if (built) rmSync(built.workDir, { recursive: true, force: true });
    throw e;
  }
}
