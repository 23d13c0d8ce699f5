/**
 * `glass build`: the BuildsApi. Opens the context once (context.ts: a
 * directory walked, or a tar unpacked safely, .dockerignore applied),
 * parses the Dockerfile (dockerfile.ts), runs the step loop (builder.ts),
 * and names the result only when every step succeeded.
 */
import { rmSync } from 'node:fs';
import type { BuildsApi, CallOptions, ContainersApi, ImagesApi } from '../api.js';
import { GlassError, isGlassError } from '../errors.js';
import type { EventLog } from '../events.js';
import { parseTagTarget } from '../images/reference.js';
import type { ImageStore } from '../images/store.js';
import type { Paths } from '../state/paths.js';
import { makeScratchDir } from '../state/scratch.js';
import type { Operation, Tracing } from '../trace.js';
import { Builder, cancelled } from './builder.js';
import { openContext, type BuildContext } from './context.js';
import { parseDockerfile } from './dockerfile.js';
import type { BuildOptions, BuildResult } from './types.js';

export interface BuildDeps {
  paths: Paths;
  store: ImageStore;
  containers: ContainersApi;
  images: ImagesApi;
  events: EventLog;
  tracing: Tracing;
  ready: (op: Operation) => Promise<void>;
}

export class BuildService implements BuildsApi {
  constructor(private readonly d: BuildDeps) {}

  async build(opts: BuildOptions & CallOptions): Promise<BuildResult> {
    const op = this.d.tracing.begin('build', opts.onStep);
    await this.d.ready(op);
    // The names are checked before anything is built, as Docker's client checks -t.
    const tags = (opts.tags ?? []).map((t) => {
      try {
        return parseTagTarget(t);
      } catch (e) {
        throw new GlassError('INVALID_ARGUMENT', `invalid argument "${t}" for "-t, --tag" flag: ${isGlassError(e) ? e.message : String(e)}`, 1);
      }
    });
    const scratchDir = await makeScratchDir(this.d.paths.tmp, 'build');
    let ctx: BuildContext | undefined;
    let builder: Builder | undefined;
    const onAbort = () => void builder?.removeLive();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      ctx = await openContext(opts.source, { dockerfile: opts.dockerfile, scratchDir, trace: op.trace });
      opts.onProgress?.({ type: 'context', bytes: ctx.tarSize });
      const df = parseDockerfile(ctx.dockerfile.text, ctx.dockerfile.name);
      for (const message of df.warnings) opts.onProgress?.({ type: 'warning', message });
      builder = new Builder(
        { paths: this.d.paths, store: this.d.store.traced(op.trace), containers: this.d.containers, images: this.d.images, trace: op.trace, call: { onStep: opts.onStep }, scratchDir },
        df,
        ctx,
        opts,
      );
      const result = await builder.run();
      if (opts.signal?.aborted) throw cancelled();
      const store = this.d.store.traced(op.trace);
      for (const t of tags) {
        await store.tag(result.imageId, t);
        this.d.events.record('image', 'tag', result.imageId, { name: t });
      }
      return { id: result.imageId, tags, stepsRun: result.stepsRun, stepsCached: result.stepsCached };
    } catch (e) {
      if (opts.signal?.aborted) {
        await builder?.removeLive();
        throw cancelled();
      }
      throw e;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      await ctx?.dispose().catch(() => {});
      rmSync(scratchDir, { recursive: true, force: true });
    }
  }
}
