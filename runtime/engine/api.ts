import type { Writable } from 'node:stream';
import type { Step } from '../kernel/step.js';
import type { Attachment } from '../shim/attach.js';
import type { ContainerFilters } from './containers/filters.js';
import type { LogEntry } from './containers/logs.js';
import type { ContainerConfig, ContainerStatus, CreateOptions } from './containers/types.js';
import type { ResourceOptions } from './containers/limits.js';
import type { EngineEvent, ReadEventsOptions } from './events.js';
import type { ImageInspect } from './images/inspect.js';
import type { ApiPort } from './networks/ports.js';
import type { PullOptions, PullProgress, PullResult } from './registry/pull.js';
export type { PullOptions, PullProgress, PullResult };
import type { Change } from './containers/diff.js';
import type { CommitOptions } from './containers/commit.js';
import type { ImageHistoryItem } from './images/history.js';
export type { Change, CommitOptions, ImageHistoryItem };
import type { PushOptions, PushProgress, PushResult } from './registry/push.js';
import type { LoginResult } from './registry/login.js';
import type { RegistryAuth } from './registry/auth.js';
export type { LoginResult, PushOptions, PushProgress, PushResult, RegistryAuth };
import type { LoadedImage, LoadOptions, LoadProgress } from './images/load.js';
import type { SavedImage } from './images/save.js';
export type { LoadedImage, LoadOptions, LoadProgress, SavedImage };
import type { ExecInspect, ExecOptions, ExecResult, ExecStarted } from './containers/exec.js';
import type { ContainerStats } from './containers/stats.js';
import type { TopResult } from './containers/top.js';
import type { XrayReport } from './containers/xray.js';
import type { ContainerPathStat, CopyOptions } from './containers/copy.js';
import type { DiskUsage } from './disk-usage.js';
import type { NetworkCreateOptions, NetworkInspect } from './networks/service.js';
import type { NetworkHostView } from './networks/host-view.js';
export type { NetworkCreateOptions, NetworkInspect };
import type { BuildOptions, BuildProgress, BuildResult, BuildSource, CacheVerdict } from './build/types.js';
export type { BuildOptions, BuildProgress, BuildResult, BuildSource, CacheVerdict };

/**
 * The Engine: the one API every client of glass uses — the CLI, notebooks,
 * the VS Code extension and, later, the daemon that serves Docker's Engine
 * API. Nothing outside runtime/engine reaches into its stores.
 *
 * Every operation is traced: the Steps it takes in the kernel carry its
 * operation id, so several operations may run at once (in one process or in
 * several) and each trace stays whole and ordered. Give `onStep` to one call
 * to get only its steps, or subscribe to all with `engine.onStep`.
 *
 * Errors are GlassError or KernelError (both have a stable `code`, a message
 * a learner can act on, and the Docker `exitCode`); see isGlassError.
 * ENGINE-API.md (runtime/engine/) documents each operation, its errors and
 * its lifecycle events.
 */
export interface Engine {
  /** The state root this engine keeps its containers, images and events under. */
  readonly root: string;
  readonly containers: ContainersApi;
  readonly images: ImagesApi;
  readonly events: EventsApi;
  readonly system: SystemApi;
  readonly volumes: VolumesApi;
  readonly networks: NetworksApi;
  readonly builds: BuildsApi;
  /** Every step of every operation of this engine. Returns a function that unsubscribes. */
  onStep(listener: (step: Step) => void): () => void;
}

/** Options every operation takes. */
export interface CallOptions {
  /** Receives the steps of this operation only, in order. */
  onStep?: (step: Step) => void;
}

export interface StartResult {
  id: string;
  /** With `attach`: connected before the process ran, so no output is missed. */
  attachment?: Attachment;
}

export interface RunResult {
  id: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A container as the engine reports it (the typed twin of inspect). */
export interface ContainerView {
  config: ContainerConfig;
  status: ContainerStatus;
  running: boolean;
  pid: number;
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
  /** Why the last start failed, if it did. */
  error?: string;
}

/** One row of `ps`: Docker's ContainerSummary (GET /containers/json), plus the config. */
export interface ContainerSummary {
  Id: string;
  /** "/name", as Docker lists them. */
  Names: string[];
  Image: string;
  ImageID: string;
  /** path and args joined with spaces, untruncated. */
  Command: string;
  /** Unix seconds. */
  Created: number;
  /** created, running, exited. */
  State: string;
  /** "Up 3 seconds", "Exited (0) 2 minutes ago", "Created". */
  Status: string;
  /** Config.Labels: the image's and the container's own. */
  Labels: Record<string, string>;
  /** Docker's Ports rows: a running container's exposed and published ports (networks/ports.ts). */
  Ports: ApiPort[];
  config: ContainerConfig;
}

export interface ContainersApi {
  /** `docker create`. Events: create. */
  create(opts: CreateOptions, call?: CallOptions): Promise<ContainerConfig>;
  /**
   * `docker start`: runs the start pipeline. With `attach`, the caller gets the
   * container's stdio before its command runs (event: attach); for an --rm
   * container the caller then promises to remove it. Events: start.
   */
  start(ref: string, opts?: { attach?: boolean } & CallOptions): Promise<StartResult>;
  /** create + start + wait, collecting output: the one call a notebook cell wants. Removes it afterwards unless autoRemove is false. */
  run(opts: CreateOptions & { input?: string | Uint8Array }, call?: CallOptions): Promise<RunResult>;
  /** Connect to a running container's stdio. Events: attach. */
  attach(ref: string, call?: CallOptions): Promise<{ id: string; attachment: Attachment; config: ContainerConfig }>;
  /** Wait until it stops; its exit code (undefined on timeout). */
  wait(ref: string, timeoutMs?: number, call?: CallOptions): Promise<number | undefined>;
  /** The image's STOPSIGNAL (default SIGTERM), then SIGKILL after `timeoutSec`. Events: kill (signal=15), [kill (signal=9)], die (from the shim), stop. */
  stop(ref: string, timeoutSec?: number, call?: CallOptions): Promise<string>;
  restart(ref: string, timeoutSec?: number, call?: CallOptions): Promise<string>;
  /** Send a signal ("KILL", "SIGTERM", "9"...; default SIGKILL) to the container's init. Events: kill. */
  kill(ref: string, signal?: NodeJS.Signals | number | string, call?: CallOptions): Promise<string>;
  /** `docker rm [-f] [-v]`; `volumes` also removes its anonymous volumes no other container uses (never named ones). Events: [kill, die,] destroy, [volume destroy]. */
  remove(ref: string, opts?: { force?: boolean; volumes?: boolean } & CallOptions): Promise<string>;
  /**
   * `docker update`: new resource limits (-m, --cpus, --pids-limit...: numbers
   * or the strings a user types) over the container's, checked as at create;
   * written to its cgroup at once if it runs. Errors: INVALID_ARGUMENT (Docker's
   * wording), NO_SUCH_CONTAINER. Events: update.
   */
  update(ref: string, resources: ResourceOptions, call?: CallOptions): Promise<string>;
  /** `docker pause`: freeze its processes (cgroup freezer). Errors: CONTAINER_NOT_RUNNING, CONTAINER_PAUSED. Events: pause. */
  pause(ref: string, call?: CallOptions): Promise<string>;
  /** `docker unpause`. Errors: CONTAINER_NOT_RUNNING, CONTAINER_NOT_PAUSED. Events: unpause. */
  unpause(ref: string, call?: CallOptions): Promise<string>;
  /** `docker rename`. Events: rename (oldName). */
  rename(ref: string, newName: string, call?: CallOptions): Promise<void>;
  /** Newest first; running ones only unless `all`. */
  list(opts?: { all?: boolean; filters?: ContainerFilters }): Promise<ContainerSummary[]>;
  get(ref: string): Promise<ContainerView>;
  /** Docker-shaped `inspect` object. */
  inspect(ref: string): Promise<Record<string, unknown>>;
  logs(ref: string, opts?: { follow?: boolean; tail?: number }): AsyncGenerator<LogEntry>;
  /** The container's filesystem as a tar stream (`docker export`). */
  export(ref: string, out: Writable | string, call?: CallOptions): Promise<void>;
  /**
   * HEAD /containers/{id}/archive: what a path is in the container (Docker's
   * X-Docker-Container-Path-Stat), resolved inside its root. Errors: NO_SUCH_PATH.
   */
  statPath(ref: string, path: string, call?: CallOptions): Promise<ContainerPathStat>;
  /**
   * GET /containers/{id}/archive (`docker cp CONTAINER:PATH -`): the path as a
   * tar stream written to `out` (not ended), its stat given to `onStat` first.
   * Running or stopped containers; every path resolved inside the container's
   * root. Errors: NO_SUCH_PATH. Events: archive-path.
   */
  archive(ref: string, path: string, out: Writable, opts?: { onStat?: (stat: ContainerPathStat) => void } & CallOptions): Promise<ContainerPathStat>;
  /**
   * PUT /containers/{id}/archive (`docker cp - CONTAINER:DIR`): unpack a tar
   * stream (plain, gzip, bzip2, xz) into a directory of the container, owned by
   * its root unless `copyUIDGID`. Errors: NO_SUCH_PATH, INVALID_ARGUMENT (not a
   * directory; read-only rootfs). Events: extract-to-dir.
   */
  extractArchive(ref: string, path: string, input: NodeJS.ReadableStream, opts?: { copyUIDGID?: boolean } & CallOptions): Promise<void>;
  /**
   * `docker container prune`: remove the containers that are not running and
   * pass the filters (until=, label=, label!=: as typed after --filter). Errors:
   * INVALID_ARGUMENT (Docker's "Invalid filter 'x'"). Events: destroy each, container prune.
   */
  prune(opts?: { filters?: string[] } & CallOptions): Promise<{ containersDeleted: string[]; spaceReclaimed: number }>;
  /** `docker cp CONTAINER:SRC DEST`, with Docker's SRC/DEST rules (copy-rules.ts). DEST: an absolute host path. Events: archive-path. */
  copyFrom(ref: string, srcPath: string, hostDest: string, opts?: CopyOptions & CallOptions): Promise<void>;
  /** `docker cp SRC CONTAINER:DEST`. SRC: an absolute host path. Events: extract-to-dir. */
  copyTo(ref: string, hostSrc: string, dstPath: string, opts?: CopyOptions & CallOptions): Promise<void>;
  /**
   * `docker exec` for a caller that wants the output: runs the command in the
   * running container (its namespaces, cgroups, user, environment and
   * confinement), writes `input` to its stdin if given, waits, and returns its
   * exit code with stdout and stderr. A command that cannot run is an error
   * (exitCode 127 not found, 126 not executable). Errors: NO_SUCH_CONTAINER,
   * CONTAINER_NOT_RUNNING, CONTAINER_PAUSED. Events: exec_create, exec_start, exec_die.
   */
  exec(ref: string, opts: ExecOptions & { input?: string | Uint8Array }, call?: CallOptions): Promise<ExecResult>;
  /**
   * `docker exec` for a terminal: starts the command and returns at once,
   * with an attachment to its stdio (connected before it ran) unless `detach`.
   * The exit code comes on the attachment, or from execInspect.
   */
  execStart(ref: string, opts: ExecOptions & { detach?: boolean }, call?: CallOptions): Promise<ExecStarted>;
  /** An exec's state (`docker exec` inspect): running, exit code, pid. Errors: NO_SUCH_EXEC. */
  execInspect(ref: string, execId: string): Promise<ExecInspect>;
  /** Signal an exec'd process that still runs; false if it had ended. */
  execKill(ref: string, execId: string, signal?: NodeJS.Signals, call?: CallOptions): Promise<boolean>;
  /** `docker top`: the host's ps (default `-ef`, or `psArgs`) limited to the processes in its cgroup, host PIDs. */
  top(ref: string, psArgs?: string[], call?: CallOptions): Promise<TopResult>;
  /** One reading of its cgroup counters (Docker's stats, flattened); CPU % needs two: computeStats(previous, current). */
  stats(ref: string, call?: CallOptions): Promise<ContainerStats>;
  /** `glass xray`: the running container as the kernel sees it, beside the host (PIDs, namespaces, cgroup, capabilities, seccomp, mounts, network). */
  xray(ref: string, call?: CallOptions): Promise<XrayReport>;
  /**
   * `docker diff` (GET /containers/{id}/changes): what the container changed
   * against its image, read from its upperdir (running or stopped), in the
   * order of a sorted walk; Kind 0 = C (changed), 1 = A (added), 2 = D (deleted).
   * Errors: NO_SUCH_CONTAINER.
   */
  changes(ref: string, call?: CallOptions): Promise<Change[]>;
}

/** One row of `images`: Docker's ImageSummary (GET /images/json) with one repo tag per row. */
export interface ImageSummary {
  Id: string;
  /** "busybox:latest", or "<none>:<none>" for an untagged image. */
  RepoTag: string;
  Repository: string;
  Tag: string;
  /** ISO time. */
  Created: string;
  Size: number;
  /** The digest the row's repository knows the image by ("sha256:..."), or "<none>" (`images --digests`). */
  Digest: string;
}

export interface ImportOptions {
  /** "name[:tag]" to tag the new image with. */
  reference?: string;
  message?: string;
  /** Dockerfile instructions applied to the config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR. */
  changes?: string[];
}

export interface ImagesApi {
  /**
   * One summary per repo tag, newest image first; untagged images as one
   * <none> row. `pattern` is `docker images [REPOSITORY[:TAG]]` (globs).
   * Intermediate images (a build's step images: untagged, and the parent of
   * another image) are left out unless `all` (`images -a`), as Docker's.
   */
  list(opts?: { pattern?: string; all?: boolean }): Promise<ImageSummary[]>;
  inspect(ref: string): Promise<ImageInspect>;
  /** Events: tag. */
  tag(source: string, target: string, call?: CallOptions): Promise<void>;
  /** `docker rmi`; refused while a container uses the image, unless forced. Lines as Docker prints them. Events: untag, delete. */
  remove(ref: string, opts?: { force?: boolean } & CallOptions): Promise<string[]>;
  /** `docker import` of a rootfs tarball (a path, or a stream). Events: import. */
  import(source: string | NodeJS.ReadableStream, opts?: ImportOptions & CallOptions): Promise<{ id: string }>;
  /**
   * `docker pull NAME[:TAG|@DIGEST]` from its registry (Docker Hub by default):
   * the host's platform from an index (or `platform`), every blob's digest and
   * size checked while it streams, layers the store has skipped, nothing stored
   * unless all of it checks out. `auth` is the one registry's credentials (the
   * client reads config.json). Progress as Docker's JSON messages through
   * `onProgress`. Errors: MANIFEST_UNKNOWN, REGISTRY_UNAUTHORIZED,
   * DIGEST_MISMATCH, REGISTRY_ERROR, INVALID_ARGUMENT. Events: pull.
   */
  pull(ref: string, opts?: PullOptions & CallOptions): Promise<PullResult>;
  /**
   * `docker push NAME[:TAG]` (no tag: latest; `allTags`: every local tag of
   * NAME): layers (HEAD, cross-repository mount, upload), config, then the
   * manifest's exact stored bytes, so the registry's digests are the store's.
   * `auth` is the one registry's credentials (the client reads config.json).
   * Progress as Docker's JSON messages through `onProgress`. Errors:
   * NO_SUCH_IMAGE, REGISTRY_UNAUTHORIZED, REGISTRY_ERROR. Events: push (per tag).
   */
  push(ref: string, opts?: PushOptions & CallOptions): Promise<PushResult>;
  /**
   * `docker save`: the images `refs` name (name:tag, a bare name = all its
   * tags, an ID) as one tar written to `out` (not ended): docker-archive
   * (manifest.json) and OCI layout (index.json) at once. Events: save.
   */
  save(refs: string[], out: Writable, call?: CallOptions): Promise<SavedImage[]>;
  /**
   * `docker load` of an archive (docker-archive or OCI layout, plain or
   * gzip) from a path or a stream; everything verified before anything is
   * stored. `onProgress`: Docker's "Loading layer" messages. Events: load (per image).
   */
  load(source: string | NodeJS.ReadableStream, opts?: LoadOptions & CallOptions): Promise<LoadedImage[]>;
  /**
   * `docker commit` (POST /commit): the container's changes as a new layer on
   * its image's, with the merged config and a history entry; frozen meanwhile
   * unless `pause: false`. Returns the new image's ID. Errors: NO_SUCH_CONTAINER,
   * INVALID_ARGUMENT (reference, --change). Events: container commit (and pause/unpause), image tag.
   */
  commit(container: string, opts?: CommitOptions & CallOptions): Promise<{ id: string }>;
  /** `docker history` (GET /images/{name}/history): newest entry first. Errors: NO_SUCH_IMAGE. */
  history(ref: string, call?: CallOptions): Promise<ImageHistoryItem[]>;
  /**
   * `docker image prune [-a]`: remove dangling images (all unused ones with
   * `all`) no container uses, passing the filters (until=, label=, label!=).
   * Lines as Docker's report: {untagged} or {deleted}. Events: untag, delete, image prune.
   */
  prune(opts?: { all?: boolean; filters?: string[] } & CallOptions): Promise<{ imagesDeleted: { untagged?: string; deleted?: string }[]; spaceReclaimed: number }>;
}

export interface BuildsApi {
  /**
   * `docker build` with Docker's classic builder (DOCKER_BUILDKIT=0): every
   * step runs on the image the step before made — RUN in a real build
   * container, COPY/ADD into a created one, both committed; metadata
   * instructions (ENV, CMD...) make a new config with an empty_layer history
   * entry. Every step's image stays in the store, untagged, as the layer
   * cache: a step whose parent image and key (container_config.Cmd, with the
   * checksums of copied files) match a child image is taken from it. Only the
   * stages the target needs are built. Tags are applied only when every step
   * succeeded. Progress (Docker's lines, cache verdicts) through
   * `onProgress`. Errors: INVALID_ARGUMENT (Dockerfile, context, target,
   * build args: Docker's words, exitCode 1), BUILD_RUN_FAILED (exitCode = the
   * command's), BUILD_CANCELLED (the signal; the build container is removed,
   * nothing tagged), NO_SUCH_IMAGE / registry errors for FROM. Events: the
   * build containers' create, start, die, commit, destroy; image tag.
   */
  build(opts: BuildOptions & CallOptions): Promise<BuildResult>;
}

/** `docker volume inspect`: Docker's Volume object (local driver). */
export interface VolumeInspect {
  /** RFC 3339, seconds. */
  CreatedAt: string;
  Driver: 'local';
  /** null for a volume made by `run -v` (as Docker shows it). */
  Labels: Record<string, string> | null;
  /** Where its files are on the host: <root>/volumes/<name>/_data. */
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
  /** With `list({usage: true})` only (Docker's /system/df): bytes of its files, and how many containers (any state) use it. */
  UsageData?: { Size: number; RefCount: number };
}

export interface VolumeListOptions {
  /** `volume ls --filter`: dangling=true|false, name=SUBSTRING, label=KEY[=VALUE], driver=local. */
  filters?: Record<string, string[]>;
  /** Measure each volume (UsageData), as `system df` needs: walks every volume's files. */
  usage?: boolean;
}

export interface VolumesApi {
  /** `docker volume create [NAME]`: a random 64-hex name without one; an existing name is returned as it is. Errors: INVALID_ARGUMENT (a bad name, Docker's words). Events: volume create. */
  create(opts?: { name?: string; labels?: Record<string, string> } & CallOptions): Promise<VolumeInspect>;
  /** Sorted by name (natural order). Errors: INVALID_ARGUMENT (unknown filter). */
  list(opts?: VolumeListOptions): Promise<VolumeInspect[]>;
  /** Errors: NO_SUCH_VOLUME. */
  inspect(name: string): Promise<VolumeInspect>;
  /** Refused while any container (running or not) mounts it. Errors: NO_SUCH_VOLUME (not with force), VOLUME_IN_USE ("remove NAME: volume is in use - [ID]"). Events: volume destroy. */
  remove(name: string, opts?: { force?: boolean } & CallOptions): Promise<void>;
  /** Remove every volume no container uses (Docker 20.10: named ones too). Events: volume destroy. */
  prune(opts?: { filters?: Record<string, string[]> } & CallOptions): Promise<{ deleted: string[]; spaceReclaimed: number }>;
}

/** `docker network ...` (networks/service.ts). Errors: NO_SUCH_NETWORK, NETWORK_EXISTS, NETWORK_IN_USE, INVALID_ARGUMENT. Events: network create, destroy, connect, disconnect. */
export interface NetworksApi {
  create(opts: NetworkCreateOptions): Promise<NetworkInspect>;
  /** bridge, host, none and the user's networks, by name. */
  list(call?: CallOptions): Promise<NetworkInspect[]>;
  inspect(ref: string, call?: CallOptions): Promise<NetworkInspect>;
  /** Refused while a container is on it. */
  remove(ref: string, call?: CallOptions): Promise<void>;
  /** Removes every user network no container is on; returns their names. */
  prune(call?: CallOptions & { filters?: string[] }): Promise<string[]>;
  connect(network: string, container: string, opts?: { aliases?: string[]; ip?: string } & CallOptions): Promise<void>;
  disconnect(network: string, container: string, opts?: { force?: boolean } & CallOptions): Promise<void>;
  /**
   * Read-only, for pictures (the notebooks): what the host's kernel reports of
   * this root's networks: interfaces on the host and in each running container
   * (`containers`: refs; default every running one), the root's iptables rules
   * and the jumps into glass's chains, routes to the containers, conntrack.
   * No Step, no event. Errors: NO_SUCH_CONTAINER.
   */
  hostView(opts?: { containers?: string[] } & CallOptions): Promise<NetworkHostView>;
}

export interface EventsApi {
  /** Events recorded so far, oldest first. */
  list(opts?: ReadEventsOptions): Promise<EngineEvent[]>;
  /** Past events from `sinceNano` (if given), then live ones until `untilNano` or the signal. */
  follow(opts?: ReadEventsOptions & { signal?: AbortSignal }): AsyncGenerator<EngineEvent>;
}

export interface SystemInfo {
  version: string;
  root: string;
  kernel: string;
  /** v1, hybrid, v2, or 'none' when no cgroup filesystem is mounted. */
  cgroupLayout: string;
  storageDriver: 'overlay';
}

export interface SystemApi {
  info(): Promise<SystemInfo>;
  /**
   * `docker system df` (GET /system/df): images with their shared and unique
   * sizes (each layer counted once in LayersSize), containers with the bytes
   * of their writable layers, volumes with their size and users. No events.
   */
  df(call?: CallOptions): Promise<DiskUsage>;
  /**
   * `docker login`'s check (Docker's POST /auth): GET /v2/ and answer its
   * challenge (Basic, or a Bearer token asked for with the credentials);
   * resolves only when the registry accepts them. Stores nothing: the client
   * keeps the credentials (storeCredentials). `server` undefined is Docker Hub.
   * Errors: REGISTRY_UNAUTHORIZED (Docker's words), REGISTRY_ERROR. No events.
   */
  login(server: string | undefined, auth: RegistryAuth, opts?: { insecureRegistries?: readonly string[] } & CallOptions): Promise<LoginResult>;
}
