import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { attachToBridge, cidrContains, deleteLink, hostSubnets, linkExists, listLinks, overlapping, parseCidr, formatCidr, type NetContext } from '../../kernel/net/index.js';
import { step, type Tracer } from '../../kernel/step.js';
import type { CallOptions } from '../api.js';
import { containerFiles } from '../containers/shim-spec.js';
import type { ContainerStore } from '../containers/store.js';
import type { ContainerConfig, ContainerInfo } from '../containers/types.js';
import { GlassError } from '../errors.js';
import type { EventLog } from '../events.js';
import type { Operation, Tracing } from '../trace.js';
import { removeNetworkFromHost } from './bridge.js';
import { mergeEntries, peerNames, renderHosts, rewriteInPlace, type HostsEntry } from './hosts.js';
import { allocate, chooseSubnet, gatewayOf, release } from './ipam.js';
import { ensureIsolatedNetwork } from './isolation.js';
import { linkEnv, linkHostsLine, withLinkEnv } from './links.js';
import { readNetworkHostView, type NetworkHostView } from './host-view.js';
import { hostVethName, userBridgeName } from './names.js';
import { bridgeDevice, DEFAULT_NETWORK, subnetOf, type Lease, type NetworkRecord, type NetworkStore } from './store.js';
import { goMap } from '../go-json.js';

/** A network as `network ls` and `network inspect` show it (Docker's NetworkResource). */
export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: { Subnet: string; Gateway: string }[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export interface NetworkCreateOptions extends CallOptions {
  name: string;
  driver?: string;
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  labels?: Record<string, string>;
}

export interface NetworkDeps {
  root: string;
  store: NetworkStore;
  containers: ContainerStore;
  events: EventLog;
  tracing: Tracing;
  ready: (op: Operation) => Promise<void>;
}

const BUILTIN: readonly string[] = ['bridge', 'host', 'none'];
const err = (code: ConstructorParameters<typeof GlassError>[0], msg: string, exit = 1) => new GlassError(code, msg, exit);
const notFound = (ref: string) => err('NO_SUCH_NETWORK' , `network ${ref} not found`);

/** The host end of a container's veth on a network other than its first (`network connect`). */
export function extraVethName(containerId: string, networkId: string): string {
  return `veth${createHash('sha256').update(`${containerId}\0${networkId}`).digest('hex').slice(0, 7)}`;
}

/**
 * `docker network ...`: user-defined bridge networks. Each is a bridge of its
 * own; membership is the address lease a container holds on it (leases stay
 * while the container exists, stopped or not, and go when it is removed).
 */
export class NetworkService {
  constructor(private readonly d: NetworkDeps) {}

  private begin(name: string, call?: CallOptions): Operation {
    return this.d.tracing.begin(name, call?.onStep);
  }

  private net(trace: Tracer): NetContext {
    return { trace };
  }

  /** host and none have no record: they are the host's namespace and an empty one. Their ids are stable per root. */
  private builtinId(name: string): string {
    return createHash('sha256').update(`${this.d.root}\0${name}`).digest('hex');
  }

  private builtinView(name: 'host' | 'none' | 'bridge'): NetworkInspect {
    return {
      Name: name, Id: this.builtinId(name), Created: new Date(0).toISOString(), Scope: 'local', Driver: name === 'none' ? 'null' : name,
      EnableIPv6: false, IPAM: { Driver: 'default', Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false,
      ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {}, Options: {}, Labels: {},
    };
  }

  private async view(n: NetworkRecord): Promise<NetworkInspect> {
    const leases = await this.d.store.leases(n.Id);
    const prefix = subnetOf(n).subnet.split('/')[1];
    const Containers: NetworkInspect['Containers'] = {};
    for (const [id, l] of Object.entries(leases)) {
      const info = await this.d.containers.info(id).catch(() => undefined);
      if (!info?.running) continue; // Docker lists endpoints, which exist while the container runs
      Containers[id] = { Name: info.config.name, EndpointID: l.endpointId, MacAddress: l.mac, IPv4Address: `${l.ip}/${prefix}`, IPv6Address: '' };
    }
    const { Options, Labels, ...head } = n;
    return { ...head, Containers: goMap(Containers), Options: goMap(Options), Labels: goMap(Labels) };
  }

  /** Every network: the three built in (bridge before its first container has no record yet) and the user's, by name. */
  async list(call?: CallOptions): Promise<NetworkInspect[]> {
    await this.d.ready(this.begin('network-ls', call));
    const recs = await this.d.store.list();
    const out: NetworkInspect[] = [];
    for (const r of recs) out.push(await this.view(r));
    if (!recs.some((r) => r.Name === DEFAULT_NETWORK)) out.push(this.builtinView('bridge'));
    out.push(this.builtinView('host'), this.builtinView('none'));
    return out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  }

  private async find(ref: string): Promise<NetworkInspect | undefined> {
    const all = await this.list();
    return all.find((n) => n.Id === ref) ?? all.find((n) => n.Name === ref) ?? (() => {
      const m = ref ? all.filter((n) => n.Id.startsWith(ref)) : [];
      return m.length === 1 ? m[0] : undefined;
    })();
  }

  async inspect(ref: string, call?: CallOptions): Promise<NetworkInspect> {
    await this.d.ready(this.begin('network-inspect', call));
    const n = await this.find(ref);
    if (!n) throw err('NO_SUCH_NETWORK' , `No such network: ${ref}`);
    return n;
  }

  async create(opts: NetworkCreateOptions): Promise<NetworkInspect> {
    const op = this.begin('network-create', opts);
    await this.d.ready(op);
    const { name } = opts;
    const driver = opts.driver ?? 'bridge';
    if (driver !== 'bridge') throw err('INVALID_ARGUMENT', `plugin "${driver}" not found`);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw err('INVALID_NAME', `invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (opts.gateway && !opts.subnet) throw err('INVALID_ARGUMENT', 'every ip-range or gateway must have a corresponding subnet');
    let subnet: string | undefined;
    if (opts.subnet) {
      let c;
      try {
        c = parseCidr(opts.subnet);
      } catch {
        throw err('INVALID_ARGUMENT', `invalid CIDR address: ${opts.subnet}`);
      }
      if (!c || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(opts.subnet)) throw err('INVALID_ARGUMENT', `invalid CIDR address: ${opts.subnet}`);
      if (c.bits > 30) throw err('INVALID_ARGUMENT', `subnet ${opts.subnet} is too small: a network needs a gateway and room for containers (at most /30)`);
      subnet = formatCidr(c);
    }
    if (opts.gateway && (!/^\d+\.\d+\.\d+\.\d+$/.test(opts.gateway) || !cidrContains(subnet!, opts.gateway))) throw err('INVALID_ARGUMENT', `no matching subnet for gateway ${opts.gateway}`);
    const ctx = this.net(op.trace);
    return this.d.store.locked(async () => {
      const all = await this.d.store.list();
      if (BUILTIN.includes(name) || all.some((n) => n.Name === name)) throw err('NETWORK_EXISTS', `network with name ${name} already exists`, 1);
      const taken = all.map((n) => subnetOf(n).subnet);
      const routes = await hostSubnets(ctx);
      if (subnet) {
        if (overlapping(subnet, [...routes, ...taken, '127.0.0.0/8']).length) throw err('INVALID_ARGUMENT', 'Pool overlaps with other one on this address space');
      } else {
        subnet = chooseSubnet(routes, taken);
        if (!subnet) throw err('INVALID_ARGUMENT', 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
      }
      const gateway = opts.gateway ?? gatewayOf(subnet);
      const rec = this.d.store.newRecord(name, subnet, gateway, '', { internal: opts.internal, labels: opts.labels ?? {} });
      rec.Options['com.docker.network.bridge.name'] = userBridgeName(this.d.root, rec.Id);
      op.on(rec.Id);
      try {
        await ensureIsolatedNetwork(ctx, this.d.root, rec);
        await this.d.store.write(rec);
      } catch (e) {
        await removeNetworkFromHost(ctx, this.d.root, rec).catch(() => {});
        await this.d.store.remove(rec.Id).catch(() => {});
        throw e;
      }
      this.d.events.record('network', 'create', rec.Id, { name, type: 'bridge' });
      return this.view(rec);
    });
  }

  /** Containers (any state) on a network: those holding a lease there, and those made for it that never started. */
  private async members(n: NetworkRecord): Promise<string[]> {
    const out = new Set(Object.keys(await this.d.store.leases(n.Id)));
    for (const id of await this.d.containers.ids()) {
      const info = await this.d.containers.info(id).catch(() => undefined);
      if (info?.config.network?.mode === n.Name || info?.config.network?.mode === n.Id) out.add(id);
    }
    return [...out].filter((id) => existsSync(this.d.containers.dir(id)));
  }

  async remove(ref: string, call?: CallOptions): Promise<void> {
    const op = this.begin('network-rm', call);
    await this.d.ready(op);
    const all = await this.list();
    const shown = all.find((n) => n.Id === ref) ?? all.find((n) => n.Name === ref) ?? (() => {
      const m = all.filter((n) => n.Id.startsWith(ref));
      return m.length === 1 ? m[0] : undefined;
    })();
    if (!shown) throw notFound(ref);
    if (BUILTIN.includes(shown.Name)) throw err('INVALID_ARGUMENT', `${shown.Name} is a pre-defined network and cannot be removed`, 1);
    await this.d.store.locked(async () => {
      const rec = await this.d.store.read(shown.Id);
      if (!rec) throw notFound(ref);
      op.on(rec.Id);
      if ((await this.members(rec)).length) throw err('NETWORK_IN_USE' , `error while removing network: network ${rec.Name} id ${rec.Id} has active endpoints`, 1);
      await removeNetworkFromHost(this.net(op.trace), this.d.root, rec);
      await this.d.store.remove(rec.Id);
      this.d.events.record('network', 'destroy', rec.Id, { name: rec.Name, type: 'bridge' });
    });
  }

  /** filters: label=KEY[=VALUE], label!=KEY[=VALUE] (Docker's prune filters; `until` is not kept). */
  async prune(call?: CallOptions & { filters?: string[] }): Promise<string[]> {
    const op = this.begin('network-prune', call);
    await this.d.ready(op);
    const tests = (call?.filters ?? []).map((f) => {
      const m = /^(label!?)=(.+)$/.exec(f);
      if (!m) throw err('INVALID_ARGUMENT', `invalid filter '${f.split('=')[0]}': glass's network prune takes label=KEY[=VALUE] and label!=KEY[=VALUE]`);
      const [k, v] = m[2]!.split(/=(.*)/s) as [string, string | undefined];
      const has = (labels: Record<string, string>) => (v === undefined ? k in labels : labels[k] === v);
      return (labels: Record<string, string>) => (m[1] === 'label' ? has(labels) : !has(labels));
    });
    const deleted: string[] = [];
    for (const rec of await this.d.store.list()) {
      if (rec.Name === DEFAULT_NETWORK || !tests.every((t) => t(rec.Labels))) continue;
      try {
        await this.remove(rec.Id, call);
        deleted.push(rec.Name);
      } catch (e) {
        if ((e as GlassError).code !== 'NETWORK_IN_USE') throw e;
      }
    }
    return deleted.sort();
  }

  /**
   * What the host's kernel reports of this root's networks (host-view.ts):
   * interfaces on the host and inside each running container (`containers`:
   * refs; default every running one), glass's rules, routes, conntrack.
   * Read-only: no Step, no event.
   */
  async hostView(opts: { containers?: string[] } & CallOptions = {}): Promise<NetworkHostView> {
    const op = this.begin('network-host-view', opts);
    await this.d.ready(op);
    const recs = await this.d.store.list();
    const ids = opts.containers ? await Promise.all(opts.containers.map((r) => this.d.containers.resolve(r))) : await this.d.containers.ids();
    const want: Array<{ id: string; name: string; pid: number; ips: string[] }> = [];
    for (const id of ids) {
      const info = await this.d.containers.info(id).catch(() => undefined);
      if (!info?.running || !info.pid) continue;
      const ips: string[] = [];
      for (const r of recs) {
        const lease = (await this.d.store.leases(r.Id))[id];
        if (lease) ips.push(lease.ip);
      }
      want.push({ id, name: info.config.name, pid: info.pid, ips });
    }
    return readNetworkHostView(this.net(op.trace), this.d.root, { containers: want, bridges: recs.map(bridgeDevice), subnets: recs.map((r) => subnetOf(r).subnet) });
  }

  private async container(ref: string): Promise<ContainerInfo> {
    const id = await this.d.containers.resolve(ref);
    const info = await this.d.containers.info(id);
    if (!info) throw err('NO_SUCH_CONTAINER', `No such container: ${ref}`);
    return info;
  }

  private async userNetwork(ref: string): Promise<NetworkRecord> {
    const rec = await this.d.store.read(ref);
    if (!rec) {
      if (BUILTIN.includes(ref)) throw err('INVALID_ARGUMENT', `container cannot be disconnected from host network or connected to host network`, 1);
      throw notFound(ref);
    }
    return rec;
  }

  /** Plug a running container into one more network: a veth whose far end becomes ethN in its namespace (no default route: its first network keeps that). */
  private async plug(trace: Tracer, info: ContainerInfo, rec: NetworkRecord, lease: Lease): Promise<void> {
    const ctx = this.net(trace);
    await ensureIsolatedNetwork(ctx, this.d.root, rec);
    const inside = await listLinks(ctx, { pid: info.pid });
    let n = 0;
    while (inside.includes(`eth${n}`)) n++;
    const prefix = subnetOf(rec).subnet.split('/')[1];
    await attachToBridge(ctx, { bridge: rec.Options['com.docker.network.bridge.name']!, hostEnd: extraVethName(info.config.id, rec.Id), ns: { pid: info.pid }, name: `eth${n}`, address: `${lease.ip}/${prefix}`, mac: lease.mac });
  }

  async connect(netRef: string, containerRef: string, opts: { aliases?: string[]; ip?: string } & CallOptions = {}): Promise<void> {
    const op = this.begin('network-connect', opts);
    await this.d.ready(op);
    const rec = await this.userNetwork(netRef);
    const info = await this.container(containerRef);
    op.on(info.config.id);
    const mode = info.config.network?.mode;
    if (mode === 'host' || mode === 'none' || mode?.startsWith('container:')) throw err('INVALID_ARGUMENT', `container cannot be disconnected from host network or connected to host network`, 1);
    const leases = await this.d.store.leases(rec.Id);
    if (leases[info.config.id]) throw err('INVALID_ARGUMENT', `endpoint with name ${info.config.name} already exists in network ${rec.Name}`, 1);
    const lease = await allocate(this.d.store, rec, { id: info.config.id, name: info.config.name }, opts.ip);
    try {
      await this.setAliases(rec, info.config.id, opts.aliases ?? []);
      if (info.running) await this.plug(op.trace, info, rec, lease);
    } catch (e) {
      await release(this.d.store, rec.Id, info.config.id).catch(() => {});
      throw e;
    }
    this.d.events.record('network', 'connect', rec.Id, { container: info.config.id, name: rec.Name, type: 'bridge' });
    await this.refreshHosts(op.trace);
  }

  private async setAliases(rec: NetworkRecord, id: string, aliases: string[]): Promise<void> {
    if (!aliases.length) return;
    await this.d.store.locked(async () => {
      const leases = await this.d.store.leases(rec.Id);
      if (leases[id]) (leases[id] as Lease & { aliases?: string[] }).aliases = aliases;
      await this.d.store.writeLeases(rec.Id, leases);
    });
  }

  async disconnect(netRef: string, containerRef: string, opts: { force?: boolean } & CallOptions = {}): Promise<void> {
    const op = this.begin('network-disconnect', opts);
    await this.d.ready(op);
    const rec = await this.userNetwork(netRef);
    const info = await this.container(containerRef);
    op.on(info.config.id);
    const leases = await this.d.store.leases(rec.Id);
    if (!leases[info.config.id]) throw err('INVALID_ARGUMENT', `container ${info.config.id} is not connected to network ${rec.Name}`, 1);
    if (info.running) {
      const primary = info.config.network?.mode === rec.Name || info.config.network?.mode === rec.Id;
      const dev = primary ? hostVethName(info.config.id) : extraVethName(info.config.id, rec.Id);
      if (linkExists(dev)) await deleteLink(this.net(op.trace), dev, { missingOk: true, why: `The container leaves ${rec.Name}: deleting the host end of its veth pair deletes the end inside its namespace too.` });
    }
    await release(this.d.store, rec.Id, info.config.id);
    this.d.events.record('network', 'disconnect', rec.Id, { container: info.config.id, name: rec.Name, type: 'bridge' });
    await this.refreshHosts(op.trace);
  }

  // ---- what a start needs: extra networks, link variables, live /etc/hosts ------------------

  /**
   * At start, once eth0 is up (the network stage, which also made its first
   * network's bridge and rules, isolation included): the other networks it
   * was connected to, then /etc/hosts, its own and its peers', before its
   * command runs.
   */
  async atStart(trace: Tracer, c: ContainerConfig, pid: number): Promise<void> {
    const mode = c.network?.mode === 'default' ? DEFAULT_NETWORK : c.network?.mode;
    for (const rec of await this.d.store.list()) {
      const lease = (await this.d.store.leases(rec.Id))[c.id];
      if (!lease) continue;
      if (rec.Name === mode || rec.Id === mode) {
        if (c.networkAliases?.length && rec.Name !== DEFAULT_NETWORK) await this.setAliases(rec, c.id, c.networkAliases);
        continue;
      }
      const info = { config: c, pid, running: true } as ContainerInfo;
      await this.plug(trace, info, rec, lease);
    }
    await this.refreshHosts(trace, c.id);
  }

  /** The source of each --link, running (Docker refuses a link to a stopped one), with its address on the default bridge. */
  async linkSources(c: ContainerConfig): Promise<Array<{ alias: string; info: ContainerInfo; ip: string }>> {
    const out: Array<{ alias: string; info: ContainerInfo; ip: string }> = [];
    const bridge = await this.d.store.defaultBridge();
    for (const l of c.links ?? []) {
      const info = await this.d.containers.info(l.id).catch(() => undefined);
      if (!info?.running) throw err('CONTAINER_NOT_RUNNING', `Cannot link to a non running container: /${info?.config.name ?? l.name} AS /${c.name}/${l.alias}`, 125);
      const lease = bridge ? (await this.d.store.leases(bridge.Id))[l.id] : undefined;
      if (!lease) throw err('INVALID_ARGUMENT', `Cannot link to /${info.config.name}, as it does not belong to the default network`, 125);
      out.push({ alias: l.alias, info, ip: lease.ip });
    }
    return out;
  }

  /** The container's environment with its links' variables (Docker's order). */
  async envWithLinks(c: ContainerConfig): Promise<string[]> {
    if (!c.links?.length) return c.env;
    const vars: string[] = [];
    for (const s of await this.linkSources(c)) {
      const src = s.info.config;
      const own = src.env.filter((e) => e !== `HOSTNAME=${src.hostname}` && !(src.tty && e === 'TERM=xterm'));
      vars.push(...linkEnv({ name: `/${c.name}/${s.alias}`, ip: s.ip, exposedPorts: exposedOf(src), env: own }));
    }
    return withLinkEnv(c.env, vars);
  }

  /** One container's /etc/hosts from what is true now: its addresses, --add-host, links, and its networks' running peers. */
  private async hostsOf(c: ContainerConfig, running: ReadonlySet<string>, recs: NetworkRecord[], leasesOf: Map<string, Record<string, Lease & { aliases?: string[] }>>, names: Map<string, ContainerConfig>): Promise<string | undefined> {
    const self: HostsEntry[] = [];
    const peers: HostsEntry[] = [];
    for (const rec of recs) {
      const leases = leasesOf.get(rec.Id)!;
      const mine = leases[c.id];
      if (!mine) continue;
      self.push({ ip: mine.ip, names: [c.hostname] });
      if (rec.Name === DEFAULT_NETWORK) continue; // the default bridge has no name resolution, as in Docker
      for (const [id, l] of Object.entries(leases)) {
        if (id === c.id || !running.has(id)) continue;
        const peer = names.get(id);
        if (peer) peers.push({ ip: l.ip, names: peerNames(peer.name, l.aliases ?? [], rec.Name) });
      }
    }
    if (!self.length) return undefined; // none/host/container:...: the stage's file stays
    const links: HostsEntry[] = [];
    const bridge = recs.find((r) => r.Name === DEFAULT_NETWORK);
    for (const l of c.links ?? []) {
      const src = names.get(l.id);
      const lease = bridge ? leasesOf.get(bridge.Id)![l.id] : undefined;
      if (!src || !lease || !running.has(l.id)) continue;
      const [ip, ...rest] = linkHostsLine(lease.ip, l.alias, l.id, src.name).split(/\s+/);
      links.push({ ip: ip!, names: rest });
    }
    const extra: HostsEntry[] = (c.network?.extraHosts ?? []).map((h) => {
      const colon = h.indexOf(':');
      const ip = h.slice(colon + 1);
      return { ip: ip === 'host-gateway' ? (bridge ? subnetOf(bridge).gateway : '127.0.0.1') : ip, names: [h.slice(0, colon)] };
    });
    return renderHosts({ extra, links, peers: mergeEntries(peers), self: self.slice(0, 1) });
  }

  /**
   * Rewrite, in place, the /etc/hosts of every running container (and of
   * `starting`, which is not yet recorded as running) whose names changed:
   * a peer started, stopped, connected or disconnected, or a linked
   * container came back with a new address.
   */
  async refreshHosts(trace: Tracer, starting?: string): Promise<void> {
    const recs = await this.d.store.list();
    if (!recs.length) return;
    const leasesOf = new Map<string, Record<string, Lease & { aliases?: string[] }>>();
    for (const r of recs) leasesOf.set(r.Id, await this.d.store.leases(r.Id));
    const running = new Set<string>();
    const names = new Map<string, ContainerConfig>();
    for (const id of await this.d.containers.ids()) {
      const info = await this.d.containers.info(id).catch(() => undefined);
      if (!info) continue;
      names.set(id, info.config);
      if (info.running || id === starting) running.add(id);
    }
    for (const id of running) {
      const c = names.get(id)!;
      const text = await this.hostsOf(c, running, recs, leasesOf, names);
      if (text === undefined) continue;
      const path = containerFiles(this.d.containers.dir(id), id).hosts;
      let old = '';
      try {
        old = readFileSync(path, 'utf8');
      } catch { continue; }
      if (old === text) continue;
      await step(
        trace,
        {
          title: `Update ${c.name}'s /etc/hosts`,
          why: 'Name resolution on glass networks is the hosts file, kept live: glass rewrites it in place (same inode, so the bind mount inside the container sees it) whenever a container on one of its networks starts, stops, connects or disconnects. Docker answers names with a DNS server inside the daemon (127.0.0.11); a file shows exactly which names a container knows.',
          command: `cat > ${path} <<'EOF'\n${text}EOF`,
        },
        () => rewriteInPlace(path, text),
      );
    }
  }
}

/** Exposed ports of a container ("80/tcp"), as its config records them. */
function exposedOf(c: ContainerConfig): string[] {
  const ports = (c as { ports?: { exposedPorts?: Record<string, unknown> | string[] } }).ports;
  const e = ports?.exposedPorts;
  if (!e) return [];
  return Array.isArray(e) ? e : Object.keys(e);
}
