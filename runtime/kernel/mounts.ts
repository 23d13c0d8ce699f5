import { execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';
import { parseMountinfo, readMountinfo } from './mountinfo.js';
import { step, type Tracer } from './step.js';

/**
 * Host-side mounts. A running container's root is mounted only inside its own
 * mount namespace (by the shim); the host mounts an image's layers only
 * briefly, to read a container's files (export), and unmounts at once.
 */

/**
 * A read-only overlay of directories stacked top-first. With no upperdir
 * overlayfs needs no workdir either, and nothing can change through it.
 */
export async function mountReadOnlyOverlay(trace: Tracer, lowersTopFirst: string[], target: string): Promise<void> {
  mkdirSync(target, { recursive: true });
  const opts = `lowerdir=${lowersTopFirst.join(':')}`;
  const args = ['-t', 'overlay', 'overlay', '-o', `ro,${opts}`, target];
  await step(
    trace,
    {
      title: 'Mount the container\'s layers read-only on the host',
      why: 'Stacking the container\'s upperdir on the image layers, all as lowerdirs, shows its merged filesystem without any way to change it.',
      command: `mount ${args.join(' ')}`,
    },
    () => {
      execFileSync('mount', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    },
  );
}

export async function unmount(trace: Tracer, target: string, why = 'Leave nothing mounted on the host once the files have been read.'): Promise<void> {
  await step(trace, { title: `Unmount ${target}`, why, command: `umount ${target}` }, () => {
    execFileSync('umount', [target], { stdio: ['ignore', 'ignore', 'pipe'] });
    rmdirSync(target);
  });
}

/**
 * Mount points at or below `dir` in this mount namespace, deepest first (the
 * order they can be unmounted in).
 */
export function mountPointsUnder(dir: string): string[] {
  const points = parseMountinfo(readMountinfo())
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(dir + '/'));
  return points.sort((a, b) => b.length - a.length);
}
