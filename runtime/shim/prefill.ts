import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { KernelError } from '../kernel/errors.js';
import { report, type Tracer } from '../kernel/step.js';
import { shimBinary } from './launch.js';
import { encodeSpec, type ShimSpec } from './spec.js';
import { nativeStep } from './steps.js';

/**
 * `glass-shim prefill <state-dir>` (native/volumes.c): fill a new container's
 * empty volumes from its image at create, as Docker does, so a container that
 * never runs still hands out the image's files (--volumes-from). The shim
 * mounts the layers read-only in a mount namespace of its own, which goes
 * with it: nothing is mounted on the host. `spec` needs the overlay's
 * directories, an `arg` and the `mount` keys to fill; it is written as the
 * state directory's shim.spec for the run and removed afterwards (`start`
 * writes its own). Its steps come back on fd 3 like a start's.
 */
export function prefillVolumes(trace: Tracer, stateDir: string, spec: ShimSpec): Promise<void> {
  const bin = shimBinary();
  const specFile = join(stateDir, 'shim.spec');
  writeFileSync(specFile, encodeSpec(spec));
  report(trace, {
    title: 'Fill the new volumes from the image',
    why: 'Docker copies what the image has at a volume\'s path into the volume when it is still empty, at create. The shim mounts the image\'s layers read-only in a mount namespace of its own (it vanishes with the process) and copies with cp -a.',
    command: `${bin} prefill ${stateDir}`,
  });
  const child = spawn(bin, ['prefill', stateDir], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let buffered = '';
  child.stdio[2]!.on('data', (b: Buffer) => (stderr += b.toString()));
  (child.stdio[3] as Readable).on('data', (b: Buffer) => {
    buffered += b.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const m = /^(step|failed) ([^\t]+)\t(.*)$/.exec(line);
      if (m?.[1] === 'step') report(trace, { ...nativeStep(m[2]!), command: m[3]!, by: 'shim' });
      else if (m) report(trace, { ...nativeStep(m[2]!), command: '', by: 'shim', phase: 'failed', error: m[3]! });
    }
  });
  return new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(e));
    child.on('close', (code) => {
      rmSync(specFile, { force: true });
      if (code === 0) return resolve();
      // fail() in the shim writes "<code> <message>".
      const message = stderr.trim().replace(/^\d+ /, '') || `glass-shim prefill exited with ${code}`;
      reject(new KernelError('SHIM_FAILED', message));
    });
  });
}
