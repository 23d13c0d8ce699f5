import { randomBytes } from 'node:crypto';
import type { Step, Tracer } from '../kernel/step.js';

/**
 * One operation of the engine (a create, a start, an rm...) and its trace.
 *
 * The kernel layer reports plain Steps; the operation stamps each with its
 * own id and name, the container it concerns (once known) and a sequence
 * number, then hands it to the caller's own listener and to the engine's. Two
 * operations running at once, in one process or in two, therefore produce two
 * separate, ordered traces, however their steps interleave in time.
 */
export class Operation {
  readonly id = randomBytes(6).toString('hex');
  private seq = 0;
  containerId?: string;

  constructor(
    readonly name: string,
    private readonly listeners: readonly ((s: Step) => void)[],
  ) {}

  readonly trace: Tracer = (s) => {
    const stamped: Step = { ...s, op: { id: this.id, name: this.name }, containerId: s.containerId ?? this.containerId, seq: ++this.seq };
    for (const l of this.listeners) {
      try {
        l(stamped);
      } catch { /* a listener's failure is not the operation's */ }
    }
  };

  private readonly replayed = new Set<string>();

  /**
   * Steps that happened elsewhere (the shim's work when a container exited),
   * joined to this trace once per `key` however often the operation looks.
   */
  replay(key: string, steps: () => Step[]): void {
    if (this.replayed.has(key)) return;
    this.replayed.add(key);
    for (const s of steps()) this.trace(s);
  }

  /** This operation acts on `id` from now on. */
  on(id: string): this {
    this.containerId = id;
    return this;
  }
}

/** Makes operations that report to the engine's listeners and, per call, to the caller's. */
export class Tracing {
  private readonly listeners = new Set<(s: Step) => void>();

  subscribe(listener: (s: Step) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  begin(name: string, own?: (s: Step) => void): Operation {
    const engineWide = (s: Step) => {
      for (const l of this.listeners) l(s);
    };
    return new Operation(name, own ? [own, engineWide] : [engineWide]);
  }
}
