import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A lock between glass processes sharing one state root.
 *
 * The lock is a name in Linux's *abstract* unix socket namespace: a socket
 * address that starts with a NUL byte names no file, only an entry in the
 * kernel's table of listening sockets (of this network namespace). bind(2)
 * succeeds for exactly one process at a time (the others get EADDRINUSE), and
 * the kernel drops the name the moment its socket is closed — including when
 * the holder is killed. So the lock is taken atomically, cannot be broken
 * while its holder lives, is never left behind by a process that died, and
 * needs no disk space (it still works on a full disk). `ss -xlp | grep
 * glass-lock` shows who holds which lock.
 *
 * The earlier lock (mkdir, then an owner file) could be seen between the two
 * steps with no owner, taken for abandoned and broken while its owner lived:
 * two processes in at once, and lost updates.
 */

/** How long to wait between tries: short at first (critical sections are a few file renames). */
const MAX_RETRY_MS = 50;

/** The abstract socket name for a lock path (any path: nothing is created there). */
export function lockName(path: string): string {
  return `\0glass-lock/${createHash('sha256').update(resolve(path)).digest('hex').slice(0, 40)}`;
}

/** Try once: the listening socket if we got the lock, undefined if someone holds it. */
function tryAcquire(name: string): Promise<Server | undefined> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => {
      server.close();
      if (e.code === 'EADDRINUSE') done(undefined);
      else fail(e);
    });
    server.listen(name, () => {
      server.unref(); // a held lock does not keep the process alive by itself
      done(server);
    });
  });
}

/** The locks held by the current chain of async calls, so one operation may take its own lock again. */
const held = new AsyncLocalStorage<ReadonlySet<string>>();

/**
 * Run `fn` while holding the lock named by `path`; waits while another
 * process (or another operation in this one) holds it. Re-entrant within one
 * operation: a call made while holding the lock (reconcile from inside start)
 * does not wait for itself.
 */
export async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const name = lockName(path);
  const mine = held.getStore();
  if (mine?.has(name)) return fn();
  let server: Server | undefined;
  for (let wait = 1; !(server = await tryAcquire(name)); wait = Math.min(wait * 2, MAX_RETRY_MS)) {
    await sleep(wait + Math.random() * wait);
  }
  try {
    return await held.run(new Set([...(mine ?? []), name]), fn);
  } finally {
    server.close();
  }
}
