import { BlockList, isIP } from 'node:net';
import { GlassError } from '../errors.js';
import { DEFAULT_TAG, fullyQualifiedName, parseReference } from '../images/reference.js';

/**
 * Where an image reference lives on the network. A reference names a
 * repository on a registry ("docker.io/library/alpine"); the registry's
 * HTTP API (the OCI distribution spec, "registry v2") serves it under
 *
 *   <scheme>://<host>/v2/<path>/manifests/<tag or digest>
 *   <scheme>://<host>/v2/<path>/blobs/<digest>
 *
 * Docker Hub is the default registry: its name is docker.io, but its API
 * answers at registry-1.docker.io, and official images live in the
 * "library/" namespace ("alpine" is docker.io/library/alpine).
 */
export interface RegistryName {
  /** The registry as written in the reference: "docker.io", "127.0.0.1:5000", "ghcr.io". */
  domain: string;
  /** The host[:port] to connect to: "registry-1.docker.io" for Docker Hub, else `domain`. */
  host: string;
  /** The repository path on that registry: "library/alpine", "me/app". */
  path: string;
  /** The familiar name glass stores and prints: "alpine", "127.0.0.1:5000/me/app". */
  familiar: string;
  /** The tag asked for (defaults to latest unless a digest was given). */
  tag?: string;
  /** "sha256:<hex>" when the reference pins a manifest digest. */
  digest?: string;
  /** Whether the tag was defaulted (Docker prints "Using default tag: latest"). */
  defaultedTag: boolean;
}

export const DOCKER_HUB_DOMAIN = 'docker.io';
export const DOCKER_HUB_HOST = 'registry-1.docker.io';
/** The key Docker Hub's credentials are stored under in config.json (a legacy URL, kept for compatibility). */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

/** Parse a reference ("alpine", "127.0.0.1:5000/x/y:t", "x@sha256:...") into where to fetch it. */
export function resolveName(ref: string): RegistryName {
  const r = parseReference(ref);
  const full = fullyQualifiedName(r.repository); // docker.io/library/alpine, 127.0.0.1:5000/x/y
  const slash = full.indexOf('/');
  const domain = full.slice(0, slash);
  const path = full.slice(slash + 1);
  const defaultedTag = !r.tag && !r.digest;
  return {
    domain: domain === 'index.docker.io' ? DOCKER_HUB_DOMAIN : domain,
    host: domain === DOCKER_HUB_DOMAIN || domain === 'index.docker.io' ? DOCKER_HUB_HOST : domain,
    path,
    familiar: r.repository,
    tag: r.tag ?? (r.digest ? undefined : DEFAULT_TAG),
    digest: r.digest,
    defaultedTag,
  };
}

/** What the manifest URL asks for: the digest if pinned, else the tag. */
export function manifestReference(name: RegistryName): string {
  return name.digest ?? name.tag ?? DEFAULT_TAG;
}

/** "alpine:latest" or "alpine@sha256:..." — the full familiar name Docker prints last. */
export function familiarReference(name: RegistryName): string {
  return name.digest ? `${name.familiar}@${name.digest}` : `${name.familiar}:${name.tag ?? DEFAULT_TAG}`;
}

/** The key a registry's credentials are stored under in config.json (Docker's convention). */
export function registryKeyOfDomain(domain: string): string {
  return domain === DOCKER_HUB_DOMAIN ? DOCKER_HUB_KEY : domain;
}

/** "host:port" -> host without port (IPv6 brackets removed). */
export function hostnameOf(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  const colon = hostPort.lastIndexOf(':');
  return colon > 0 && hostPort.indexOf(':') === colon ? hostPort.slice(0, colon) : hostPort;
}

/**
 * Whether glass may speak plain HTTP to this registry. Like Docker: never
 * by default, except to the loopback registries (127.0.0.0/8, ::1,
 * localhost: the traffic never leaves the machine) and those the user lists
 * as insecure ("host:port", "host", or a CIDR such as "10.0.0.0/8", as in
 * daemon.json's insecure-registries). Everything else is HTTPS with the
 * certificate checked.
 */
export function allowsPlainHttp(hostPort: string, insecureRegistries: readonly string[] = []): boolean {
  const host = hostnameOf(hostPort);
  if (host === 'localhost' || isLoopbackIp(host)) return true;
  for (const entry of insecureRegistries) {
    const e = entry.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '');
    if (!e) continue;
    if (e === hostPort || e === host) return true;
    const cidr = /^(.+)\/(\d{1,3})$/.exec(e);
    if (cidr && isIP(host) && isIP(cidr[1]!)) {
      const list = new BlockList();
      const family = isIP(cidr[1]!) === 6 ? 'ipv6' : 'ipv4';
      try {
        list.addSubnet(cidr[1]!, Number(cidr[2]), family);
        if (list.check(host, isIP(host) === 6 ? 'ipv6' : 'ipv4')) return true;
      } catch {
        throw new GlassError('INVALID_ARGUMENT', `insecure-registries: "${entry}" is not a valid CIDR (e.g. 10.0.0.0/8) or host[:port]`);
      }
    }
  }
  return false;
}

function isLoopbackIp(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^(0:){7}1$/.test(host) || /^::ffff:127\./i.test(host);
  return false;
}
