import { join } from 'node:path';
import { KernelError } from '../errors.js';
import { stepSync, type Tracer } from '../step.js';
import type { CgroupFs } from './fs.js';

/** What every controller file needs: the files, the trace. */
export interface ControllerContext {
  fs: CgroupFs;
  trace: Tracer;
}

/**
 * A limit is a number written into a file of the cgroup's directory: the
 * kernel checks it at write(2) time and enforces it from then on. One Step
 * per write, naming the file and the value, so a learner sees that
 * `-m 32m` is `echo 33554432 > .../memory.limit_in_bytes`. A write the kernel
 * refuses (EINVAL, EBUSY) fails the start with the file and value named.
 */
export function writeFile(ctx: ControllerContext, dir: string, file: string, value: string | number, title: string, why: string): void {
  const path = join(dir, file);
  const text = String(value);
  const shown = /\s/.test(text) ? `"${text}"` : text;
  stepSync(ctx.trace, { title, why, command: `echo ${shown} > ${path}` }, () => {
    try {
      ctx.fs.write(path, text);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      // The errno stays on the error: a create racing the removal of glass's parent cgroup retries on ENOENT (common.ts withParent).
      throw new KernelError('KERNEL', `the kernel refused ${text} for ${path} (${code}): ${refusalHint(file, code)}`, 125, code);
    }
  });
}

function refusalHint(file: string, code: string): string {
  if (code === 'ENOENT') return `this host's cgroup has no ${file} (its kernel lacks that controller or feature); leave the matching option out`;
  if (code === 'EBUSY' && file.startsWith('memory')) return 'the container already uses more memory than that; give a higher limit';
  if (code === 'EINVAL') return 'the value is out of the range the kernel accepts for it; check the option';
  return 'check the option and the host\'s cgroup configuration';
}

/** Read a cgroup file, trimmed; undefined when it is not there. */
export function readFile(fs: CgroupFs, dir: string, file: string): string | undefined {
  try {
    return fs.read(join(dir, file)).trim();
  } catch {
    return undefined;
  }
}
