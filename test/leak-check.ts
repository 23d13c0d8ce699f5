import { setTimeout as sleep } from 'node:timers/promises';
import { leaksSince, snapshot, type HostSnapshot } from './leaks.js';

/**
 * vitest global setup: snapshot the host before the suite, and after it fail
 * the run if the suite left mounts, cgroups, processes, network interfaces,
 * iptables rules, network namespaces or state roots behind.
 */
let before: HostSnapshot;

export function setup() {
  before = snapshot();
}

export async function teardown() {
  // A detached --rm container's exit hook may still be finishing.
  let leaks: string[] = [];
  for (let i = 0; i < 50; i++) {
    leaks = leaksSince(before, snapshot());
    if (leaks.length === 0) break;
    await sleep(100);
  }
  if (leaks.length) {
    const msg = `leak check: the test suite left ${leaks.length} thing(s) on the host:\n  ${leaks.join('\n  ')}`;
    process.stderr.write(msg + '\n');
    // vitest reports an error thrown here ("error during close") but still
    // exits 0: make the run fail, whatever exit code vitest chooses.
    process.on('exit', () => {
      process.exitCode = 1;
    });
    throw new Error(msg);
  }
  process.stdout.write('leak check: no mounts, cgroups, processes, interfaces, iptables rules, network namespaces or state roots left behind\n');
}
