/**
 * `--link name[:alias]`: Docker's legacy links on the default bridge. A link
 * is no kernel object: the recipient gets environment variables naming the
 * source's address and exposed ports, and a line for it in /etc/hosts. Both
 * are fixed when the recipient starts (env) or rewritten when the source gets
 * a new address (hosts, see hosts.ts): the env does not follow, as in Docker.
 *
 * The rules follow Docker's daemon/links package (ToEnv) exactly.
 */

export interface LinkSpec {
  /** The source container, as the user named it (name or ID). */
  source: string;
  /** The alias in the recipient; defaults to the source's name. */
  alias: string;
}

/** `--link web:db` / `--link web` / `--link /web:/db` as Docker parses them (opts.ParseLink). */
export function parseLink(value: string): LinkSpec {
  const parts = value.split(':');
  if (value === '' || parts.length > 2 || parts.some((p) => p.replace(/^\//, '') === '')) {
    throw Object.assign(new Error(`invalid value "${value}" for flag --link: bad format for links: ${value}`), { code: 'INVALID_ARGUMENT' });
  }
  const source = parts[0]!.replace(/^\//, '');
  const alias = (parts[1] ?? parts[0]!).replace(/^\//, '');
  return { source, alias };
}

/** A port as "80/tcp". */
interface Port {
  port: number;
  proto: string;
}

function parsePorts(exposed: readonly string[]): Port[] {
  return exposed.map((p) => {
    const [n, proto] = p.split('/');
    return { port: Number(n), proto: (proto || 'tcp').toLowerCase() };
  });
}

/** Docker's order: by number, tcp before another protocol of the same number. */
function sortPorts(ports: Port[]): Port[] {
  // Go's sort.Sort with this less() is not stable; for distinct ports the order is the same.
  return [...ports].sort((a, b) => a.port - b.port || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : 0));
}

function nextContiguous(ports: Port[], value: number, index: number): number {
  if (index + 1 === ports.length) return index;
  for (let i = index + 1; i < ports.length; i++) {
    if (ports[i]!.port > value + 1) return i - 1;
    value++;
  }
  return ports.length - 1;
}

export interface LinkEnvInput {
  /** "/recipient/alias": Docker's link name. */
  name: string;
  /** The source's address on the default bridge. */
  ip: string;
  /** The source's exposed ports ("80/tcp", "53/udp"): image EXPOSE, --expose and -p. */
  exposedPorts: readonly string[];
  /** The source's Config.Env. */
  env: readonly string[];
}

/** The variables a recipient gets for one link, in Docker's order. */
export function linkEnv(l: LinkEnvInput): string[] {
  const alias = l.name.slice(l.name.lastIndexOf('/') + 1).toUpperCase().replace(/-/g, '_');
  const ports = sortPorts(parsePorts(l.exposedPorts));
  const env: string[] = [];
  const up = (p: Port) => `${alias}_PORT_${p.port}_${p.proto.toUpperCase()}`;
  if (ports.length) env.push(`${alias}_PORT=${ports[0]!.proto}://${l.ip}:${ports[0]!.port}`);
  for (let i = 0; i < ports.length; ) {
    const p = ports[i]!;
    const j = nextContiguous(ports, p.port, i);
    if (j > i + 1) {
      const q = ports[j]!;
      env.push(`${up(p)}_START=${p.proto}://${l.ip}:${p.port}`);
      env.push(`${up(p)}_ADDR=${l.ip}`);
      env.push(`${up(p)}_PROTO=${p.proto}`);
      env.push(`${up(p)}_PORT_START=${p.port}`);
      env.push(`${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_END=${q.proto}://${l.ip}:${q.port}`);
      env.push(`${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_PORT_END=${q.port}`);
      i = j + 1;
    } else {
      i++;
    }
  }
  for (const p of ports) {
    env.push(`${up(p)}=${p.proto}://${l.ip}:${p.port}`);
    env.push(`${up(p)}_ADDR=${l.ip}`);
    env.push(`${up(p)}_PORT=${p.port}`);
    env.push(`${up(p)}_PROTO=${p.proto}`);
  }
  env.push(`${alias}_NAME=${l.name}`);
  for (const v of l.env) {
    const eq = v.indexOf('=');
    if (eq < 0) continue;
    const k = v.slice(0, eq);
    // Docker leaves out what a build sets for every image, meaningless in another container.
    if (k === 'HOME' || k === 'PATH') continue;
    env.push(`${alias}_ENV_${k}=${v.slice(eq + 1)}`);
  }
  return env;
}

/**
 * Docker's daemon environment order: PATH, HOSTNAME, (TERM), the links' variables,
 * then the container's own Config.Env replacing or appending by key.
 */
export function withLinkEnv(containerEnv: readonly string[], links: readonly string[]): string[] {
  if (!links.length) return [...containerEnv];
  const key = (v: string) => (v.includes('=') ? v.slice(0, v.indexOf('=')) : v);
  const head = containerEnv.filter((v) => key(v) === 'PATH' || key(v) === 'HOSTNAME');
  const out = [...head, ...links];
  for (const v of containerEnv) {
    if (head.includes(v)) continue;
    const i = out.findIndex((o) => key(o) === key(v));
    if (i >= 0) out[i] = v;
    else out.push(v);
  }
  return out;
}

/** The hosts line Docker writes for a link: `IP alias ID12 name` (alias and name once if the same). */
export function linkHostsLine(ip: string, alias: string, id: string, name: string): string {
  const names = [alias, id.slice(0, 12)];
  if (name !== alias) names.push(name);
  return `${ip}\t${names.join(' ')}`;
}
