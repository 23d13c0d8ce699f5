import { setTimeout as sleep } from 'node:timers/promises';
import { readFile, writeFile, type ControllerContext } from '../write.js';

/**
 * cgroup v2 freezer: cgroup.freeze (1 or 0) on the cgroup itself, no
 * controller to enable. The kernel says "frozen 1" in cgroup.events once
 * every task has stopped. Unlike v1, a frozen task still dies of SIGKILL.
 */
export async function freezeV2(ctx: ControllerContext, dir: string, frozen: boolean): Promise<void> {
  writeFile(ctx, dir, 'cgroup.freeze', frozen ? 1 : 0, frozen ? 'Freeze every process of the container' : 'Thaw the container\'s processes',
    frozen
      ? 'cgroup.freeze stops every task of the cgroup (and of the cgroups below it) in place: no signal, nothing they can notice.'
      : 'Writing 0 lets the frozen tasks run again from where they stopped.');
  const want = `frozen ${frozen ? 1 : 0}`;
  for (let i = 0; i < 500 && !(readFile(ctx.fs, dir, 'cgroup.events') ?? want).split('\n').includes(want); i++) await sleep(10);
}

export function isFrozenV2(ctx: ControllerContext, dir: string): boolean {
  return readFile(ctx.fs, dir, 'cgroup.freeze') === '1';
}
