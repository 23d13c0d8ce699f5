import type { CallOptions, VolumeInspect, VolumeListOptions, VolumesApi } from '../api.js';
import { GlassError } from '../errors.js';
import { newId } from '../containers/names.js';
import type { EventLog } from '../events.js';
import { withLock } from '../state/lock.js';
import type { Operation, Tracing } from '../trace.js';
import { checkVolumeName } from './spec.js';
import type { VolumeRecord, VolumeStore } from './store.js';
import { goMap } from '../go-json.js';

export interface VolumeDeps {
  store: VolumeStore;
  events: EventLog;
  tracing: Tracing;
  ready: (op: Operation) => Promise<void>;
  /** IDs of the containers (any state) whose mounts use the volume: Docker's references. */
  users: (name: string) => Promise<string[]>;
}

/** Docker's natural sort (sortorder.NaturalLess): digits compare as numbers. */
export function naturalLess(a: string, b: string): number {
  const chunks = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const x = chunks(a);
  const y = chunks(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i]!, y[i]!];
    if (p === q) continue;
    if (/^\d/.test(p) && /^\d/.test(q)) return Number(p) - Number(q) || p.length - q.length;
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

/** `docker volume ...`: volumes as Docker's local driver keeps them (store.ts). */
export class VolumeService implements VolumesApi {
  constructor(private readonly d: VolumeDeps) {}

  private begin(name: string, call?: CallOptions): Operation {
    return this.d.tracing.begin(name, call?.onStep);
  }

  private view(v: VolumeRecord): VolumeInspect {
    return {
      CreatedAt: v.CreatedAt,
      Driver: 'local',
      Labels: goMap(v.Labels),
      Mountpoint: this.d.store.data(v.Name),
      Name: v.Name,
      Options: v.Labels === null ? null : {},
      Scope: 'local',
    };
  }

  private event(action: string, name: string): void {
    this.d.events.record('volume', action, name, { driver: 'local' });
  }

  async create(opts: { name?: string; labels?: Record<string, string> } & CallOptions = {}): Promise<VolumeInspect> {
    const op = this.begin('volume-create', opts);
    await this.d.ready(op);
    const anonymous = !opts.name;
    const name = opts.name || newId();
    checkVolumeName(name);
    return withLock(this.d.store.lock, async () => {
      const existing = await this.d.store.get(name);
      if (existing) return this.view(existing); // Docker: creating an existing volume returns it
      const v = await this.d.store.create(op.trace, name, opts.labels ?? {}, anonymous);
      this.event('create', name);
      return this.view(v);
    });
  }

  private async must(name: string): Promise<VolumeRecord> {
    const v = await this.d.store.get(name);
    if (!v) throw new GlassError('NO_SUCH_VOLUME', `No such volume: ${name}`, 1);
    return v;
  }

  async inspect(name: string): Promise<VolumeInspect> {
    await this.d.ready(this.begin('volume-inspect'));
    return this.view(await this.must(name));
  }

  async list(opts: VolumeListOptions = {}): Promise<VolumeInspect[]> {
    await this.d.ready(this.begin('volume-ls'));
    const filters = opts.filters ?? {};
    for (const key of Object.keys(filters)) {
      if (!['dangling', 'name', 'label', 'driver'].includes(key)) throw new GlassError('INVALID_ARGUMENT', `Invalid filter '${key}'`, 1);
    }
    for (const v of filters.dangling ?? []) {
      if (!['true', 'false', '1', '0'].includes(v)) throw new GlassError('INVALID_ARGUMENT', `Invalid filter 'dangling=${v}'`, 1);
    }
    const out: VolumeInspect[] = [];
    for (const v of await this.d.store.list()) {
      if (filters.name?.length && !filters.name.some((n) => v.Name.includes(n))) continue;
      if (filters.driver?.length && !filters.driver.includes('local')) continue;
      if (filters.label?.length && !filters.label.every((l) => matchLabel(l, v.Labels ?? {}))) continue;
      if (filters.dangling?.length) {
        const dangling = (await this.d.users(v.Name)).length === 0;
        if (!filters.dangling.some((f) => (f === 'true' || f === '1') === dangling)) continue;
      }
      const view = this.view(v);
      if (opts.usage) view.UsageData = { Size: this.d.store.size(v.Name), RefCount: (await this.d.users(v.Name)).length };
      out.push(view);
    }
    return out.sort((a, b) => naturalLess(a.Name, b.Name));
  }

  async remove(name: string, opts: { force?: boolean } & CallOptions = {}): Promise<void> {
    const op = this.begin('volume-rm', opts);
    await this.d.ready(op);
    await withLock(this.d.store.lock, async () => {
      if (!(await this.d.store.get(name))) {
        if (opts.force) return; // Docker: -f ignores a volume that does not exist
        throw new GlassError('NO_SUCH_VOLUME', `No such volume: ${name}`, 1);
      }
      const users = await this.d.users(name);
      if (users.length) throw new GlassError('VOLUME_IN_USE', `remove ${name}: volume is in use - [${users.join(', ')}]`, 1);
      this.d.store.remove(op.trace, name);
      this.event('destroy', name);
    });
  }

  /** Remove a container's anonymous volume unless another container uses it too (rm -v, --rm); quietly, as Docker does. */
  async removeAnonymous(op: Operation, name: string): Promise<void> {
    await withLock(this.d.store.lock, async () => {
      const v = await this.d.store.get(name);
      if (!v || (await this.d.users(name)).length) return;
      this.d.store.remove(op.trace, name);
      this.event('destroy', name);
    });
  }

  async prune(opts: { filters?: Record<string, string[]> } & CallOptions = {}): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const op = this.begin('volume-prune', opts);
    await this.d.ready(op);
    const labels = opts.filters?.label ?? [];
    return withLock(this.d.store.lock, async () => {
      const deleted: string[] = [];
      let space = 0;
      for (const v of (await this.d.store.list()).sort((a, b) => naturalLess(a.Name, b.Name))) {
        if (labels.length && !labels.every((l) => matchLabel(l, v.Labels ?? {}))) continue;
        if ((await this.d.users(v.Name)).length) continue;
        const size = this.d.store.size(v.Name);
        this.d.store.remove(op.trace, v.Name);
        this.event('destroy', v.Name);
        deleted.push(v.Name);
        space += size;
      }
      return { deleted, spaceReclaimed: space };
    });
  }
}

/** label=KEY or label=KEY=VALUE. */
function matchLabel(filter: string, labels: Record<string, string>): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}
