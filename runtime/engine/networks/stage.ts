import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attachToBridge, deleteLink, hostSubnets, linkExists, overlapping, withHostLock, type NetContext } from '../../kernel/net/index.js';
import { hostResolvConf } from '../../kernel/host.js';
import type { Tracer } from '../../kernel/step.js';
import { GlassError } from '../errors.js';
import type { StartStage, StageContext } from '../containers/pipeline.js';
import type { ContainerConfig } from '../containers/types.js';
import { removeNetworkFromHost } from './bridge.js';
import { ensureIsolatedNetwork } from './isolation.js';
import { hostsFile, resolvConf } from './etc.js';
import { allocate, chooseSubnet, gatewayOf, release } from './ipam.js';
import { hostVethName } from './names.js';
import { bridgeDevice, DEFAULT_NETWORK, subnetOf, type NetworkRecord, type NetworkStore } from './store.js';

/**
 * The `network` start stage. Before the shim: the network's bridge (made on
 * first use), an address lease, and the container's /etc/hosts and
 * /etc/resolv.conf. Once the init exists, before "go": a veth pair from the
 * bridge into the init's network namespace, configured as eth0 with its
 * address, loopback up, and a default route via the bridge. Undo: the host
 * veth (its peer goes with it), the lease, and the bridge when nothing else
 * uses it.
 */

/** What a running container's network looks like: <dir>/network.json, read by inspect. */
export interface NetworkAttachment {
  networkId: string;
  networkName: string;
  bridge: string;
  hostVeth: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  endpointId: string;
}

export const ATTACHMENT_FILE = 'network.json';

export function readAttachment(dir: string): NetworkAttachment | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, ATTACHMENT_FILE), 'utf8')) as NetworkAttachment;
  } catch {
    return undefined;
  }
}

/** The network mode of a container (old containers, made before networks: none). */
export function modeOf(c: ContainerConfig): string {
  const mode = c.network?.mode ?? 'none';
  return mode === 'default' ? DEFAULT_NETWORK : mode;
}

/**
 * The default `bridge` network's record for this root, made on first use
 * with a subnet that overlaps no host route (`ip route`) and no other glass
 * network of the root. Call under the store's lock.
 */
export async function defaultNetwork(store: NetworkStore, ctx: NetContext): Promise<NetworkRecord & { justChosen?: boolean }> {
  const existing = await store.defaultBridge();
  if (existing) return existing;
  const subnet = await freeSubnet(store, ctx);
  const rec = store.newRecord(DEFAULT_NETWORK, subnet, gatewayOf(subnet), store.defaultDevice(), { isDefault: true });
  await store.write(rec);
  return { ...rec, justChosen: true };
}

async function freeSubnet(store: NetworkStore, ctx: NetContext, except?: string): Promise<string> {
  const taken = (await store.list()).filter((n) => n.Id !== except).map((n) => subnetOf(n).subnet);
  const subnet = chooseSubnet(await hostSubnets(ctx), taken);
  if (!subnet) throw new GlassError('INVALID_ARGUMENT', 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network', 125);
  return subnet;
}

/**
 * Bring a network's bridge up on the host if it is not (first container, or
 * after a reboot). A network with no leases whose subnet some other interface
 * took meanwhile (another state root's bridge) moves to a free one first.
 * Under a host-wide lock: two roots never pick the same subnet at once.
 */
async function bringUp(store: NetworkStore, ctx: NetContext, root: string, net: NetworkRecord & { justChosen?: boolean }): Promise<NetworkRecord> {
  const { justChosen, ...record } = net;
  net = record;
  if (linkExists(bridgeDevice(net))) return net;
  return withHostLock('subnets', async () => {
    if (linkExists(bridgeDevice(net))) return net;
    const leases = await store.leases(net.Id);
    // (A subnet chosen just now was checked against the host's routes already.)
    if (!justChosen && !Object.keys(leases).length && net.Name === DEFAULT_NETWORK && overlapping(subnetOf(net).subnet, await hostSubnets(ctx)).length) {
      const subnet = await freeSubnet(store, ctx, net.Id);
      net = { ...net, IPAM: { ...net.IPAM, Config: [{ Subnet: subnet, Gateway: gatewayOf(subnet) }] } };
      await store.write(net);
    }
    await ensureIsolatedNetwork(ctx, root, net);
    return net;
  });
}

/**
 * Give a container's lease back and delete its host veth if still there (a
 * stopped container's went with its namespace); the network's bridge and
 * rules go when this was its last lease. For rm and for a failed start.
 */
export async function releaseContainerNetworks(trace: Tracer, root: string, store: NetworkStore, c: ContainerConfig, dir?: string): Promise<void> {
  const ctx: NetContext = { trace };
  const veth = hostVethName(c.id);
  if (linkExists(veth)) await deleteLink(ctx, veth, { missingOk: true, why: "The container is gone: the host end of its veth pair goes (and the kernel deletes the other end with it)." });
  if (dir) rmSync(join(dir, ATTACHMENT_FILE), { force: true });
  await store.locked(async () => {
    for (const net of await store.list()) {
      await release(store, net.Id, c.id);
      // Also a bridge some killed glass process made without leasing an address on it: unused, it goes.
      if (linkExists(bridgeDevice(net)) && !Object.keys(await store.leases(net.Id)).length) await removeNetworkFromHost(ctx, root, net);
    }
  });
}

export interface NetworkStageDeps {
  root: string;
  store: NetworkStore;
  config: ContainerConfig;
  dir: string;
  /** Paths of the container's hosts and resolv.conf files (bind-mounted by the shim). */
  files: { hosts: string; resolvConf: string };
  /** For container:ID: the running target's init pid and state dir, or an error. */
  joinTarget?: () => Promise<{ pid: number; dir: string }>;
}

export interface NetworkStage extends StartStage {
  /** Set by prepare: what the shim must do about the network namespace. */
  shim: { hostNetwork?: boolean; joinNetns?: string };
}

export function networkStage(d: NetworkStageDeps): NetworkStage {
  const c = d.config;
  const mode = modeOf(c);
  let lease: (Awaited<ReturnType<typeof allocate>> & { net: NetworkRecord }) | undefined;
  const stage: NetworkStage = {
    name: 'network',
    shim: {},
    async prepare(ctx: StageContext) {
      const nctx: NetContext = { trace: ctx.trace };
      if (mode === 'none' || mode === 'host') {
        stage.shim.hostNetwork = mode === 'host';
        writeFileSync(d.files.hosts, mode === 'host' ? hostHostsFile(c) : hostsFile({ hostname: c.hostname, extraHosts: c.network?.extraHosts }));
        writeFileSync(d.files.resolvConf, resolvConf(hostResolvConf(), c.network));
        return;
      }
      if (mode.startsWith('container:')) {
        const target = await d.joinTarget!();
        stage.shim.joinNetns = `/proc/${target.pid}/ns/net`;
        // Docker: the container shares the other's hosts and resolv.conf too.
        for (const f of ['hosts', 'resolv.conf'] as const) {
          const from = join(target.dir, f);
          if (existsSync(from)) writeFileSync(f === 'hosts' ? d.files.hosts : d.files.resolvConf, readFileSync(from));
        }
        return;
      }
      lease = await d.store.locked(async () => {
        let net = mode === DEFAULT_NETWORK ? await defaultNetwork(d.store, nctx) : await d.store.read(mode);
        if (!net) throw new GlassError('INVALID_ARGUMENT', `network ${mode} not found`, 125);
        net = await bringUp(d.store, nctx, d.root, net);
        return { ...(await allocate(d.store, net, { id: c.id, name: c.name }, c.network?.ip)), net };
      });
      writeFileSync(d.files.hosts, hostsFile({ hostname: c.hostname, ip: lease.ip, extraHosts: c.network?.extraHosts, gateway: lease.gateway }));
      writeFileSync(d.files.resolvConf, resolvConf(hostResolvConf(), c.network));
    },
    async atPid(ctx: StageContext, pid: number) {
      if (!lease) return;
      const att: NetworkAttachment = {
        networkId: lease.net.Id,
        networkName: lease.net.Name,
        bridge: bridgeDevice(lease.net),
        hostVeth: hostVethName(c.id),
        ip: lease.ip,
        prefixLen: lease.prefixLen,
        gateway: lease.gateway,
        mac: lease.mac,
        endpointId: lease.endpointId,
      };
      await attachToBridge({ trace: ctx.trace }, {
        bridge: att.bridge,
        hostEnd: att.hostVeth,
        ns: { pid },
        address: `${att.ip}/${att.prefixLen}`,
        gateway: lease.net.Internal ? undefined : att.gateway,
        mac: att.mac,
      });
      writeFileSync(join(d.dir, ATTACHMENT_FILE), JSON.stringify(att));
    },
    async undo(ctx: StageContext) {
      // Whatever the failed start made: the veth, the lease, a bridge left with no container.
      if (mode === 'none' || mode === 'host' || mode.startsWith('container:')) return;
      await releaseContainerNetworks(ctx.trace, d.root, d.store, c, d.dir);
    },
  };
  return stage;
}

/** --network host: the host's /etc/hosts (the container sees the host's names and interfaces), plus --add-host lines. */
function hostHostsFile(c: ContainerConfig): string {
  let text = '';
  try {
    text = readFileSync('/etc/hosts', 'utf8');
  } catch { /* none */ }
  if (text && !text.endsWith('\n')) text += '\n';
  for (const h of c.network?.extraHosts ?? []) {
    const colon = h.indexOf(':');
    text += `${h.slice(colon + 1)}\t${h.slice(0, colon)}\n`;
  }
  return text;
}
