import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import { cgroupName, type CgroupDriver, type ContainerCgroup } from '../../kernel/cgroup/index.js';
import { mountReadOnlyOverlay, unmount } from '../../kernel/mounts.js';
import { packDirectory } from '../../kernel/archive.js';
import { isSameProcessAlive, processStartTime, signalProcess } from '../../kernel/proc.js';
import { report } from '../../kernel/step.js';
import { Attachment } from '../../shim/attach.js';
import { launchShim, readExitSteps, shimBinary } from '../../shim/launch.js';
import type { CallOptions, ContainersApi, ContainerSummary, ContainerView, RunResult, StartResult } from '../api.js';
import { GlassError } from '../errors.js';
import { faultPoint } from '../faults.js';
import type { EventLog } from '../events.js';
import type { ImageStore } from '../images/store.js';
import type { ImageRecord } from '../images/types.js';
import { writeFileAtomic } from '../state/files.js';
import { withLock } from '../state/lock.js';
import type { Paths } from '../state/paths.js';
import { makeScratchDir } from '../state/scratch.js';
import type { Operation, Tracing } from '../trace.js';
import { buildConfig, validateCreate } from './create-config.js';
import { parseEnvFile, resolveEnvArg } from './env.js';
import { containerMatcher, type ContainerFilters } from './filters.js';
import { containerInspect } from './inspect.js';
import { apiPorts } from '../networks/ports.js';
import { inspectPorts, portsStage, unpublishIfAny } from '../networks/publish.js';
import { readLog, type LogEntry } from './logs.js';
import { isValidName, newId, randomName } from './names.js';
import { runPipeline, type StartStage } from './pipeline.js';
import { buildShimSpec, containerFiles, writeEtcFiles } from './shim-spec.js';
import { securityStage } from './security-stage.js';
import { resolveResources, storedResources, updatedResources } from './limits-ops.js';
import type { ResourceOptions } from './limits.js';
import { parseSignal, signalNumber } from './signals.js';
import { shownState, statusText, summaryCommand } from './status.js';
import type { ContainerStore } from './store.js';
import type { ContainerConfig, ContainerInfo, CreateOptions, ExitRecord } from './types.js';
import { lowerdirsTopFirst } from '../images/types.js';
import { collectExec, readExec, signalExec, startExec, type ExecInspect, type ExecOptions, type ExecResult, type ExecStarted } from './exec.js';
import type { Observed } from './observed.js';
import { sampleStats, type ContainerStats } from './stats.js';
import { containerTop, type TopResult } from './top.js';
import { containerXray, type XrayReport } from './xray.js';
import { archivePath, copyFromContainer, copyToContainer, extractStream, statPath, type ContainerPathStat, type CopyOptions, type CopyTarget } from './copy.js';
import type { ContainerRoot } from '../../kernel/inroot.js';
import { findStaticBusybox } from '../images/busybox.js';
import { directorySize } from '../../kernel/disk-usage.js';
import { parsePruneFilters, pruneMatches } from '../prune-filters.js';
import { commitRunConfig, packChanges, preparedCommit, readChanges, reportLayer, unpackLayer, type CommitOptions } from './commit.js';
import type { Change } from './diff.js';
import { parseTagTarget } from '../images/reference.js';
import { hostArchitecture, readBlobJson, type OciManifest } from '../images/oci.js';
import type { VolumeStore } from '../volumes/store.js';
import type { VolumeService } from '../volumes/service.js';
import { checkSources, makeMounts, mountFor, mountSpecPairs, planMounts, type ContainerMount } from '../volumes/mounts.js';
import { prefillVolumes } from '../../shim/prefill.js';
import { DEFAULT_NETWORK, NetworkStore } from '../networks/store.js';
import { parseNetworkOptions, isBuiltinMode } from '../networks/config.js';
import { modeOf, networkStage, releaseContainerNetworks } from '../networks/stage.js';
import type { NetworkService } from '../networks/service.js';
import { parseLink } from '../networks/links.js';

/** The signal `stop` sends first: the image's STOPSIGNAL (kept in the container's config), else SIGTERM. */
function stopSignalOf(c: ContainerConfig): NodeJS.Signals | number {
  try {
    return c.stopSignal ? parseSignal(c.stopSignal) : 'SIGTERM';
  } catch {
    return 'SIGTERM'; // checked when the image was built; a hand-edited config falls back to Docker's default
  }
}

/** Docker's "scratch": no layers, no config (build containers of a FROM scratch stage). */
function scratchImage(): ImageRecord {
  return {
    id: '',
    manifestDigest: '',
    repoTags: [],
    repoDigests: [],
    created: '',
    size: 0,
    config: { architecture: hostArchitecture(), os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } },
    layerDirs: [],
  };
}

/** Remove what the shim of the last run left: its record, exit record, exit steps and socket. */
function forgetRun(dir: string): void {
  for (const f of ['shim.json', 'exit.json', 'exit-steps.jsonl', 'attach.sock']) rmSync(join(dir, f), { force: true });
}

/** What the container service needs from the engine that owns it. */
export interface ContainerDeps {
  paths: Paths;
  store: ContainerStore;
  images: ImageStore;
  events: EventLog;
  tracing: Tracing;
  cgroups: () => CgroupDriver;
  /** Privileges, state root, and clean-up after killed glass processes (see LocalEngine). */
  ready: (op: Operation) => Promise<void>;
  /** argv (without the id) the shim runs to remove a detached --rm container when it exits. */
  removeCommand?: string[];
  /** Any glass command on this root (it reconciles first): the exit hook of a container with published ports or on a user network. */
  reconcileCommand?: string[];
  /** Volumes: the store (create makes them) and the service (rm -v removes anonymous ones). */
  volumeStore: VolumeStore;
  volumes: () => VolumeService;
  /** User networks: extra networks, links and live /etc/hosts at start (networks/service.ts). */
  userNetworks?: () => NetworkService;
}

/**
 * Containers: create, the start pipeline, stop/kill/rm, and reading them back.
 * Every public method is one traced operation (see trace.ts); the work is in
 * the private methods that take that operation, so composite operations
 * (run = create + start + wait + rm) trace as one.
 */
export class ContainerService implements ContainersApi {
  constructor(private readonly d: ContainerDeps) {}

  private begin(name: string, call?: CallOptions): Operation {
    return this.d.tracing.begin(name, call?.onStep);
  }

  private networkStore?: NetworkStore;

  /** The root's networks (networks/store.ts). */
  private get networks(): NetworkStore {
    return (this.networkStore ??= new NetworkStore(this.d.paths));
  }

  /**
   * --network and its options, checked at create with Docker's errors:
   * container:NAME names an existing container (kept by id), a user network
   * must exist.
   */
  private async resolveNetwork(opts: CreateOptions): Promise<ContainerConfig['network']> {
    const network = parseNetworkOptions(opts.network);
    if (network.mode.startsWith('container:')) {
      const ref = network.mode.slice('container:'.length);
      const id = await this.d.store.resolve(ref).catch((e: unknown) => {
        throw e instanceof GlassError ? new GlassError(e.code, e.message, 125) : e;
      });
      network.mode = `container:${id}`;
    } else if (!isBuiltinMode(network.mode) && !(await this.networks.read(network.mode))) {
      throw new GlassError('INVALID_ARGUMENT', `network ${network.mode} not found`, 125);
    }
    return network;
  }

  /**
   * --link NAME[:ALIAS]: the source must exist (Docker checks at create; that
   * it runs, at start). --network-alias needs a user network.
   */
  private async resolveLinks(opts: CreateOptions, network?: ContainerConfig['network']): Promise<NonNullable<ContainerConfig['links']>> {
    const mode = network?.mode ?? 'bridge';
    if (opts.networkAliases?.length && (isBuiltinMode(mode) || mode === 'default')) {
      throw new GlassError('INVALID_ARGUMENT', 'network-scoped alias is supported only for containers in user defined networks', 125);
    }
    const out: NonNullable<ContainerConfig['links']> = [];
    for (const v of opts.links ?? []) {
      let l;
      try {
        l = parseLink(v);
      } catch (e) {
        throw new GlassError('INVALID_ARGUMENT', (e as Error).message, 125);
      }
      const id = await this.d.store.resolve(l.source).catch(() => {
        throw new GlassError('NO_SUCH_CONTAINER', `could not get container for ${l.source}: No such container: ${l.source}`, 125);
      });
      const src = await this.d.store.readConfig(id);
      out.push({ id, name: src.name, alias: l.alias });
    }
    return out;
  }

  /** --network container:ID: the running container whose network namespace this one joins. */
  private async netnsTarget(id: string): Promise<{ pid: number; dir: string }> {
    const info = await this.d.store.info(id);
    if (!info) throw new GlassError('NO_SUCH_CONTAINER', `No such container: ${id}`, 125);
    if (!info.running) throw new GlassError('CONTAINER_NOT_RUNNING', `cannot join network of a non running container: ${id}`, 125);
    return { pid: info.pid, dir: this.dir(id) };
  }

  private dir(id: string): string {
    return this.d.store.dir(id);
  }

  private files(id: string) {
    return containerFiles(this.dir(id), id);
  }

  private cgroupOf(id: string): ContainerCgroup {
    return this.d.cgroups().plan(cgroupName(id));
  }

  /**
   * Record a lifecycle event for a container. Docker's attributes: the extras
   * (exitCode, signal, oldName), then the container's labels over them, then
   * image and name over those (moby's LogContainerEventWithAttributes), so
   * `events --filter label=k=v` finds a container's events.
   */
  private event(action: string, c: ContainerConfig, extra: Record<string, string> = {}): void {
    this.d.events.record('container', action, c.id, { ...extra, ...(c.labels ?? {}), image: c.image, name: c.name });
  }

  // ---- create -------------------------------------------------------------

  async create(opts: CreateOptions, call?: CallOptions): Promise<ContainerConfig> {
    return this.createOp(this.begin('create', call), opts);
  }

  private async createOp(op: Operation, opts: CreateOptions): Promise<ContainerConfig> {
    await this.d.ready(op);
    validateCreate(opts);
    const network = await this.resolveNetwork(opts);
    // Docker: with the host's network the container takes the host's name too (unless -h).
    if (network?.mode === 'host' && !opts.hostname) opts = { ...opts, hostname: hostname() };
    // Limits are checked against the host here, before anything is made (limits.ts).
    const resources = resolveResources(op.trace, opts.resources, () => this.d.cgroups().capabilities());
    const userEnv: string[] = [];
    for (const f of opts.envFiles ?? []) userEnv.push(...parseEnvFile(f.path, f.text));
    for (const e of opts.env ?? []) {
      const v = resolveEnvArg(e);
      if (v !== undefined) userEnv.push(v);
    }
    // Recorded under the image store's lock: an rmi cannot take the layers away meanwhile.
    const config = opts.scratch
      ? await this.createFrom(op, scratchImage(), { ...opts, resources: undefined }, userEnv, resources, network)
      : await this.d.images.traced(op.trace).use(opts.image, (image) => this.createFrom(op, image, { ...opts, resources: undefined }, userEnv, resources, network));
    this.event('create', config);
    return config;
  }

  private async createFrom(op: Operation, image: ImageRecord, opts: CreateOptions, userEnv: string[], resources?: ContainerConfig['resources'], network?: ContainerConfig['network']): Promise<ContainerConfig> {
    const id = newId();
    op.on(id);
    const { store } = this.d;
    // Build the config first: a bad command is refused before anything is made.
    // overlayfs needs at least one lowerdir: an image with no layers (FROM scratch) gets one empty directory.
    const layerDirs = image.layerDirs.length ? image.layerDirs : [this.emptyLayer()];
    const draft = buildConfig({ id, name: opts.name ?? '', created: new Date().toISOString(), image: { id: image.id, layerDirs, config: image.config.config }, opts, userEnv });
    // Every -v, --mount, --tmpfs and --volumes-from is checked before anything is made (volumes/mounts.ts).
    const imageVolumes = opts.imageVolumes === false ? [] : Object.keys(image.config.config.Volumes ?? {});
    const plan = await planMounts(opts.storage ?? {}, imageVolumes, (ref) => this.mountsOf(ref));
    const links = await this.resolveLinks(opts, network);
    const dir = store.createDir(id);
    let name: string | undefined;
    const made: { name: string; anonymous: boolean }[] = [];
    try {
      name = await this.reserveName(id, opts.name);
      faultPoint('create:before-config');
      // Under the volumes' lock until the config (which names its volumes) is written: `volume rm` cannot slip in between.
      const config = await withLock(this.d.volumeStore.lock, async () => {
        const mounts = await makeMounts(op.trace, plan, this.d.volumeStore, made);
        const config: ContainerConfig = {
          ...draft,
          name: name!,
          ...(resources ? { resources } : {}),
          ...(network ? { network } : {}),
          ...(links.length ? { links } : {}),
          ...(opts.networkAliases?.length ? { networkAliases: opts.networkAliases } : {}),
          ...(mounts.length ? { mounts } : {}),
          ...(Object.keys(plan.flags).length ? { mountFlags: plan.flags } : {}),
        };
        const f = containerFiles(dir, id);
        mkdirSync(f.upper, { recursive: true });
        mkdirSync(f.work, { recursive: true });
        mkdirSync(f.merged, { recursive: true });
        await store.writeState(id, { status: 'created', restartCount: 0 });
        await store.writeConfig(config);
        return config;
      });
      // Docker fills empty volumes from the image at create (a container that never runs still shares them).
      await this.prefill(op, dir, config);
      store.created(id);
      for (const v of made) this.d.events.record('volume', 'create', v.name, { driver: 'local' });
      return config;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      if (name) await store.releaseName(name, id);
      // The volumes this create made go too: a failed create leaves nothing half-made.
      for (const v of made) {
        try {
          this.d.volumeStore.remove(op.trace, v.name);
        } catch { /* best effort: the first error is the one to report */ }
      }
      throw e;
    }
  }

  /** An empty, read-only-by-use directory that stands for "no layers" as an overlay lowerdir. */
  private emptyLayer(): string {
    const dir = join(this.d.paths.images, 'empty-layer');
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  /** Fill the container's empty volumes from its image (glass-shim prefill, runtime/shim/prefill.ts), if any needs it. */
  private async prefill(op: Operation, dir: string, c: ContainerConfig): Promise<void> {
    const empty = (c.mounts ?? []).filter((m) => m.type === 'volume' && m.copy && readdirSync(m.source).length === 0);
    if (!empty.length) return;
    const f = containerFiles(dir, c.id);
    await prefillVolumes(op.trace, dir, [
      ['id', c.id],
      ...lowerdirsTopFirst(c.layerDirs).map((l): [string, string] => ['lower', l]),
      ['upper', f.upper],
      ['work', f.work],
      ['merged', f.merged],
      ['arg', 'true'],
      ...mountSpecPairs(empty),
    ]);
  }

  /** The mounts of a --volumes-from container; Docker's error (exit 125 for run and create) if there is none. */
  private async mountsOf(ref: string): Promise<ContainerMount[]> {
    let id: string;
    try {
      id = await this.d.store.resolve(ref);
    } catch (e) {
      if (e instanceof GlassError && e.code === 'NO_SUCH_CONTAINER') throw new GlassError('NO_SUCH_CONTAINER', `No such container: ${ref}`, 125);
      throw e;
    }
    // Docker copies the other container's mount points; its --tmpfs mounts are not among them (HostConfig.Tmpfs).
    return ((await this.d.store.readConfig(id)).mounts ?? []).filter((m) => !m.tmpfsFlag);
  }

  /** IDs of the containers, in any state, that mount the volume `name` (Docker's references: `volume rm` refuses while there are any). */
  async volumeUsers(name: string): Promise<string[]> {
    const users: string[] = [];
    for (const id of await this.d.store.ids()) {
      const c = await this.d.store.readConfig(id).catch(() => undefined);
      if (c?.mounts?.some((m) => m.type === 'volume' && m.name === name)) users.push(id);
    }
    return users;
  }

  /** The given name, or a random free one (as Docker: adjective_surname, then with a number). */
  private async reserveName(id: string, wanted: string | undefined): Promise<string> {
    if (wanted) {
      await this.d.store.reserveName(wanted, id);
      return wanted;
    }
    for (let i = 0; ; i++) {
      const name = i < 10 ? randomName() : `${randomName()}${i}`;
      try {
        await this.d.store.reserveName(name, id);
        return name;
      } catch (e) {
        if (!(e instanceof GlassError && e.code === 'NAME_IN_USE')) throw e;
      }
    }
  }

  // ---- start ----------------------------------------------------------------

  async start(ref: string, opts: { attach?: boolean } & CallOptions = {}): Promise<StartResult> {
    const op = this.begin('start', opts);
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    return this.startOp(op.on(id), id, !!opts.attach);
  }

  private async startOp(op: Operation, id: string, attach: boolean): Promise<StartResult> {
    // One start at a time per container: two glass processes must not both
    // see it stopped and launch two shims.
    return this.locked(id, () => this.startLocked(op, id, attach));
  }

  /**
   * Whether the last run's shim is still alive after its container exited.
   * Normally it is for a moment only: it writes the exit record, removes the
   * cgroup, and ends (a restart right after a stop meets it there), so wait
   * for it. Still there after that, it cannot write its exit record (a full
   * disk) and keeps trying.
   */
  private async shimStillFinishing(id: string, shim: { pid: number; startTime?: number }): Promise<boolean> {
    const alive = () => isSameProcessAlive(shim.pid, shim.startTime);
    // With the exit record written, it has only its cgroup to remove: give it longer.
    const limitMs = (await this.d.store.readExit(id)) ? 10_000 : 2_000;
    for (const started = Date.now(); alive() && Date.now() - started < limitMs; ) await sleep(10);
    return alive();
  }

  private async startLocked(op: Operation, id: string, attach: boolean): Promise<StartResult> {
    const info = await this.mustInfo(op, id);
    const c = info.config;
    if (info.running) {
      const attachment = attach ? await Attachment.open(this.files(id).socket) : undefined;
      if (attachment) this.event('attach', c);
      return { id, attachment };
    }
    if (info.shim && (await this.shimStillFinishing(id, info.shim))) {
      // Exited, but its shim is still writing down how (the disk was full): a new run would lose that.
      throw new GlassError('CONTAINER_RUNNING', `container ${id.slice(0, 12)} has exited but its shim is still recording its exit code (is the disk of ${this.d.paths.root} full?): free some space and try again`, 1);
    }
    const dir = this.dir(id);
    const files = containerFiles(dir, id);
    const { store } = this.d;
    // Forget the previous run before removing its exit record: otherwise another
    // glass process could see "started, no exit, shim gone" and reconcile
    // (kill) this container while it starts.
    // startedAt is the attempt's time until the start succeeds: a CLI killed
    // after the exec leaves a running container (shim.json) whose state has it.
    await store.writeState(id, { status: 'created', startedAt: new Date().toISOString(), restartCount: info.state.restartCount });
    forgetRun(dir);
    faultPoint('start:before-cgroup');

    const cg = this.cgroupOf(id);
    // An --rm container is removed by its shim's exit hook, unless an attached
    // caller promises to remove it itself once it has the exit code (and is
    // still there to keep that promise when the container exits).
    // Otherwise, a container whose exit the host must answer at once (its
    // published ports' rules, its user-network peers' /etc/hosts) gets a hook
    // that runs any glass command: every command first reconciles what exited.
    const hook = c.autoRemove && this.d.removeCommand ? [...this.d.removeCommand, id] : needsExitCleanup(c) ? this.d.reconcileCommand : undefined;
    let attachment: Attachment | undefined;
    // --link: the sources must be running; their variables go into this start's environment (Docker's order).
    const linked = c.links?.length && this.d.userNetworks ? { ...c, env: await this.d.userNetworks().envWithLinks(c) } : c;
    const net = networkStage({
      root: this.d.paths.root,
      store: this.networks,
      config: c,
      dir,
      files,
      joinTarget: () => this.netnsTarget(modeOf(c).slice('container:'.length)),
    });
    const stages: StartStage[] = [
      {
        name: 'etc-files',
        prepare: () => writeEtcFiles(dir, c),
      },
      net,
      {
        // After eth0: the other networks it was connected to, the isolation rules, and live /etc/hosts (its own and its peers').
        name: 'user-networks',
        atPid: async (ctx, pid) => {
          const un = this.d.userNetworks?.();
          if (!un) return;
          await un.atStart(ctx.trace, c, pid);
        },
      },
      // Published ports (iptables DNAT to the address the network stage gave), before "go".
      portsStage({ root: this.d.paths.root, config: c, dir }),
      securityStage(dir, c),
      {
        // The sources must be there (a -v bind's is made again); the shim mounts them (native/volumes.c).
        name: 'volumes',
        prepare: (ctx) => checkSources(ctx.trace, c.mounts ?? []),
        // Docker's volume `mount` events, before the container may run (and exit: the shim records `unmount` then).
        atPid: () => {
          for (const m of c.mounts ?? []) {
            if (m.type !== 'volume' || !m.name) continue;
            this.d.events.record('volume', 'mount', m.name, { container: id, destination: m.destination, driver: 'local', propagation: m.propagation, 'read/write': String(!m.readOnly) });
          }
        },
      },
      {
        name: 'cgroup',
        prepare: (ctx) => {
          this.d.cgroups().create(ctx.trace, cg.name);
          // Limits (and on v1 the devices policy) before the pid is placed: nothing runs unconfined.
          this.d.cgroups().applyLimits(ctx.trace, cg, c.resources ?? {}, { privileged: c.security?.privileged });
          faultPoint('start:after-cgroup');
        },
        atPid: (ctx, pid) => {
          faultPoint('start:after-shim');
          this.d.cgroups().place(ctx.trace, cg, pid);
        },
        undo: async (ctx) => {
          this.d.cgroups().killAll(ctx.trace, cg, 'SIGKILL');
          await this.d.cgroups().remove(ctx.trace, cg);
        },
      },
      ...(attach
        ? [
            {
              name: 'attach',
              atPid: async () => {
                attachment = await Attachment.open(files.socket);
                this.event('attach', c);
                if (c.autoRemove) attachment.promiseRemoval();
              },
              undo: () => attachment?.detach(),
            } satisfies StartStage,
          ]
        : []),
    ];
    try {
      const started = await runPipeline(stages, { config: c, dir, trace: op.trace }, (atPid) =>
        launchShim({
          stateDir: dir,
          spec: buildShimSpec(dir, linked, cg, { exitHook: hook, events: this.d.events.path, network: net.shim }),
          trace: op.trace,
          beforeGo: atPid,
        }),
      );
      faultPoint('start:after-exec');
      try {
        await store.writeState(id, {
          status: 'started',
          shimPid: started.shimPid,
          shimStartTime: processStartTime(started.shimPid),
          pid: started.initPid,
          startedAt: new Date().toISOString(),
          restartCount: info.state.restartCount,
        });
      } catch (e) {
        // A detached --rm container that already exited may be gone already.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      // The shim recorded `start` itself when the exec succeeded (before any `die`).
      return { id, attachment };
    } catch (e) {
      forgetRun(dir);
      const exitCode = (e as { exitCode?: number }).exitCode ?? 125;
      await store.writeState(id, { status: 'created', error: (e as Error).message, exitCode, restartCount: info.state.restartCount }).catch(() => {});
      throw e;
    }
  }

  // ---- run, attach, wait ------------------------------------------------------

  async run(opts: CreateOptions & { input?: string | Uint8Array }, call?: CallOptions): Promise<RunResult> {
    const op = this.begin('run', call);
    const c = await this.createOp(op, { autoRemove: true, ...opts, interactive: opts.interactive ?? opts.input !== undefined });
    let started: StartResult;
    try {
      started = await this.startOp(op, c.id, true);
    } catch (e) {
      await this.removeOp(op, c.id, true, true).catch(() => {});
      throw e;
    }
    const { exitCode, stdout, stderr } = await started.attachment!.collect({ input: opts.input, closeStdin: c.openStdin }, () => this.waitExit(op, c.id, Infinity));
    await this.settle(c.id, Date.now() + 2000);
    this.replayExit(op, c.id);
    if (c.autoRemove) await this.removeOp(op, c.id, true, true);
    return { id: c.id, exitCode, stdout, stderr };
  }

  async attach(ref: string, call?: CallOptions): Promise<{ id: string; attachment: Attachment; config: ContainerConfig }> {
    const op = this.begin('attach', call);
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    const info = await this.mustInfo(op.on(id), id);
    if (!info.running) throw new GlassError('CONTAINER_NOT_RUNNING', 'You cannot attach to a stopped container, start it first', 1);
    const attachment = await Attachment.open(this.files(id).socket);
    this.event('attach', info.config);
    return { id, attachment, config: info.config };
  }

  async wait(ref: string, timeoutMs = Infinity, call?: CallOptions): Promise<number | undefined> {
    const op = this.begin('wait', call);
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    return this.waitExit(op.on(id), id, timeoutMs);
  }

  private async waitExit(op: Operation, id: string, timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    // Preferred: the shim tells every attached client the exit code.
    const att = await Attachment.open(this.files(id).socket).catch(() => undefined);
    if (att) {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => att.detach(), Math.max(0, timeoutMs)) : undefined;
      const code = await att.exited();
      clearTimeout(timer);
      att.detach();
      if (code !== undefined) {
        await this.settle(id, deadline);
        this.replayExit(op, id);
        return code;
      }
    }
    // Fallback: poll the exit record.
    for (;;) {
      const info = await this.d.store.info(id);
      if (!info) return undefined;
      if (info.status === 'dead') await this.reconcile(op, info);
      if (!info.running && info.status !== 'created') {
        this.replayExit(op, id);
        return (await this.d.store.readExit(id))?.exitCode ?? info.exitCode;
      }
      if (info.status === 'created') return info.exitCode;
      if (Date.now() >= deadline) return undefined;
      await sleep(20);
    }
  }

  /** What the shim did when the container exited (exit record, cgroup removal, --rm hook), into this trace. */
  private replayExit(op: Operation, id: string): void {
    op.replay(`exit:${id}`, () => readExitSteps(this.dir(id)));
  }

  /** After the exit frame, wait (briefly) for the shim to finish its clean-up. */
  private async settle(id: string, deadline: number): Promise<void> {
    const end = Math.min(deadline, Date.now() + 2000);
    for (;;) {
      const info = await this.d.store.info(id);
      if (!info || !info.running || Date.now() >= end) return;
      await sleep(5);
    }
  }

  // ---- signals: kill, stop, restart -----------------------------------------

  async kill(ref: string, signal: NodeJS.Signals | number | string = 'SIGKILL', call?: CallOptions): Promise<string> {
    const sig = parseSignal(signal);
    const op = this.begin('kill', call);
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    op.on(id);
    await this.locked(id, async () => {
      const info = await this.mustInfo(op, id);
      if (!info.running) throw new GlassError('CONTAINER_NOT_RUNNING', `Cannot kill container: ${ref}: Container ${id} is not running`, 1);
      this.signal(op, info, sig);
    });
    return id;
  }

  /** Signal the init (the event says which); SIGKILL also reaches every process in the cgroup. */
  private signal(op: Operation, info: ContainerInfo, sig: NodeJS.Signals | number): void {
    const n = signalNumber(sig);
    const name = typeof sig === 'number' ? String(sig) : sig.replace(/^SIG/, '');
    report(op.trace, {
      title: `Send SIG${name} to the container's init (pid ${info.pid})`,
      why: "The container's PID 1 gets the signal. As a namespace init it ignores signals it has no handler for, except SIGKILL, which is why stop falls back to SIGKILL.",
      command: `kill -${name} ${info.pid}`,
    });
    signalProcess(info.pid, sig);
    if (n === 9) this.d.cgroups().killAll(op.trace, this.cgroupOf(info.config.id), 'SIGKILL');
    // A frozen (paused) process gets the signal only once thawed: stop, kill and rm -f
    // of a paused container thaw it after signalling, so the signal lands (as Docker's do).
    if (this.isPaused(info.config.id)) void this.d.cgroups().freeze(op.trace, this.cgroupOf(info.config.id), false).catch(() => {});
    this.event('kill', info.config, { signal: String(n) });
  }

  // ---- limits: update, pause, unpause (limits.ts; the freezer) ------------------

  /** `docker update`: new limits over the container's, checked as at create; written to its cgroup if it runs. */
  async update(ref: string, change: ResourceOptions, call?: CallOptions): Promise<string> {
    const op = this.begin('update', call);
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    op.on(id);
    await this.locked(id, async () => {
      const info = await this.mustInfo(op, id);
      const cgroups = this.d.cgroups();
      const resources = updatedResources(info.config.resources, change, id, () => cgroups.capabilities());
      if (info.running) cgroups.applyLimits(op.trace, this.cgroupOf(id), resources, { update: true });
      await this.d.store.writeConfig({ ...info.config, resources: storedResources(resources) });
      this.event('update', info.config);
    });
    return id;
  }

  /** `docker pause`: freeze every process of the container (the cgroup freezer). Events: pause. */
  async pause(ref: string, call?: CallOptions): Promise<string> {
    return this.freezeOp('pause', ref, true, call);
  }

  /** `docker unpause`: thaw them. Events: unpause. */
  async unpause(ref: string, call?: CallOptions): Promise<string> {
    return this.freezeOp('unpause', ref, false, call);
  }

  private async freezeOp(name: 'pause' | 'unpause', ref: string, frozen: boolean, call?: CallOptions): Promise<string> {
    const op = this.begin(name, call);
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    op.on(id);
    await this.locked(id, async () => {
      const info = await this.mustInfo(op, id);
      if (!info.running) throw new GlassError('CONTAINER_NOT_RUNNING', `Container ${id} is not running`, 1);
      if (frozen && info.paused) throw new GlassError('CONTAINER_PAUSED', `Container ${id} is already paused`, 1);
      if (!frozen && !info.paused) throw new GlassError('CONTAINER_NOT_PAUSED', `Container ${id} is not paused`, 1);
      await this.d.cgroups().freeze(op.trace, this.cgroupOf(id), frozen);
      this.event(name, info.config);
    });
    return id;
  }

  async stop(ref: string, timeoutSec = 10, call?: CallOptions): Promise<string> {
    const op = this.begin('stop', call);
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    await this.stopOp(op.on(id), id, timeoutSec);
    return id;
  }

  /**
   * Docker's stop: SIGTERM, wait, then SIGKILL. The lock is held while
   * signalling, not while waiting (as in moby), so a kill or rm -f is not
   * held up; the SIGKILL goes only to the same run that got the SIGTERM.
   */
  private async stopOp(op: Operation, id: string, timeoutSec: number): Promise<void> {
    const run = await this.locked(id, async () => {
      const info = await this.mustInfo(op, id);
      if (!info.running) return undefined;
      this.signal(op, info, stopSignalOf(info.config));
      return info;
    });
    if (!run) return;
    const code = await this.waitExit(op, id, Math.max(0, timeoutSec) * 1000);
    if (code === undefined) {
      await this.locked(id, async () => {
        const now = await this.mustInfo(op, id);
        if (now.running && now.state.shimPid === run.state.shimPid && now.startedAt === run.startedAt) this.signal(op, now, 'SIGKILL');
      });
      await this.waitExit(op, id, 10_000);
    }
    // Docker keeps a container's DNAT rules only while it runs.
    await this.unpublish(op, run.config);
    await this.refreshPeerHosts(op);
    this.event('stop', run.config);
  }

  async restart(ref: string, timeoutSec = 10, call?: CallOptions): Promise<string> {
    const op = this.begin('restart', call);
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    await this.stopOp(op.on(id), id, timeoutSec);
    await this.startOp(op, id, false);
    const info = await this.d.store.info(id);
    if (info) this.event('restart', info.config);
    return id;
  }

  // ---- remove, rename -------------------------------------------------------

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } & CallOptions = {}): Promise<string> {
    const op = this.begin('rm', opts);
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    await this.removeOp(op.on(id), id, !!opts.force, !!opts.volumes);
    return id;
  }

  /** `volumes`: also its anonymous volumes that no other container uses (rm -v, --rm); named volumes never. */
  private async removeOp(op: Operation, id: string, force: boolean, volumes = false): Promise<void> {
    const info = await this.d.store.info(id);
    if (!info) return; // removed concurrently
    const brokenButAlive = info.status === 'broken' && !!info.shim && isSameProcessAlive(info.shim.pid, info.shim.startTime);
    if (info.running || brokenButAlive) {
      if (!force) {
        throw new GlassError('CONTAINER_RUNNING', `You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`, 1);
      }
      if (info.running) {
        await this.locked(id, async () => {
          const now = await this.d.store.info(id);
          if (now?.running) this.signal(op, now, 'SIGKILL');
        });
        await this.waitExit(op, id, 10_000);
      } else {
        // Its records are unreadable, but its shim named itself: stop everything in its cgroup, wait for the shim.
        this.d.cgroups().killAll(op.trace, this.cgroupOf(id), 'SIGKILL');
        for (let i = 0; i < 500 && isSameProcessAlive(info.shim!.pid, info.shim!.startTime); i++) await sleep(20);
      }
    } else if (info.status === 'dead') {
      await this.reconcile(op, info);
    }
    // A shim that has written the exit record may still be removing its
    // cgroup (a command that failed to exec, removed at once): let it finish,
    // so the cgroup goes with the container. (Without the record, a full disk,
    // it keeps retrying: removal goes ahead without it.)
    const last = await this.d.store.info(id);
    if (last?.shim && !last.running && (await this.d.store.readExit(id))) {
      for (const started = Date.now(); isSameProcessAlive(last.shim.pid, last.shim.startTime) && Date.now() - started < 10_000; ) await sleep(10);
    }
    await this.locked(id, async () => {
      // Started again meanwhile by another glass process? Then it is not ours to delete.
      const now = await this.d.store.info(id);
      if (!now) return;
      if (now.running) throw new GlassError('CONTAINER_RUNNING', `container ${id} was started again while being removed; try again`, 1);
      await this.unpublish(op, now.config);
      await this.removeFiles(op, now.config);
    });
    if (volumes) await this.removeAnonymousVolumes(op, info.config);
    await this.refreshPeerHosts(op);
  }

  /** Peers on its user networks (and containers linked to it) forget a container that stopped or went (networks/hosts.ts). */
  private async refreshPeerHosts(op: Operation): Promise<void> {
    await this.d.userNetworks?.().refreshHosts(op.trace).catch(() => { /* a hosts file a moment stale is no reason to fail a stop */ });
  }

  /** A removed container's anonymous volumes that no other container uses (rm -v, --rm); named volumes never. */
  private async removeAnonymousVolumes(op: Operation, c: ContainerConfig): Promise<void> {
    for (const m of c.mounts ?? []) if (m.anonymous && m.name) await this.d.volumes().removeAnonymous(op, m.name);
  }

  private async removeFiles(op: Operation, c: ContainerConfig): Promise<void> {
    const dir = this.dir(c.id);
    this.replayExit(op, c.id); // the last chance to read what the shim did
    await this.d.cgroups().remove(op.trace, this.cgroupOf(c.id));
    // Its address lease, its host veth if still there, and the bridge if it was the last on it.
    await releaseContainerNetworks(op.trace, this.d.paths.root, this.networks, c, dir);
    if (existsSync(dir)) {
      report(op.trace, {
        title: "Delete the container's state and writable layer",
        why: "The upperdir holds everything the container wrote; removing it removes the container's filesystem changes for good.",
        command: `rm -rf ${dir}`,
      });
    }
    rmSync(join(dir, 'config.json'), { force: true }); // from here on it no longer lists
    // rmSync: a few dozen entries go ~3x faster without an event-loop hop per file.
    rmSync(dir, { recursive: true, force: true });
    // Every name that points here (a broken container's config cannot say which).
    for (const name of new Set([c.name, ...this.d.store.namesOf(c.id)])) if (name) await this.d.store.releaseName(name, c.id);
    this.event('destroy', c);
  }

  async rename(ref: string, newName: string, call?: CallOptions): Promise<void> {
    const op = this.begin('rename', call);
    await this.d.ready(op);
    const name = newName.replace(/^\//, '');
    if (!isValidName(name)) {
      throw new GlassError('INVALID_NAME', `Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed (at least 2 characters)`, 1);
    }
    const id = await this.d.store.resolve(ref);
    op.on(id);
    await this.locked(id, async () => {
      const info = await this.mustInfo(op, id);
      const old = info.config.name;
      if (old === name) throw new GlassError('INVALID_ARGUMENT', 'Renaming a container with the same name as its current name', 1);
      await this.d.store.reserveName(name, id);
      try {
        await this.d.store.writeConfig({ ...info.config, name });
      } catch (e) {
        await this.d.store.releaseName(name, id);
        throw e;
      }
      await this.d.store.releaseName(old, id);
      this.event('rename', { ...info.config, name }, { oldName: `/${old}` });
    });
  }

  // ---- reading ----------------------------------------------------------------

  /**
   * Containers, newest first: running ones, or all with `all`. `filters` are
   * `ps --filter`'s (see filters.ts); a status filter looks at all containers.
   */
  async list(opts: { all?: boolean; filters?: ContainerFilters } = {}): Promise<ContainerSummary[]> {
    const op = this.begin('list');
    await this.d.ready(op);
    const filters = opts.filters ?? {};
    const ancestorIds: string[] = [];
    for (const ref of filters.ancestor ?? []) {
      const image = await this.d.images.lookup(ref).catch(() => undefined);
      if (image) ancestorIds.push(image.id);
    }
    const matches = containerMatcher(filters, ancestorIds);
    const all = opts.all || (filters.status?.length ?? 0) > 0;
    const now = new Date();
    const out: ContainerSummary[] = [];
    for (const id of await this.d.store.ids()) {
      const info = await this.d.store.info(id);
      if (info?.running) info.paused = this.isPaused(id);
      if (!info || !(all || info.running) || !matches(info)) continue;
      const c = info.config;
      const paused = !!info.paused;
      out.push({
        Id: c.id,
        Names: [`/${c.name}`],
        Image: c.image,
        ImageID: c.imageId,
        Command: summaryCommand(c.path, c.args),
        Created: Math.floor(Date.parse(c.created) / 1000),
        State: paused ? 'paused' : shownState(info.status),
        Status:
          info.status === 'broken'
            ? `Dead (broken: ${info.problem})`
            : statusText({ status: paused ? 'paused' : shownState(info.status), startedAt: info.startedAt, finishedAt: info.finishedAt, exitCode: info.exitCode }, now),
        Labels: c.labels ?? {},
        Ports: apiPorts(inspectPorts(c, this.dir(id), info.running)),
        config: c,
      });
    }
    return out.sort((a, b) => b.config.created.localeCompare(a.config.created));
  }

  async get(ref: string): Promise<ContainerView> {
    const info = await this.info(ref);
    const { config, status, running, pid, exitCode, startedAt, finishedAt } = info;
    return { config, status, running, pid, exitCode, startedAt, finishedAt, error: info.state.error };
  }

  private async info(ref: string): Promise<ContainerInfo> {
    const op = this.begin('inspect');
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    return this.mustInfo(op.on(id), id, true);
  }

  /** The container, reconciled if its shim died; `allowBroken` for the operations that still work on a broken one. */
  private async mustInfo(op: Operation, id: string, allowBroken = false): Promise<ContainerInfo> {
    let info = await this.d.store.info(id);
    if (info?.status === 'dead') {
      await this.reconcile(op, info);
      info = await this.d.store.info(id);
    }
    if (!info) throw new GlassError('NO_SUCH_CONTAINER', `No such container: ${id}`, 1);
    if (info.running) info.paused = this.isPaused(id);
    if (info.status === 'broken' && !allowBroken) {
      throw new GlassError('CONTAINER_BROKEN', `container ${id.slice(0, 12)} is broken: ${info.problem}; remove it with: glass rm -f ${id.slice(0, 12)}`, 1);
    }
    return info;
  }

  async inspect(ref: string): Promise<Record<string, unknown>> {
    const info = await this.info(ref);
    return containerInspect(info, this.dir(info.config.id));
  }

  async *logs(ref: string, opts: { follow?: boolean; tail?: number } = {}): AsyncGenerator<LogEntry> {
    const info = await this.info(ref);
    const id = info.config.id;
    yield* readLog(this.files(id).log, {
      ...opts,
      isRunning: async () => (await this.d.store.info(id))?.running ?? false,
    });
  }

  /** Write the container's filesystem as a tar stream (docker export). */
  async export(ref: string, out: Writable | string, call?: CallOptions): Promise<void> {
    const op = this.begin('export', call);
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    const c = (await this.mustInfo(op.on(id), id)).config;
    const files = this.files(id);
    const target = await makeScratchDir(this.d.paths.tmp, 'export');
    await mountReadOnlyOverlay(op.trace, [files.upper, ...lowerdirsTopFirst(c.layerDirs)], target);
    try {
      await packDirectory(op.trace, target, out);
    } finally {
      await unmount(op.trace, target);
    }
  }

  // ---- clean-up: container prune, and the sizes system df shows ----------------------

  /**
   * `docker container prune`: remove every container that is not running
   * (created or exited) and passes the filters (`until`, `label`, `label!`);
   * the space is what their writable layers (upperdirs) held. Events: destroy
   * for each, then a container `prune` event with `reclaimed` (bytes), as Docker's.
   */
  async prune(opts: { filters?: string[] } & CallOptions = {}): Promise<{ containersDeleted: string[]; spaceReclaimed: number }> {
    const op = this.begin('container-prune', opts);
    await this.d.ready(op);
    const filters = parsePruneFilters(opts.filters ?? []);
    const deleted: string[] = [];
    let space = 0;
    for (const summary of await this.list({ all: true })) {
      const c = summary.config;
      if (['running', 'paused', 'restarting'].includes(summary.State)) continue;
      if (!pruneMatches(filters, Date.parse(c.created), c.labels ?? {})) continue;
      const size = await directorySize(this.files(c.id).upper);
      try {
        await this.removeOp(op.on(c.id), c.id, false);
      } catch (e) {
        if (e instanceof GlassError && e.code === 'CONTAINER_RUNNING') continue; // started meanwhile: not ours to remove
        throw e;
      }
      deleted.push(c.id);
      space += size;
    }
    this.d.events.record('container', 'prune', '', { reclaimed: String(space) });
    return { containersDeleted: deleted, spaceReclaimed: space };
  }

  /** Bytes in a container's writable layer (Docker's SizeRw): what it wrote, the overlay upperdir. */
  async sizeRw(id: string): Promise<number> {
    return directorySize(this.files(id).upper);
  }

  // ---- cp: files in and out, resolved inside the root (copy.ts, kernel/inroot.ts) ------

  /**
   * Run `fn` with the container's root: a running container's through
   * /proc/<pid>/root, a stopped one's overlay mounted privately for the copy.
   * The container's lock is held throughout, so it cannot start (and mount
   * the same upperdir) or be removed while its files are copied.
   */
  private async withCopyTarget<T>(op: Operation, ref: string, fn: (t: CopyTarget, c: ContainerConfig) => Promise<T>): Promise<T> {
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    op.on(id);
    const busybox = await findStaticBusybox(op.trace);
    return this.locked(id, async () => {
      const info = await this.mustInfo(op, id);
      const c = info.config;
      const files = this.files(id);
      const root: ContainerRoot = info.running
        ? { kind: 'running', pid: info.pid, startTime: processStartTime(info.pid) }
        : { kind: 'stopped', merged: files.merged, lowersTopFirst: lowerdirsTopFirst(c.layerDirs), upper: files.upper, work: files.work };
      // A stopped container's volumes and bind mounts are not in its overlay: copy in their host directories.
      const mountAt = (abs: string): { root: ContainerRoot; path: string } | undefined => {
        const m = mountFor(c.mounts, abs);
        if (!m || !statSync(m.mount.source, { throwIfNoEntry: false })?.isDirectory()) return undefined;
        // The path inside the mount, keeping what a trailing "/" or "/." says.
        let path = `/${m.rest}`;
        if (abs.endsWith('/.')) path = m.rest ? `${path}/.` : '/.';
        else if (abs.endsWith('/') && m.rest) path = `${path}/`;
        return { root: { kind: 'dir', dir: m.mount.source }, path };
      };
      const target: CopyTarget = {
        trace: op.trace,
        tools: { shim: shimBinary(), busybox },
        root,
        ref,
        readOnly: !!c.security?.readonlyRootfs,
        mountAt: info.running ? undefined : mountAt,
        mountOf: (abs) => {
          const m = mountFor(c.mounts, abs);
          return m && { readOnly: m.mount.readOnly };
        },
      };
      return fn(target, c);
    });
  }

  async statPath(ref: string, path: string, call?: CallOptions): Promise<ContainerPathStat> {
    return this.withCopyTarget(this.begin('stat-path', call), ref, async (t) => (await statPath(t, path)).stat);
  }

  async archive(ref: string, path: string, out: Writable, opts: { onStat?: (stat: ContainerPathStat) => void } & CallOptions = {}): Promise<ContainerPathStat> {
    return this.withCopyTarget(this.begin('archive', opts), ref, async (t, c) => {
      const stat = await archivePath(t, path, out, opts.onStat);
      this.event('archive-path', c);
      return stat;
    });
  }

  async extractArchive(ref: string, path: string, input: NodeJS.ReadableStream, opts: { copyUIDGID?: boolean } & CallOptions = {}): Promise<void> {
    return this.withCopyTarget(this.begin('extract', opts), ref, async (t, c) => {
      await extractStream(t, input, path, { archive: opts.copyUIDGID });
      this.event('extract-to-dir', c);
    });
  }

  async copyFrom(ref: string, srcPath: string, hostDest: string, opts: CopyOptions & CallOptions = {}): Promise<void> {
    return this.withCopyTarget(this.begin('cp', opts), ref, async (t, c) => {
      await copyFromContainer(t, srcPath, hostDest, opts);
      this.event('archive-path', c);
    });
  }

  async copyTo(ref: string, hostSrc: string, dstPath: string, opts: CopyOptions & CallOptions = {}): Promise<void> {
    return this.withCopyTarget(this.begin('cp', opts), ref, async (t, c) => {
      await copyToContainer(t, hostSrc, dstPath, opts);
      this.event('extract-to-dir', c);
    });
  }

  // ---- looking inside: top, stats, xray (top.ts, stats.ts, xray.ts) --------------

  /** The container as top, stats and xray read it from the host. */
  private async observed(op: Operation, ref: string): Promise<Observed> {
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    const info = await this.mustInfo(op.on(id), id);
    const cgroups = this.d.cgroups();
    const cgroup = this.cgroupOf(id);
    return { config: info.config, running: info.running, pid: info.pid, cgroup, layout: cgroups.layout, pids: () => cgroups.pids(cgroup) };
  }

  async top(ref: string, psArgs: string[] = [], call?: CallOptions): Promise<TopResult> {
    const op = this.begin('top', call);
    return containerTop(op.trace, await this.observed(op, ref), psArgs);
  }

  async stats(ref: string, call?: CallOptions): Promise<ContainerStats> {
    const op = this.begin('stats', call);
    return sampleStats(await this.observed(op, ref), op.trace);
  }

  async xray(ref: string, call?: CallOptions): Promise<XrayReport> {
    const op = this.begin('xray', call);
    return containerXray(op.trace, await this.observed(op, ref));
  }

  // ---- diff and commit (diff.ts, commit.ts; kernel/overlay-upper.ts) -------------

  /** `docker diff`: the container's changes, read from its upperdir (running or not). */
  async changes(ref: string, call?: CallOptions): Promise<Change[]> {
    const op = this.begin('diff', call);
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    const c = (await this.mustInfo(op.on(id), id)).config;
    return (await readChanges(op.trace, this.files(id).upper, c)).changes;
  }

  /**
   * `docker commit`. The upperdir is read and packed under the container's
   * lock, frozen if it runs (unless `pause: false`), so no write lands half
   * in the layer; unpacking and storing the image happen after the thaw.
   */
  async commit(ref: string, opts: CommitOptions & CallOptions = {}): Promise<{ id: string }> {
    const op = this.begin('commit', opts);
    await this.d.ready(op);
    // As Docker's client: the new name and the changes are checked before the container is looked at.
    const repoTag = opts.reference ? parseTagTarget(opts.reference) : undefined;
    commitRunConfig({}, opts.changes ?? []);
    const id = await this.d.store.resolve(ref);
    op.on(id);
    const { config: c, built } = await this.locked(id, async () => {
      const info = await this.mustInfo(op, id);
      const freeze = (opts.pause ?? true) && info.running && !info.paused;
      const cg = this.cgroupOf(id);
      if (freeze) {
        await this.d.cgroups().freeze(op.trace, cg, true);
        this.event('pause', info.config);
      }
      try {
        return { config: info.config, built: await packChanges(op.trace, this.d.paths, this.files(id).upper, info.config) };
      } finally {
        if (freeze) {
          await this.d.cgroups().freeze(op.trace, cg, false);
          this.event('unpause', info.config);
        }
      }
    });
    let imageId: string;
    try {
      reportLayer(op.trace, built);
      if (built.layer) await unpackLayer(op.trace, built.layer);
      const parent = await this.d.images.lookup(c.imageId);
      if (!parent) throw new GlassError('NO_SUCH_IMAGE', `No such image: ${c.imageId} (the image of container ${id.slice(0, 12)})`);
      const manifest = await readBlobJson<OciManifest>(this.d.paths, parent.manifestDigest);
      if (manifest.layers.length !== parent.config.rootfs.diff_ids.length) {
        throw new GlassError('INVALID_ARGUMENT', `image ${parent.id.slice(7, 19)} lists ${manifest.layers.length} layers but ${parent.config.rootfs.diff_ids.length} diff_ids: it cannot be committed on`);
      }
      const prepared = preparedCommit({ parent, parentLayers: manifest.layers, container: c, built, options: opts, paths: this.d.paths, created: new Date() });
      // installPrepared removes the scratch directory whatever happens.
      imageId = (await this.d.images.traced(op.trace).installPrepared(prepared, repoTag ? [repoTag] : [])).image.id;
    } catch (e) {
      rmSync(built.workDir, { recursive: true, force: true });
      throw e;
    }
    this.event('commit', c, { comment: opts.message ?? '', imageID: imageId, imageRef: repoTag ?? '' });
    if (repoTag) this.d.events.record('image', 'tag', imageId, { name: repoTag });
    return { id: imageId };
  }

  // ---- exec (exec.ts; native/exec.c) ---------------------------------------------

  async execStart(ref: string, opts: ExecOptions & { detach?: boolean }, call?: CallOptions): Promise<ExecStarted> {
    const op = this.begin('exec', call);
    await this.d.ready(op);
    const id = await this.d.store.resolve(ref);
    const info = await this.mustInfo(op.on(id), id);
    return startExec({ op, info, dir: this.dir(id), events: this.d.events }, opts, !opts.detach);
  }

  async exec(ref: string, opts: ExecOptions & { input?: string | Uint8Array }, call?: CallOptions): Promise<ExecResult> {
    const started = await this.execStart(ref, { ...opts, interactive: opts.interactive ?? opts.input !== undefined, detach: false }, call);
    return collectExec(this.dir(started.id), started, { ...opts, interactive: opts.interactive ?? opts.input !== undefined });
  }

  async execInspect(ref: string, execId: string): Promise<ExecInspect> {
    const id = await this.d.store.resolve(ref);
    const x = readExec(this.dir(id), id, execId);
    if (!x) throw new GlassError('NO_SUCH_EXEC', `No such exec instance: ${execId}`, 1);
    return x;
  }

  async execKill(ref: string, execId: string, signal: NodeJS.Signals = 'SIGKILL', call?: CallOptions): Promise<boolean> {
    const op = this.begin('exec-kill', call);
    const id = await this.d.store.resolve(ref);
    return signalExec(op.on(id), this.dir(id), execId, signal);
  }

  /** The first container (in any state) created from this image, or false: rmi refuses to delete it. */
  async imageUser(imageId: string): Promise<string | false> {
    for (const id of await this.d.store.ids()) {
      const c = await this.d.store.readConfig(id).catch(() => undefined);
      if (c?.imageId === imageId) return c.id;
    }
    return false;
  }

  // ---- recovery -----------------------------------------------------------------

  /**
   * Clean up after glass processes that were killed: containers whose shim
   * died without recording an exit, and cgroups made for a start whose CLI
   * was killed before the shim ran.
   */
  async reconcileAll(op: Operation): Promise<void> {
    for (const id of await this.d.store.ids()) {
      const info = await this.d.store.info(id);
      if (info?.status === 'dead') await this.reconcile(op, info);
      else if (info?.status === 'created' && this.d.cgroups().exists(this.cgroupOf(id))) await this.dropStaleCgroup(op, id);
      // Exited on its own (or its shim died) since the last command: its published ports go now.
      const after = info && !info.running && existsSync(join(this.dir(id), 'ports.json')) ? await this.d.store.info(id) : undefined;
      // Not a 'created' one: that may be starting in another glass process (its ports.json is written before "go").
      if (after && !after.running && after.status !== 'created' && existsSync(join(this.dir(id), 'ports.json'))) await this.unpublish(op, after.config);
    }
    // Containers that exited on their own since: their peers' /etc/hosts forget them now.
    await this.refreshPeerHosts(op);
  }

  /** Remove a stopped container's published ports (iptables rules tagged with it), if it has any. */
  private async unpublish(op: Operation, c: ContainerConfig): Promise<void> {
    await unpublishIfAny({ trace: op.trace, root: this.d.paths.root, containerId: c.id, dir: this.dir(c.id), ports: c.ports });
  }

  /** A created container has no business owning a cgroup, unless a start is under way (it holds the lock). */
  private async dropStaleCgroup(op: Operation, id: string): Promise<void> {
    await this.locked(id, async () => {
      const now = await this.d.store.info(id);
      if (now?.status !== 'created') return;
      const cg = this.cgroupOf(id);
      this.d.cgroups().killAll(op.trace, cg, 'SIGKILL');
      await this.d.cgroups().remove(op.trace, cg);
    });
  }

  /**
   * A container whose shim died without recording an exit (killed, or the
   * machine rebooted): kill whatever is left in its cgroup, remove the
   * cgroup, and mark it exited. How it exited is not known, so glass does not
   * guess: the record says exit code 255 (as Docker shows for a container
   * whose shim died) and why. Its overlay was mounted only in its own mount
   * namespace, so nothing stays mounted.
   */
  private async reconcile(op: Operation, seen: ContainerInfo): Promise<void> {
    await this.locked(seen.config.id, async () => {
      const info = await this.d.store.info(seen.config.id);
      if (info?.status !== 'dead') return; // reconciled or restarted meanwhile
      const { config } = info;
      const cgroups = this.d.cgroups();
      const cg = this.cgroupOf(config.id);
      cgroups.killAll(op.trace, cg, 'SIGKILL');
      await cgroups.remove(op.trace, cg);
      const shimPid = info.shim?.pid ?? info.state.shimPid;
      const exit: ExitRecord = {
        exitCode: 255,
        signal: 0,
        finishedAt: new Date().toISOString(),
        unknown: true,
        reason: `the container's shim${shimPid ? ` (pid ${shimPid})` : ''} died before it could record how the container exited; glass stopped what was left of it`,
      };
      await writeFileAtomic(join(this.dir(config.id), 'exit.json'), JSON.stringify(exit));
      rmSync(this.files(config.id).socket, { force: true });
      // The shim records `die` itself; it died first, so the engine does.
      this.event('die', config, { exitCode: String(exit.exitCode) });
      if (config.autoRemove) {
        await this.removeFiles(op, config);
        await this.removeAnonymousVolumes(op, config);
      }
    });
  }

  /** Is the container's cgroup frozen (glass pause)? */
  private isPaused(id: string): boolean {
    try {
      return this.d.cgroups().isFrozen(this.cgroupOf(id));
    } catch {
      return false;
    }
  }

  private async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return withLock(this.d.paths.containerLock(id), fn);
  }
}

export type { ContainerFilters };

/** Does the host need to act when this container exits on its own: published ports to unpublish, or user-network peers to tell? */
export function needsExitCleanup(c: ContainerConfig): boolean {
  const p = c.ports;
  const publishes = !!p && (p.publishAll || Object.values(p.portBindings ?? {}).some((b) => b?.length));
  const mode = modeOf(c);
  const userNetwork = !['none', 'host', DEFAULT_NETWORK].includes(mode) && !mode.startsWith('container:');
  return publishes || userNetwork;
}
