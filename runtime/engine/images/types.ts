/**
 * The image store's public shape. Images follow the OCI image spec on disk
 * (runtime/core/paths.ts shows the layout), so they can move in and out with
 * save/load later and interoperate with docker, podman and skopeo.
 */

/** The part of an OCI image config that decides how a container runs. */
export interface ImageRunConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
  /** VOLUME: paths that get an anonymous volume in every container (volumes/mounts.ts). */
  Volumes?: Record<string, object> | null;
  /** STOPSIGNAL: the signal `stop` sends first ("SIGQUIT", "9"); absent = SIGTERM. */
  StopSignal?: string;
  /** HEALTHCHECK: stored as Docker stores it (durations in nanoseconds; 0 = Docker's default). */
  Healthcheck?: HealthConfig;
  /** ONBUILD: instructions (as written) a build FROM this image runs first. */
  OnBuild?: string[] | null;
  /** SHELL: the shell form's command prefix for RUN, CMD and ENTRYPOINT (default ["/bin/sh","-c"]). */
  Shell?: string[];
}

/** Docker's HealthConfig. Test: ["NONE"], ["CMD", argv...] or ["CMD-SHELL", command]. */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** OCI image config (application/vnd.oci.image.config.v1+json). */
export interface OciImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  config: ImageRunConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created?: string; created_by?: string; author?: string; comment?: string; empty_layer?: boolean }[];
  /** Docker's commit records these too: the -m message and the container the image was made from. */
  comment?: string;
  container?: string;
  /** The image a commit was made on (Docker's "Parent"): `history` names its rows by it. */
  parent?: string;
  /**
   * Docker's container_config: the config of the container (or build step)
   * the image was made from. A build writes it on every image it makes: its
   * Cmd is the step's cache key ("/bin/sh -c #(nop)  ENV A=1"), which the
   * classic builder's cache compares (build/cache.ts).
   */
  container_config?: ImageRunConfig;
}

export interface ImageRecord {
  /** "sha256:<hex>" — the digest of the config blob, like Docker's image ID. */
  id: string;
  /** Digest of the manifest blob. */
  manifestDigest: string;
  /** "busybox:latest", ... (may be empty for an untagged import). */
  repoTags: string[];
  /** "alpine@sha256:<manifest or index digest>" for an image pulled from a registry (Docker's RepoDigests). */
  repoDigests: string[];
  /** ISO time the image was created (config.created). */
  created: string;
  /** Total bytes of the layers. */
  size: number;
  config: OciImageConfig;
  /** Absolute paths of the unpacked layer trees, bottom layer first. */
  layerDirs: string[];
}

export interface RemoveResult {
  /** Lines as Docker prints them: "Untagged: busybox:latest", "Deleted: sha256:..." */
  lines: string[];
}

/**
 * overlayfs lists lowerdirs top-most first ("lowerdir=top:...:bottom"); images
 * keep their layers bottom first, in the order they were made. The one place
 * that turns one into the other.
 */
export const lowerdirsTopFirst = (layerDirs: readonly string[]): string[] => [...layerDirs].reverse();
