import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { GlassError } from '../errors.js';

/**
 * Where everything lives under one state root (default /var/lib/glass).
 *
 *   <root>/images/oci/          OCI image layout: oci-layout, index.json, blobs/sha256/<hex>
 *   <root>/images/repositories.json   name:tag -> manifest digest
 *   <root>/images/layers/<diffid-hex>/  unpacked layer trees (overlay lowerdirs)
 *   <root>/containers/<id>/     one directory per container:
 *       config.json             what the container was created with (written by core)
 *       state.json              runtime state: shim pid, init pid, start time (core)
 *       exit.json               exit code and end time (written by the shim)
 *       shim.spec               the shim's instructions (NUL-separated, see native/README.md)
 *       attach.sock             live stdio of a running container (shim)
 *       <id>-json.log           Docker json-file style log (shim)
 *       fs/upper fs/work fs/merged   overlay upperdir, workdir, mount point
 *   <root>/volumes/<name>/_data  a volume's files (Docker's layout); volume.json beside it (volumes/store.ts)
 *   <root>/names/<name>          the id of the container that owns the name
 *   <root>/events.jsonl          lifecycle events (events.ts), rotated to events.jsonl.1
 *   <root>/locks/<id>           held while a container starts or is deleted
 *   <root>/tmp/<kind>-<random>  scratch on the same filesystem (atomic renames), swept when the
 *   <root>/tmp-owners/<kind>-<random>   glass process its owner record names is gone (scratch.ts)
 *   <root>/glass-root.json      marks the directory as a glass state root (root.ts)
 */
export class Paths {
  constructor(readonly root: string) {}
  get images() { return join(this.root, 'images'); }
  get oci() { return join(this.images, 'oci'); }
  get repositories() { return join(this.images, 'repositories.json'); }
  get layers() { return join(this.images, 'layers'); }
  layer(diffIdHex: string) { return join(this.layers, diffIdHex); }
  blob(digest: string) {
    const [alg, hex] = digest.split(':');
    return join(this.oci, 'blobs', alg!, hex!);
  }
  get containers() { return join(this.root, 'containers'); }
  container(id: string) { return join(this.containers, id); }
  get tmp() { return join(this.root, 'tmp'); }
  /** Lifecycle events, one JSON object a line (events.ts). */
  get events() { return join(this.root, 'events.jsonl'); }
  /** Per-container locks (outside the container's directory, which rm deletes). */
  containerLock(id: string) { return join(this.root, 'locks', id); }
}

export const DEFAULT_ROOT = '/var/lib/glass';

/**
 * The state root this process uses: `--root`, else $GLASS_ROOT, else the
 * default. An empty value is refused rather than read as "here" (resolving ""
 * gives the current directory). A relative one is made absolute against the
 * current directory, as dockerd does with --data-root (filepath.Abs), so the
 * shim's exit hook (run from /) finds the same root; symlinks in the part
 * that exists are resolved too (dockerd: EvalSymlinks), so mount points read
 * from /proc/self/mountinfo, which shows real paths, match the root's.
 */
export function resolveRoot(explicit?: string): string {
  const env = process.env.GLASS_ROOT;
  const [value, from] = explicit !== undefined ? [explicit, '--root'] : env !== undefined ? [env, 'GLASS_ROOT'] : [DEFAULT_ROOT, 'the default'];
  if (value === '') {
    throw new GlassError(
      'INVALID_ARGUMENT',
      from === '--root'
        ? `--root is empty: give the directory glass keeps its state in (default ${DEFAULT_ROOT})`
        : `GLASS_ROOT is set but empty: unset it, or set it to the directory glass keeps its state in (default ${DEFAULT_ROOT})`,
    );
  }
  return realPrefix(resolve(value));
}

/** `path` with symlinks resolved in its longest existing prefix; the rest is kept as written. */
function realPrefix(path: string): string {
  const rest: string[] = [];
  let at = path;
  for (;;) {
    try {
      return join(realpathSync(at), ...rest);
    } catch {
      const up = dirname(at);
      if (up === at) return path;
      rest.unshift(basename(at));
      at = up;
    }
  }
}
