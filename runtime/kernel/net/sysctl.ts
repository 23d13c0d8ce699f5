import { readFileSync } from 'node:fs';
import { KernelError } from '../errors.js';
import { execStep, type NetContext } from './run.js';

/**
 * Kernel network settings (sysctl). Reads come straight from /proc/sys;
 * writes go through `sysctl -w` as a Step, only when the value differs, so a
 * learner sees the command once and a setting already made costs nothing.
 */

/** "net.ipv4.ip_forward" → "/proc/sys/net/ipv4/ip_forward" (no dots in glass's interface names). */
export function sysctlPath(key: string): string {
  if (!/^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/.test(key)) throw new KernelError('INVALID_ARGUMENT', `invalid sysctl key: ${key}`);
  return `/proc/sys/${key.replace(/\./g, '/')}`;
}

/** The current value, trimmed; undefined when the key does not exist (no such interface, say). */
export function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(sysctlPath(key), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * `sysctl -w KEY=VALUE` when it is not already VALUE; returns whether it
 * changed anything. `read` is injectable for unit tests.
 */
export async function writeSysctl(
  ctx: NetContext,
  key: string,
  value: string,
  info: { title?: string; why: string },
  read: (key: string) => string | undefined = readSysctl,
): Promise<boolean> {
  if (read(key) === value) return false;
  await execStep(ctx, { title: info.title ?? `Set ${key} to ${value}`, why: info.why }, ['sysctl', '-w', `${key}=${value}`]);
  return true;
}

/** net.ipv4.ip_forward=1: without it the host drops packets between the bridge and other interfaces. */
export function enableIpForward(ctx: NetContext, read?: (key: string) => string | undefined): Promise<boolean> {
  return writeSysctl(
    ctx,
    'net.ipv4.ip_forward',
    '1',
    {
      title: 'Turn on IPv4 forwarding',
      why: 'A Linux host does not route packets between its interfaces unless told to. Containers reach the outside (and published ports reach containers) only if the host forwards between the bridge and its other interfaces. Like Docker, glass leaves it on afterwards: other software may rely on it by then.',
    },
    read,
  );
}

/**
 * net.ipv4.conf.<bridge>.route_localnet=1: lets a packet to 127.0.0.1 be
 * DNAT'ed onto the bridge, so `curl 127.0.0.1:8080` on the host reaches a
 * published port with no proxy process (Docker's --userland-proxy=false way).
 */
export function enableRouteLocalnet(ctx: NetContext, iface: string, read?: (key: string) => string | undefined): Promise<boolean> {
  return writeSysctl(
    ctx,
    `net.ipv4.conf.${iface}.route_localnet`,
    '1',
    {
      title: `Allow loopback addresses to be routed to ${iface}`,
      why: 'By default the kernel refuses to route a packet whose address is 127.x anywhere but lo. A port published on 127.0.0.1 is a DNAT from 127.0.0.1 to the container: route_localnet on the bridge lets that packet leave through the bridge (and a MASQUERADE rule gives it a source the container can answer). Docker does the same with --userland-proxy=false, instead of one proxy process per port.',
    },
    read,
  );
}
