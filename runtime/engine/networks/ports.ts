/**
 * Published and exposed ports: the pure rules, no host access.
 *
 * - `-p/--publish` specs parsed as Docker's CLI parses them (go-connections'
 *   nat.ParsePortSpecs), with its error words: `ip:hostPort:containerPort`,
 *   `ip::containerPort`, `hostPort:containerPort`, `containerPort`, each port
 *   a number or a range `8000-8002`, `/tcp` (default), `/udp` or `/sctp`.
 * - `--expose` (Docker's CLI: no ":" allowed, ranges expanded).
 * - `-P`: every exposed port without a binding gets a dynamic one.
 * - The formats users see: `glass port`, ps's PORTS column (Docker's
 *   DisplayablePorts, ranges collapsed), inspect's port maps.
 */

export type Proto = 'tcp' | 'udp' | 'sctp';

/** One host side of a published port, as inspect shows it ({"HostIp":"","HostPort":"8080"}). */
export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

/** "80/tcp" → its bindings (HostConfig.PortBindings and NetworkSettings.Ports). */
export type PortMap = Record<string, PortBinding[]>;

/** A bad -p/--expose value: the CLI shows it as Docker's CLI does (exit 125, "See '... --help'"). */
export class PortSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortSpecError';
  }
}

/** Go's strconv.ParseUint(s, 10, 16): digits only, ≤ 65535. */
function parseUint16(s: string): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/** nat.ParsePortRange: "80" or "8000-8002" → [start, end]; throws Go's words. */
export function parsePortRange(ports: string): [number, number] {
  if (ports === '') throw new PortSpecError('Empty string specified for ports.');
  const syntax = (v: string) => new PortSpecError(`strconv.ParseUint: parsing ${JSON.stringify(v)}: ${/^[0-9]+$/.test(v) ? 'value out of range' : 'invalid syntax'}`);
  if (!ports.includes('-')) {
    const n = parseUint16(ports);
    if (n === undefined) throw syntax(ports);
    return [n, n];
  }
  const parts = ports.split('-');
  const start = parseUint16(parts[0]!);
  if (start === undefined) throw syntax(parts[0]!);
  const end = parseUint16(parts[1]!);
  if (end === undefined) throw syntax(parts[1]!);
  if (end < start) throw new PortSpecError(`Invalid range specified for the Port: ${ports}`);
  return [start, end];
}

/** nat.SplitProtoPort: "80/udp" → ["udp", "80"], "80" → ["tcp", "80"]. */
export function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw.length === 0 || parts[0]!.length === 0) return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1]!.length === 0) return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  const container = parts[n - 1]!;
  if (n === 1) return ['', '', container];
  if (n === 2) return ['', parts[0]!, container];
  if (n === 3) return [parts[0]!, parts[1]!, container];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2]!, container];
}

const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/** Go's net.ParseIP, enough for the forms users type (IPv4 dotted quad; IPv6 with colons). */
export function isIp(s: string): boolean {
  if (IPV4.test(s)) return true;
  if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  const double = s.split('::').length - 1;
  if (double > 1) return false;
  const groups = s.split(':').filter((g) => g !== '');
  const last = groups.at(-1) ?? '';
  const v4tail = IPV4.test(last);
  const hex = v4tail ? groups.slice(0, -1) : groups;
  if (!hex.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const count = hex.length + (v4tail ? 2 : 0);
  return double ? count < 8 : count === 8;
}

export interface PortMapping {
  /** "80/tcp" */
  port: string;
  binding: PortBinding;
}

/** nat.ParsePortSpec: one -p value → one mapping per container port. */
export function parsePortSpec(raw: string): PortMapping[] {
  const [rawIp, hostPort0, containerPart] = splitParts(raw);
  const [proto, containerPort] = splitProtoPort(containerPart);
  // Go strips the [] of an IPv6 address ("[::1]:8080:80").
  let ip = rawIp;
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  else if (ip.includes('[') || ip.includes(']')) throw new PortSpecError(`Invalid ip address ${rawIp}: address ${rawIp}:: missing port in address`);
  if (ip !== '' && !isIp(ip)) throw new PortSpecError(`Invalid ip address: ${ip}`);
  if (containerPort === '') throw new PortSpecError(`No port specified: ${raw}<empty>`);
  let start: number, end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new PortSpecError(`Invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0;
  let hostEnd = 0;
  if (hostPort0.length > 0) {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPort0);
    } catch {
      throw new PortSpecError(`Invalid hostPort: ${hostPort0}`);
    }
  }
  // A host range for a single container port is the range to allocate from; otherwise the sizes must match.
  if (hostPort0 !== '' && end - start !== hostEnd - hostStart && end !== start) {
    throw new PortSpecError(`Invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort0}`);
  }
  const p = proto.toLowerCase();
  if (p !== 'tcp' && p !== 'udp' && p !== 'sctp') throw new PortSpecError(`Invalid proto: ${proto}`);
  // Docker's daemon refuses port 0 on the container side (nothing can listen there to be reached).
  if (start === 0) throw new PortSpecError(`Invalid containerPort: ${containerPort}`);
  const out: PortMapping[] = [];
  for (let i = 0; i <= end - start; i++) {
    let hostPort = '';
    if (hostPort0.length > 0) hostPort = String(hostStart + i);
    if (start === end && hostStart !== hostEnd) hostPort = `${hostStart}-${hostEnd}`;
    // Host port 0 means "any", as Docker treats it.
    if (hostPort === '0') hostPort = '';
    out.push({ port: `${start + i}/${p}`, binding: { HostIp: ip, HostPort: hostPort } });
  }
  return out;
}

/** nat.ParsePortSpecs: all -p values → ExposedPorts and PortBindings (a later duplicate binding is kept once). */
export function parsePortSpecs(specs: readonly string[]): { exposed: Record<string, object>; bindings: PortMap } {
  const exposed: Record<string, object> = {};
  const bindings: PortMap = {};
  for (const raw of specs) {
    for (const { port, binding } of parsePortSpec(raw)) {
      exposed[port] ??= {};
      const list = (bindings[port] ??= []);
      if (!list.some((b) => b.HostIp === binding.HostIp && b.HostPort === binding.HostPort)) list.push(binding);
    }
  }
  return { exposed, bindings };
}

/** --expose values as Docker's CLI reads them: "80", "53/udp", "8000-8002/tcp"; no ":". */
export function parseExpose(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of values) {
    if (e.includes(':')) throw new PortSpecError(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    let start: number, end: number;
    try {
      [start, end] = parsePortRange(port);
    } catch (err) {
      throw new PortSpecError(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`);
    }
    const p = proto.toLowerCase();
    if (p !== 'tcp' && p !== 'udp' && p !== 'sctp') throw new PortSpecError(`invalid proto: ${proto}`);
    if (start === 0) throw new PortSpecError(`invalid port format for --expose: ${e}`);
    for (let i = start; i <= end; i++) if (!out.includes(`${i}/${p}`)) out.push(`${i}/${p}`);
  }
  return out;
}

export interface PortOptions {
  publish?: readonly string[];
  expose?: readonly string[];
  publishAll?: boolean;
}

export interface ContainerPorts {
  /** Config.ExposedPorts: the image's, --expose and -p's container ports. */
  exposedPorts: Record<string, object>;
  /** HostConfig.PortBindings: the -p values as given (HostIp "" = every address, HostPort "" = pick one). */
  portBindings: PortMap;
  /** HostConfig.PublishAllPorts (-P). */
  publishAll: boolean;
}

/** The create-time port config: checked here so a bad value fails before anything is made. */
export function resolvePorts(opts: PortOptions, imageExposed: Record<string, object> | undefined): ContainerPorts {
  const { exposed, bindings } = parsePortSpecs(opts.publish ?? []);
  const all: Record<string, object> = { ...(imageExposed ?? {}) };
  for (const p of parseExpose(opts.expose ?? [])) all[p] = {};
  for (const p of Object.keys(exposed)) all[p] = {};
  // Go's encoding/json writes a map's keys sorted as strings: inspect shows them so.
  return { exposedPorts: goSorted(all), portBindings: goSorted(bindings), publishAll: !!opts.publishAll };
}

/** A copy with its keys in Go's JSON order (byte order). */
function goSorted<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]!]));
}

/** What start publishes: -p's bindings, plus (with -P) a dynamic binding for every other exposed port. */
export function wantedBindings(ports: ContainerPorts): PortMap {
  const out: PortMap = {};
  for (const [p, list] of Object.entries(ports.portBindings)) out[p] = list.map((b) => ({ ...b }));
  if (ports.publishAll) {
    for (const p of Object.keys(ports.exposedPorts)) if (!out[p]?.length) out[p] = [{ HostIp: '', HostPort: '' }];
  }
  return out;
}

/** One host port to set up: the container port, its protocol, the host address and a resolved host port. */
export interface PublishedPort {
  containerPort: number;
  proto: Proto;
  /** "0.0.0.0" for every address, else the one -p named. */
  hostIp: string;
  hostPort: number;
}

export function portKey(p: { containerPort: number; proto: string }): string {
  return `${p.containerPort}/${p.proto}`;
}

/**
 * Resolve dynamic host ports. `taken(ip, port, proto)` says whether a host port
 * cannot be used (glass's own, or another program's); `range` is the kernel's
 * ephemeral range (/proc/sys/net/ipv4/ip_local_port_range). Docker allocates
 * upwards from the range's start; so does this. An explicit port is returned as
 * it is (the caller checks it, to name who holds it).
 */
export async function allocate(
  bindings: PortMap,
  range: [number, number],
  taken: (ip: string, port: number, proto: Proto) => Promise<boolean>,
): Promise<PublishedPort[]> {
  const out: PublishedPort[] = [];
  const mine = (ip: string, port: number, proto: string) => out.some((o) => o.hostPort === port && o.proto === proto && (o.hostIp === ip || o.hostIp === '0.0.0.0' || ip === '0.0.0.0'));
  for (const key of sortPortKeys(Object.keys(bindings))) {
    const [num, proto] = key.split('/') as [string, Proto];
    for (const b of bindings[key]!) {
      const hostIp = b.HostIp || '0.0.0.0';
      let candidates: number[];
      if (b.HostPort === '') candidates = rangeList(range[0], range[1]);
      else {
        const [s, e] = parsePortRange(b.HostPort);
        if (s === e) {
          out.push({ containerPort: Number(num), proto, hostIp, hostPort: s });
          continue;
        }
        candidates = rangeList(s, e);
      }
      let got: number | undefined;
      for (const c of candidates) {
        if (mine(hostIp, c, proto)) continue;
        if (await taken(hostIp, c, proto)) continue;
        got = c;
        break;
      }
      if (got === undefined) {
        const r = b.HostPort === '' ? `${range[0]}-${range[1]}` : b.HostPort;
        throw new PortSpecError(`Bind for ${hostIp}:${r} failed: no free port in the range (all ports are allocated)`);
      }
      out.push({ containerPort: Number(num), proto, hostIp, hostPort: got });
    }
  }
  return out;
}

function rangeList(s: number, e: number): number[] {
  const out: number[] = [];
  for (let i = s; i <= e; i++) out.push(i);
  return out;
}

/** /proc/sys/net/ipv4/ip_local_port_range's text ("32768\t60999") → [32768, 60999]. */
export function parseLocalPortRange(text: string): [number, number] {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  if (!m) return [32768, 60999];
  return [Number(m[1]), Number(m[2])];
}

/** Port keys in Docker's order: by number, then protocol. */
export function sortPortKeys(keys: string[]): string[] {
  return [...keys].sort((a, b) => {
    const [na, pa] = a.split('/');
    const [nb, pb] = b.split('/');
    return Number(na) - Number(nb) || (pa! < pb! ? -1 : pa! > pb! ? 1 : 0);
  });
}

/** NetworkSettings.Ports of a running container: every exposed port, null when it is not published. */
export function networkSettingsPorts(exposed: Record<string, object>, published: readonly PublishedPort[]): Record<string, PortBinding[] | null> {
  const out: Record<string, PortBinding[] | null> = {};
  for (const k of [...new Set([...Object.keys(exposed), ...published.map(portKey)])].sort()) {
    const list = published.filter((p) => portKey(p) === k).map((p) => ({ HostIp: p.hostIp, HostPort: String(p.hostPort) }));
    out[k] = list.length ? list : null;
  }
  return out;
}

/** Go's net.JoinHostPort. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's sortorder.NaturalLess: digit runs compared as numbers. */
export function naturalLess(a: string, b: string): boolean {
  const re = /(\d+)|(\D+)/g;
  const ta = a.match(re) ?? [];
  const tb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      if (Number(x) !== Number(y)) return Number(x) < Number(y);
      return x.length < y.length;
    }
    return x < y;
  }
  return ta.length < tb.length;
}

/**
 * `glass port CONTAINER [PORT[/proto]]`: Docker's lines ("80/tcp -> 0.0.0.0:8080"
 * without a port; "0.0.0.0:8080" with one). Returns undefined when the asked
 * port is not published (the CLI prints Docker's "No public port" error).
 */
export function portLines(ports: Record<string, PortBinding[] | null>, asked?: string): string[] | undefined {
  if (asked !== undefined) {
    const [proto0, num] = splitProtoPort(asked);
    const key = `${num}/${proto0 || 'tcp'}`;
    const list = ports[key];
    if (!list?.length) return undefined;
    return list.map((b) => joinHostPort(b.HostIp, b.HostPort));
  }
  const out: string[] = [];
  for (const [k, list] of Object.entries(ports)) for (const b of list ?? []) out.push(`${k} -> ${joinHostPort(b.HostIp, b.HostPort)}`);
  return out.sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
}

/** The key `glass port web 80` asks for, checked as Docker's CLI checks it ("80", "80/udp"). */
export function askedPortKey(asked: string): string {
  const [proto, num] = splitProtoPort(asked);
  if (parseUint16(num) === undefined) throw new PortSpecError(`Error: invalid port (${num})`);
  return `${num}/${proto || 'tcp'}`;
}

/** One row of Docker's API list (types.Port: GET /containers/json's Ports). */
export interface ApiPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** NetworkSettings.Ports → Docker's list rows (an exposed-only port: no IP, no PublicPort). */
export function apiPorts(ports: Record<string, PortBinding[] | null>): ApiPort[] {
  const list: ApiPort[] = [];
  for (const [k, bindings] of Object.entries(ports)) {
    const [num, type] = k.split('/');
    if (!bindings?.length) list.push({ PrivatePort: Number(num), Type: type! });
    else for (const b of bindings) list.push({ IP: b.HostIp, PrivatePort: Number(num), PublicPort: Number(b.HostPort), Type: type! });
  }
  return list;
}

/** ps's PORTS column: Docker's DisplayablePorts (same-address consecutive ports collapsed to ranges). */
export function displayablePorts(ports: Record<string, PortBinding[] | null> | readonly ApiPort[]): string {
  const list = (Array.isArray(ports) ? [...ports] : apiPorts(ports as Record<string, PortBinding[] | null>)).map((p) => ({ IP: p.IP ?? '', PrivatePort: p.PrivatePort, PublicPort: p.PublicPort ?? 0, Type: p.Type }));
  list.sort((i, j) => i.PrivatePort - j.PrivatePort || (i.IP < j.IP ? -1 : i.IP > j.IP ? 1 : 0) || i.PublicPort - j.PublicPort || (i.Type < j.Type ? -1 : i.Type > j.Type ? 1 : 0));
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const p of list) {
    const current = p.PrivatePort;
    let key = p.Type;
    if (p.IP !== '') {
      if (p.PublicPort !== current) {
        hostMappings.push(`${joinHostPort(p.IP, String(p.PublicPort))}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    // Go re-creates the group; the map keeps the key's first insertion order.
    g.first = current;
    g.last = current;
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

function formGroup(key: string, start: number, last: number): string {
  const slash = key.lastIndexOf('/');
  const ip = slash >= 0 ? key.slice(0, slash) : '';
  const type = slash >= 0 ? key.slice(slash + 1) : key;
  let group = String(start);
  if (start !== last) group = `${group}-${last}`;
  if (ip !== '') group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${type}`;
}
