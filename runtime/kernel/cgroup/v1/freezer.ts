import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFile, writeFile, type ControllerContext } from '../write.js';

/**
 * cgroup v1 freezer: writing FROZEN to freezer.state stops every task of the
 * cgroup where it stands (no signal is sent: the tasks cannot tell); THAWED
 * lets them carry on. The kernel reports FREEZING until every task has
 * stopped, so glass waits for FROZEN.
 */
export async function freezeV1(ctx: ControllerContext, dir: string, frozen: boolean): Promise<void> {
  const want = frozen ? 'FROZEN' : 'THAWED';
  writeFile(ctx, dir, 'freezer.state', want, frozen ? 'Freeze every process of the container' : 'Thaw the container\'s processes',
    frozen
      ? 'The freezer stops every task of the cgroup in place, as if time stood still for them: no signal, nothing they can catch or notice. Their memory stays as it is.'
      : 'THAWED lets the frozen tasks run again from exactly where they stopped.');
  // FREEZING: some task was busy in the kernel; asking again moves it along (as runc does).
  for (let i = 0; i < 500 && readFile(ctx.fs, dir, 'freezer.state') !== want; i++) {
    await sleep(10);
    ctx.fs.write(join(dir, 'freezer.state'), want);
  }
}

export function isFrozenV1(ctx: ControllerContext, dir: string): boolean {
  return readFile(ctx.fs, dir, 'freezer.state') === 'FROZEN';
}
