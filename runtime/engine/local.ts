import { existsSync, mkdirSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { cgroupDriver, detectLayout, type CgroupDriver } from '../kernel/cgroup/index.js';
import { glassVersion, installRoot } from '../kernel/install.js';
import { isRoot } from '../kernel/proc.js';
import type { Step } from '../kernel/step.js';
import type { Engine, EventsApi, SystemApi, SystemInfo } from './api.js';
import { ContainerService } from './containers/service.js';
import { ContainerStore } from './containers/store.js';
import { GlassError } from './errors.js';
import { EventLog } from './events.js';
import { ImageService } from './images/service.js';
import { ImageStore } from './images/store.js';
import { registryLogin } from './registry/login.js';
import { Paths, resolveRoot } from './state/paths.js';
import { prepareRoot } from './state/root.js';
import { sweepScratch } from './state/scratch.js';
import { Tracing, type Operation } from './trace.js';
import { diskUsage } from './disk-usage.js';
import { containerFiles } from './containers/shim-spec.js';
import { VolumeStore } from './volumes/store.js';
import { VolumeService } from './volumes/service.js';
import { NetworkService } from './networks/service.js';
import { NetworkStore } from './networks/store.js';
import { BuildService } from './build/service.js';

export interface EngineOptions {
  /** State root; default $GLASS_ROOT or /var/lib/glass. */
  root?: string;
  /**
   * The command the shim runs to remove a detached --rm container when it
   * exits (the container's id is appended). Default: this installation's
   * CLI, `glass --root <root> rm -f`.
   */
  removeCommand?: string[];
}

/**
 * The engine in this process: services over one state root. Several engines
 * (in several processes) may share a root; the stores lock what they change.
 */
export class LocalEngine implements Engine {
  readonly root: string;
  readonly containers: ContainerService;
  readonly images: ImageService;
  readonly events: EventsApi;
  readonly system: SystemApi;
  readonly volumes: VolumeService;
  readonly networks: NetworkService;
  readonly builds: BuildService;
  private readonly paths: Paths;
  private readonly tracing = new Tracing();
  private prepared?: Promise<void>;

  constructor(opts: EngineOptions = {}) {
    this.paths = new Paths(resolveRoot(opts.root));
    this.root = this.paths.root;
    const log = new EventLog(this.paths.events);
    const store = new ContainerStore(this.paths);
    const imageStore = new ImageStore(this.paths);
    const ready = (op: Operation) => this.ready(op);
    let driver: CgroupDriver | undefined;
    const volumeStore = new VolumeStore(this.paths);
    this.volumes = new VolumeService({ store: volumeStore, events: log, tracing: this.tracing, ready, users: (name) => this.containers.volumeUsers(name) });
    this.networks = new NetworkService({ root: this.paths.root, store: new NetworkStore(this.paths), containers: store, events: log, tracing: this.tracing, ready });
    this.containers = new ContainerService({
      paths: this.paths,
      store,
      images: imageStore,
      events: log,
      tracing: this.tracing,
      cgroups: () => (driver ??= cgroupDriver()),
      ready,
      removeCommand: opts.removeCommand ?? defaultRemoveCommand(this.paths.root),
      reconcileCommand: opts.removeCommand ? undefined : defaultReconcileCommand(this.paths.root),
      volumeStore,
      volumes: () => this.volumes,
      userNetworks: () => this.networks,
    });
    this.images = new ImageService({
      store: imageStore,
      events: log,
      tracing: this.tracing,
      ready,
      imageUser: (id) => this.containers.imageUser(id),
      commit: (container, o) => this.containers.commit(container, o),
    });
    this.builds = new BuildService({ paths: this.paths, store: imageStore, containers: this.containers, images: this.images, events: log, tracing: this.tracing, ready });
    const tracing = this.tracing;
    this.events = {
      list: async (o) => {
        await ready(tracing.begin('events'));
        return log.list(o);
      },
      async *follow(o) {
        await ready(tracing.begin('events'));
        yield* log.follow(o);
      },
    };
    this.system = {
      info: () => this.info(),
      df: async (call) => {
        await ready(tracing.begin('system-df', call?.onStep));
        return diskUsage({
          images: await imageStore.list(),
          containers: await this.containers.list({ all: true }),
          upperdirOf: (id) => containerFiles(this.paths.container(id), id).upper,
          volumes: await this.volumes.list(),
          volumeUsers: (name) => this.containers.volumeUsers(name),
        });
      },
      // Needs no root and no state: it only talks to the registry.
      login: (server, auth, o) => registryLogin(server, auth, { insecureRegistries: o?.insecureRegistries, trace: tracing.begin('login', o?.onStep).trace }),
    };
  }

  onStep(listener: (step: Step) => void): () => void {
    return this.tracing.subscribe(listener);
  }

  /**
   * Once per engine: check privileges, make the state root, and clean up
   * after glass processes that were killed (reconcile containers whose shim
   * died, sweep orphaned scratch). Traced as part of the first operation.
   */
  private ready(op: Operation): Promise<void> {
    this.prepared ??= (async () => {
      if (!isRoot()) throw new GlassError('NOT_ROOT', 'glass needs root to create namespaces, cgroups and mounts: run it with sudo');
      prepareRoot(this.paths.root); // refuse /, /proc, someone else's directory... before making anything
      mkdirSync(this.paths.containers, { recursive: true });
      mkdirSync(this.paths.tmp, { recursive: true });
      await sweepScratch(op.trace, this.paths.tmp);
      await this.containers.reconcileAll(op);
    })();
    return this.prepared;
  }

  private async info(): Promise<SystemInfo> {
    let cgroupLayout = 'none';
    try {
      cgroupLayout = detectLayout().kind;
    } catch { /* no cgroup filesystem */ }
    return { version: glassVersion(), root: this.root, kernel: release(), cgroupLayout, storageDriver: 'overlay' };
  }
}

/** The installed CLI removes a detached --rm container when its shim says it exited. */
/** `glass ps -q`: the cheapest glass command, run for what every command does first (reconcile exited containers). */
function defaultReconcileCommand(root: string): string[] | undefined {
  const rm = defaultRemoveCommand(root);
  return rm ? [...rm.slice(0, 3), 'ps', '-q'] : undefined;
}

function defaultRemoveCommand(root: string): string[] | undefined {
  try {
    const cli = join(installRoot(), 'bin', 'glass');
    // -v: an --rm container's anonymous volumes go with it, as in Docker.
    return existsSync(cli) ? [cli, '--root', root, 'rm', '-f', '-v'] : undefined;
  } catch {
    return undefined;
  }
}
