import { readdirSync } from 'node:fs';
import { exec, execStep, type NetContext } from './run.js';

/**
 * Network namespaces. A container's network namespace is named by its init's
 * pid (/proc/<pid>/ns/net, made by the shim's clone); a test's by a name
 * under /run/netns (`ip netns add`). Commands run inside one through
 * `nsenter --net=<path>`, which works for both and is what a learner can type
 * for a container too (`ip netns exec` knows only named ones).
 */
export type NetnsRef = { pid: number } | { name: string } | { path: string };

/** The namespace file of a ref. */
export function netnsPath(ns: NetnsRef): string {
  if ('pid' in ns) return `/proc/${ns.pid}/ns/net`;
  if ('name' in ns) return `/run/netns/${ns.name}`;
  return ns.path;
}

/** argv that runs `argv` inside `ns` (unchanged when ns is undefined: the host's namespace). */
export function inNetns(ns: NetnsRef | undefined, argv: readonly string[]): string[] {
  return ns ? ['nsenter', `--net=${netnsPath(ns)}`, ...argv] : [...argv];
}

/** How a Step names where it happens: "in the container's network namespace" etc. */
export function nsWords(ns: NetnsRef | undefined): string {
  if (!ns) return 'on the host';
  if ('pid' in ns) return `in the network namespace of pid ${ns.pid}`;
  if ('name' in ns) return `in network namespace ${ns.name}`;
  return `in the network namespace ${ns.path}`;
}

/** `ip netns add NAME`: a named, empty network namespace (only lo, down). Tests use these as "another host". */
export async function addNetns(ctx: NetContext, name: string): Promise<void> {
  await execStep(
    ctx,
    { title: `Create network namespace ${name}`, why: 'A network namespace is a separate network stack: its own interfaces, addresses, routes and iptables rules. `ip netns add` makes one and keeps it alive with a bind mount under /run/netns.' },
    ['ip', 'netns', 'add', name],
  );
}

/** `ip netns delete NAME`; a namespace already gone is fine. Interfaces inside it go with it (a veth takes its peer). */
export async function deleteNetns(ctx: NetContext, name: string): Promise<void> {
  await execStep(
    ctx,
    { title: `Delete network namespace ${name}`, why: 'Removing the last reference to a network namespace destroys it and every interface in it; a veth whose end was inside loses its other end too.' },
    ['ip', 'netns', 'delete', name],
    { okIf: /No such file or directory|Invalid netns name|not found/i },
  );
}

/** Names of the namespaces under /run/netns (what `ip netns list` shows). */
export function listNetns(): string[] {
  try {
    return readdirSync('/run/netns').sort();
  } catch {
    return [];
  }
}

/** Run any command inside a namespace (for tests: ping, a server); throws on failure. */
export async function execInNetns(ctx: NetContext, ns: NetnsRef, argv: readonly string[]) {
  return exec(ctx, inNetns(ns, argv));
}
