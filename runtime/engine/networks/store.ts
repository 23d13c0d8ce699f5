import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonIfExists, writeJson } from '../state/files.js';
import { withLock } from '../state/lock.js';
import type { Paths } from '../state/paths.js';
import { defaultBridgeName } from './names.js';

/**
 * A network as `docker network inspect` shows it, kept in
 * <root>/networks/<id>/network.json. `Containers` is not stored here: it is
 * made from the leases (leases.json beside it) when shown.
 */
export interface NetworkRecord {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: 'bridge';
  EnableIPv6: boolean;
  IPAM: { Driver: 'default'; Options: Record<string, string> | null; Config: { Subnet: string; Gateway: string }[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  /** com.docker.network.bridge.name holds the host's bridge device. */
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** One container's address on a network. */
export interface Lease {
  ip: string;
  mac: string;
  /** The container's name when it got the lease (for network inspect's Containers). */
  name: string;
  endpointId: string;
  /** Given with --ip (Docker keeps such an address across restarts). */
  requested?: boolean;
}

/** container id → its lease. */
export type Leases = Record<string, Lease>;

export const DEFAULT_NETWORK = 'bridge';

/** The bridge device of a network. */
export function bridgeDevice(n: NetworkRecord): string {
  return n.Options['com.docker.network.bridge.name']!;
}

export function subnetOf(n: NetworkRecord): { subnet: string; gateway: string } {
  const c = n.IPAM.Config[0]!;
  return { subnet: c.Subnet, gateway: c.Gateway };
}

/**
 * Networks of one state root. Changes to the set of networks and to leases
 * happen under one lock per root (<root>/networks), so two glass processes
 * never hand out the same address or make two default bridges.
 */
export class NetworkStore {
  constructor(readonly paths: Paths) {}

  get dir(): string {
    return join(this.paths.root, 'networks');
  }

  private file(id: string, name: 'network.json' | 'leases.json'): string {
    return join(this.dir, id, name);
  }

  /** Run fn holding the root's network lock (re-entrant within one operation). */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(this.dir, fn);
  }

  async list(): Promise<NetworkRecord[]> {
    if (!existsSync(this.dir)) return [];
    const out: NetworkRecord[] = [];
    for (const id of readdirSync(this.dir)) {
      const n = await readJsonIfExists<NetworkRecord>(this.file(id, 'network.json')).catch(() => undefined);
      if (n) out.push(n);
    }
    return out.sort((a, b) => a.Created.localeCompare(b.Created));
  }

  /** By full id, name, or unique id prefix (Docker's order: id, name, prefix). */
  async read(ref: string): Promise<NetworkRecord | undefined> {
    const all = await this.list();
    return all.find((n) => n.Id === ref) ?? all.find((n) => n.Name === ref) ?? (ref ? onlyOne(all.filter((n) => n.Id.startsWith(ref))) : undefined);
  }

  async write(n: NetworkRecord): Promise<void> {
    mkdirSync(join(this.dir, n.Id), { recursive: true });
    await writeJson(this.file(n.Id, 'network.json'), n);
  }

  async remove(id: string): Promise<void> {
    rmSync(join(this.dir, id), { recursive: true, force: true });
  }

  async leases(id: string): Promise<Leases> {
    return (await readJsonIfExists<Leases>(this.file(id, 'leases.json')).catch(() => undefined)) ?? {};
  }

  async writeLeases(id: string, leases: Leases): Promise<void> {
    mkdirSync(join(this.dir, id), { recursive: true });
    await writeJson(this.file(id, 'leases.json'), leases);
  }

  /** A new network record (not yet written): Docker's inspect fields, bridge options for a bridge device. */
  newRecord(name: string, subnet: string, gateway: string, device: string, opts: { internal?: boolean; labels?: Record<string, string>; isDefault?: boolean } = {}): NetworkRecord {
    return {
      Name: name,
      Id: randomBytes(32).toString('hex'),
      Created: new Date().toISOString(),
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: opts.isDefault ? null : {}, Config: [{ Subnet: subnet, Gateway: gateway }] },
      Internal: !!opts.internal,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Options: opts.isDefault
        ? {
            'com.docker.network.bridge.default_bridge': 'true',
            'com.docker.network.bridge.enable_icc': 'true',
            'com.docker.network.bridge.enable_ip_masquerade': 'true',
            'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
            'com.docker.network.bridge.name': device,
            'com.docker.network.driver.mtu': '1500',
          }
        : { 'com.docker.network.bridge.name': device },
      Labels: opts.labels ?? {},
    };
  }

  /** The default `bridge` network's record, if this root has made it. */
  async defaultBridge(): Promise<NetworkRecord | undefined> {
    return (await this.list()).find((n) => n.Name === DEFAULT_NETWORK);
  }

  /** The default bridge's device name for this root. */
  defaultDevice(): string {
    return defaultBridgeName(this.paths.root);
  }
}

function onlyOne<T>(xs: T[]): T | undefined {
  return xs.length === 1 ? xs[0] : undefined;
}
