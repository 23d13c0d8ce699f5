import type { Tracer } from '../../kernel/step.js';
import type { ContainerConfig } from './types.js';

/**
 * The start pipeline. Starting a container is a sequence of named stages;
 * each may act before the shim is launched (`prepare`: make a cgroup, write
 * files) and once the container's init exists but still waits for "go"
 * (`atPid`: put the pid in the cgroup, later move a veth into its network
 * namespace, apply limits...). Nothing the container runs can escape what a
 * stage set up, because it runs nothing before "go".
 *
 * If any stage fails, or the shim does, the stages that ran are undone in
 * reverse order, so a failed start leaves nothing behind. Every stage reports
 * its kernel work as Steps on the operation's tracer.
 *
 * Stages today: etc-files, network (networks/stage.ts: bridge, lease, veth
 * moved into the init's network namespace as eth0), user-networks, ports, security,
 * volumes, cgroup, attach. The cgroup stage also
 * writes the container's limits (and on cgroup v1 its devices policy) in its
 * prepare, before the init's pid is placed and "go" is sent, so the container
 * never runs unconfined; a refused write fails the start and undoes it all.
 */
export interface StageContext {
  readonly config: ContainerConfig;
  /** The container's state directory. */
  readonly dir: string;
  readonly trace: Tracer;
  /** Set once the init exists (for atPid and undo). */
  initPid?: number;
}

export interface StartStage {
  readonly name: string;
  prepare?(ctx: StageContext): Promise<void> | void;
  atPid?(ctx: StageContext, pid: number): Promise<void> | void;
  undo?(ctx: StageContext): Promise<void> | void;
}

/**
 * Run the stages around `launch`, which starts the shim and calls back with
 * the init's pid before sending "go". Undo in reverse on any failure, then
 * rethrow the first error.
 */
export async function runPipeline<T>(
  stages: readonly StartStage[],
  ctx: StageContext,
  launch: (atPid: (pid: number) => Promise<void>) => Promise<T>,
): Promise<T> {
  const entered: StartStage[] = [];
  try {
    for (const s of stages) {
      entered.push(s);
      await s.prepare?.(ctx);
    }
    return await launch(async (pid) => {
      ctx.initPid = pid;
      for (const s of stages) await s.atPid?.(ctx, pid);
    });
  } catch (e) {
    for (const s of entered.reverse()) {
      try {
        await s.undo?.(ctx);
      } catch { /* undo what can be undone; the first error is the one to report */ }
    }
    throw e;
  }
}
