/**
 * The explain trace. Every kernel-level action glass takes is a Step: what it
 * does, why a container needs it, and the shell command a learner could type
 * to do the same by hand. Kernel functions report Steps to a Tracer; core
 * forwards them as events; the CLI prints them for `--explain`.
 */
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
}

export type StepInput = Omit<Step, 'at' | 'by'> & { by?: Step['by'] };

/** Receives Steps as they happen. */
export type Tracer = (step: Step) => void;

export const silentTracer: Tracer = () => {};

/** Report a step that is about to be (or was just) performed. */
export function report(trace: Tracer, input: StepInput): void {
  trace({ by: 'runtime', ...input, at: new Date() });
}

/**
 * Perform `action` and report it as a Step. The step is reported only when the
 * action succeeds, so a trace never claims something the kernel refused.
 */
export async function step<T>(trace: Tracer, input: StepInput, action: () => T | Promise<T>): Promise<T> {
  const result = await action();
  report(trace, input);
  return result;
}

/** Synchronous variant of `step` for tiny actions (a write to a cgroup file). */
export function stepSync<T>(trace: Tracer, input: StepInput, action: () => T): T {
  const result = action();
  report(trace, input);
  return result;
}
