/**
 * The explain trace. Every kernel-level action glass takes is a Step: what it
 * does, why a container needs it, and the shell command a learner could type
 * to do the same by hand. Kernel functions report Steps to a Tracer; the
 * engine stamps each with the operation it belongs to (see engine/trace.ts)
 * and hands it to its clients; the CLI prints them for `--explain`.
 */
export type StepPhase = 'started' | 'done' | 'failed';

export interface Step {
  /** Short imperative title: "Mount the overlay root filesystem". */
  title: string;
  /** Why a container needs this, in plain language. */
  why: string;
  /** The equivalent command (or syscall) a learner could type. */
  command: string;
  /** Who performed it: the TypeScript runtime or the native shim. */
  by: 'runtime' | 'shim';
  /** Wall-clock time it was reported. */
  at: Date;
  /**
   * started: about to happen (only for steps that take a while or can fail);
   * done: it happened; failed: the kernel refused, `error` says why.
   */
  phase: StepPhase;
  error?: string;
  /** Set by the engine: which operation (one `run`, one `rm`...) this step belongs to. */
  op?: { id: string; name: string };
  /** Set by the engine once the operation knows its container. */
  containerId?: string;
  /** Set by the engine: 1, 2, 3... in the order the operation reported its steps. */
  seq?: number;
}

export type StepInput = Pick<Step, 'title' | 'why' | 'command'> & Partial<Pick<Step, 'by' | 'phase' | 'error' | 'at'>>;

/** Receives Steps as they happen. */
export type Tracer = (step: Step) => void;

export const silentTracer: Tracer = () => {};

/** Report a step that was just performed (or, with phase, its start or failure). */
export function report(trace: Tracer, input: StepInput): void {
  trace({ by: 'runtime', phase: 'done', ...input, at: input.at ?? new Date() });
}

/**
 * Perform `action` and report it as a Step: started, then done, or failed
 * with the kernel's error (which is rethrown). A trace never claims
 * something the kernel refused, and a failure shows where it happened.
 */
export async function step<T>(trace: Tracer, input: StepInput, action: () => T | Promise<T>): Promise<T> {
  report(trace, { ...input, phase: 'started' });
  try {
    const result = await action();
    report(trace, { ...input, phase: 'done' });
    return result;
  } catch (e) {
    report(trace, { ...input, phase: 'failed', error: (e as Error).message });
    throw e;
  }
}

/** Synchronous variant of `step` for tiny actions (a write to a cgroup file): no started phase. */
export function stepSync<T>(trace: Tracer, input: StepInput, action: () => T): T {
  let result: T;
  try {
    result = action();
  } catch (e) {
    report(trace, { ...input, phase: 'failed', error: (e as Error).message });
    throw e;
  }
  report(trace, input);
  return result;
}
