/**
 * Docker's classic builder (moby builder/dockerfile, DOCKER_BUILDKIT=0): the
 * step loop. Each instruction runs on the image the one before made and
 * leaves a new image:
 *
 *   FROM        the base image (pulled when missing) or an earlier stage; its ONBUILD triggers run first
 *   RUN         a real build container from the current image runs the command; committed as a layer
 *   COPY, ADD   files put into a created (never started) build container; committed (copy.ts)
 *   WORKDIR     a config change, plus the directory made in a build container when it is missing
 *   the rest    ENV ARG LABEL MAINTAINER EXPOSE VOLUME USER CMD ENTRYPOINT SHELL STOPSIGNAL
 *               HEALTHCHECK ONBUILD: a config change only — a new image with the parent's
 *               layers and an "empty_layer" history entry (through a never-started
 *               container, as Docker's, so the output and events are Docker's)
 *
 * Before running a step, the cache (cache.ts) looks for an image made by the
 * same step on the same parent. Only the stages the target needs are built.
 */
import { PassThrough } from 'node:stream';
import { posix } from 'node:path';
import type { Tracer } from '../../kernel/step.js';
import type { CallOptions, ContainersApi, ImagesApi } from '../api.js';
import { DEFAULT_PATH } from '../containers/create-config.js';
import { parseSignal } from '../containers/signals.js';
import type { ContainerConfig } from '../containers/types.js';
import { GlassError, isGlassError } from '../errors.js';
import { TarWriter } from '../images/tar-stream.js';
import type { ImageStore } from '../images/store.js';
import type { ImageRecord, ImageRunConfig, HealthConfig } from '../images/types.js';
import { parseReference, repoTagOf } from '../images/reference.js';
import { registryKeyOf } from '../registry/credentials.js';
import type { Paths } from '../state/paths.js';
import { BuildArgs } from './build-args.js';
import { BUSTED_VERDICT, NO_CACHE_VERDICT, probeCache } from './cache.js';
import { commitStepImage } from './commit-step.js';
import type { BuildContext } from './context.js';
import { parseInstructionLine, type CommandForm, type Instruction, type ParsedDockerfile, type Stage } from './dockerfile.js';
import { goHealthcheck, goList, goQuoteList } from './go-format.js';
import { expandWord, expandWords } from './shell-words.js';
import type { BuildOptions, BuildProgress, CacheVerdict } from './types.js';
import { prepareCopy } from './copy.js';

type Inst = Instruction;
type Escape = '\\' | '`';

/** What the builder needs from the engine. */
export interface BuilderDeps {
  paths: Paths;
  store: ImageStore;
  containers: ContainersApi;
  images: ImagesApi;
  trace: Tracer;
  call: CallOptions;
  /** A scratch directory for this build (copy.ts keeps downloads there); removed by the service. */
  scratchDir: string;
}

/** One stage being built: moby's dispatchState. */
interface StageState {
  name?: string;
  index: number;
  /** The current image: '' while it is scratch and nothing was committed. */
  imageId: string;
  image?: ImageRecord;
  /** The config the next image gets (moby's runConfig). */
  runConfig: ImageRunConfig;
  maintainer?: string;
  /** CMD was set in this stage (an ENTRYPOINT then keeps it). */
  cmdSet: boolean;
  args: BuildArgs;
  /** A step of this stage missed the cache: every later one runs (moby's imageProber). */
  cacheBusted: boolean;
}

const SHELL_DEFAULT = ['/bin/sh', '-c'];
const shellOf = (c: ImageRunConfig) => (c.Shell?.length ? c.Shell : SHELL_DEFAULT);

/** A build error in Docker's words; the CLI exits 1 with it (as Docker's). */
const fail = (message: string) => new GlassError('INVALID_ARGUMENT', message, 1);

export const cancelled = () => new GlassError('BUILD_CANCELLED', 'Build cancelled: the build container was removed and nothing was tagged', 1);

export interface BuilderResult {
  imageId: string;
  stepsRun: number;
  stepsCached: number;
}

export class Builder {
  private stepsRun = 0;
  private stepsCached = 0;
  private readonly done = new Map<number, StageState>();
  private readonly escape: Escape;
  /** The synthetic `LABEL` of --label (its values are literal: no expansion). */
  private readonly literal = new WeakSet<Inst>();
  /** The build container of the step running now, removed if the build is cancelled. */
  private live?: string;

  constructor(
    private readonly d: BuilderDeps,
    private readonly df: ParsedDockerfile,
    private readonly ctx: BuildContext,
    private readonly opts: BuildOptions,
  ) {
    this.escape = df.directives.escape;
  }

  private emit(p: BuildProgress): void {
    this.opts.onProgress?.(p);
  }

  private checkAbort(): void {
    if (this.opts.signal?.aborted) throw cancelled();
  }

  /**
   * The stages to build: the target and what it needs (FROM <stage>, COPY
   * --from=<stage>), in file order. `metaEnv` expands FROM lines, which may
   * name a stage through a meta ARG (`ARG SRC=builder` / `FROM $SRC`).
   */
  selectStages(metaEnv: readonly string[]): Stage[] {
    const { stages } = this.df;
    if (stages.length === 0) throw fail('No image was generated. Is your Dockerfile empty?');
    let target = stages[stages.length - 1]!;
    if (this.opts.target !== undefined) {
      const t = stages.find((s) => s.name === this.opts.target!.toLowerCase());
      if (!t) throw fail(`failed to reach build target ${this.opts.target} in Dockerfile`);
      target = t;
    }
    const byName = (word: string, before: number): Stage | undefined => {
      const w = word.toLowerCase();
      const named = stages.find((s) => s.index < before && s.name === w);
      if (named) return named;
      return /^\d+$/.test(word) && Number(word) < before ? stages[Number(word)] : undefined;
    };
    const need = new Set<number>();
    const visit = (s: Stage) => {
      if (need.has(s.index)) return;
      need.add(s.index);
      const base = this.word(s.from.image, metaEnv).toLowerCase();
      const named = stages.find((o) => o.index < s.index && o.name === base);
      if (named) visit(named);
      for (const inst of s.instructions) {
        if ((inst.keyword === 'COPY' || inst.keyword === 'ADD') && inst.from !== undefined) {
          const dep = byName(inst.from, s.index);
          if (dep) visit(dep);
        }
      }
    };
    visit(target);
    return stages.filter((s) => need.has(s.index));
  }

  async run(): Promise<BuilderResult> {
    // The meta ARGs first (FROM lines expand with them, stage selection too); their steps are printed below.
    const global = new BuildArgs(this.opts.buildArgs ?? {});
    for (const meta of this.df.metaArgs) {
      for (const a of meta.args) global.declareMeta(a.name, a.value === undefined ? undefined : this.word(a.value, global.metaEnv()));
    }
    const selected = this.selectStages(global.metaEnv());
    const last = selected[selected.length - 1]!;
    const labels = Object.entries(this.opts.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    let labelInst: Inst | undefined;
    if (labels.length) {
      // Docker's --label: a LABEL instruction added after the last one (moby's NodeFromLabels).
      labelInst = {
        keyword: 'LABEL',
        line: 0,
        endLine: 0,
        original: `LABEL ${labels.map(([k, v]) => `${JSON.stringify(k)}='${v}'`).join(' ')}`,
        flags: {},
        pairs: labels.map(([key, value]) => ({ key, value })),
      };
      this.literal.add(labelInst);
    }
    // Docker counts every instruction of the stages it builds: meta ARGs, each FROM, each instruction.
    const total = this.df.metaArgs.length + selected.reduce((n, s) => n + 1 + s.instructions.length, 0) + (labelInst ? 1 : 0);
    let n = 0;
    for (const meta of this.df.metaArgs) this.emit({ type: 'step', step: ++n, total, instruction: meta.original });
    let state: StageState | undefined;
    for (const stage of selected) {
      this.checkAbort();
      this.emit({ type: 'step', step: ++n, total, instruction: stage.from.original, ...(stage.name ? { stage: stage.name } : {}) });
      state = await this.beginStage(stage, global.forStage());
      this.emit({ type: 'image', id: state.imageId });
      const instructions = stage === last && labelInst ? [...stage.instructions, labelInst] : stage.instructions;
      for (const inst of instructions) {
        this.checkAbort();
        this.emit({ type: 'step', step: ++n, total, instruction: inst.original, ...(stage.name ? { stage: stage.name } : {}) });
        await this.dispatch(state, inst);
        this.emit({ type: 'image', id: state.imageId });
      }
      this.done.set(stage.index, state);
    }
    if (!state?.imageId) throw fail('No image was generated. Is your Dockerfile empty?');
    const unused = global.unused();
    if (unused.length) this.emit({ type: 'warning', message: `[Warning] One or more build-args ${goList(unused)} were not consumed` });
    return { imageId: state.imageId, stepsRun: this.stepsRun, stepsCached: this.stepsCached };
  }

  /** Remove the build container of the step that was running (Ctrl-C). */
  async removeLive(): Promise<void> {
    const id = this.live;
    if (!id) return;
    this.live = undefined;
    await this.d.containers.remove(id, { force: true, volumes: true, ...this.d.call }).catch(() => {});
  }

  // ---- words ----------------------------------------------------------------

  private word(w: string, env: readonly string[]): string {
    return expandWord(w, [...env], this.escape);
  }

  /** What a step's words expand with: the config's Env, then the args in scope (ENV wins). */
  private envOf(s: StageState): string[] {
    const env = s.runConfig.Env ?? [];
    return [...env, ...s.args.filterAllowed(env)];
  }

  // ---- FROM -----------------------------------------------------------------

  private async beginStage(stage: Stage, args: BuildArgs): Promise<StageState> {
    const raw = stage.from.image;
    const name = this.word(raw, args.metaEnv());
    if (!name) throw fail(`base name (${raw}) should not be blank`);
    const state: StageState = { index: stage.index, name: stage.name, imageId: '', runConfig: {}, cmdSet: false, args, cacheBusted: false };
    const earlier = [...this.done.values()].find((s) => s.name === name.toLowerCase());
    if (earlier) {
      state.imageId = earlier.imageId;
      state.image = earlier.image;
      state.runConfig = structuredClone(earlier.runConfig);
    } else if (name !== 'scratch') {
      const image = await this.baseImage(name);
      state.imageId = image.id;
      state.image = image;
      state.runConfig = structuredClone(image.config.config ?? {});
    }
    // moby's setDefaultPath: a stage's config always has a PATH.
    if (!(state.runConfig.Env ?? []).some((e) => e.startsWith('PATH='))) state.runConfig.Env = [...(state.runConfig.Env ?? []), DEFAULT_PATH];
    const triggers = state.runConfig.OnBuild ?? [];
    delete state.runConfig.OnBuild;
    if (triggers.length) {
      this.emit({ type: 'output', stream: 'stdout', data: Buffer.from(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`) });
      for (const text of triggers) {
        const trigger = parseInstructionLine(text, stage.from.line, this.escape);
        if (trigger.keyword === 'ONBUILD') throw fail('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
        if (trigger.keyword === 'FROM' || trigger.keyword === 'MAINTAINER') throw fail(`${trigger.keyword} isn't allowed as an ONBUILD trigger`);
        this.checkAbort();
        await this.dispatch(state, trigger);
      }
    }
    return state;
  }

  /** A FROM image: from the store, else pulled (always with --pull, except glass's own local busybox). */
  private async baseImage(name: string): Promise<ImageRecord> {
    let repoTag: string | undefined;
    try {
      const ref = parseReference(name);
      repoTag = ref.digest ? undefined : repoTagOf(ref);
    } catch (e) {
      throw fail(isGlassError(e) ? e.message : String(e));
    }
    const have = await this.d.store.lookup(name);
    const localBusybox = repoTag === 'busybox:latest' && (!have || have.repoDigests.length === 0);
    if (have && (!this.opts.pull || localBusybox)) return have;
    if (localBusybox) return this.d.store.resolve(name); // built from the host's busybox, offline
    await this.d.images.pull(name, {
      ...this.d.call,
      auth: this.opts.registryAuth?.(registryKeyOf(name)),
      insecureRegistries: this.opts.insecureRegistries,
      signal: this.opts.signal,
      onProgress: (p) => this.emit({ type: 'pull', status: p.status, ...(p.id ? { id: p.id } : {}) }),
    });
    const pulled = await this.d.store.lookup(name);
    if (!pulled) throw new GlassError('NO_SUCH_IMAGE', `No such image: ${name}`, 1);
    return pulled;
  }

  /** An image COPY --from names: an earlier stage (by name or index), else an image (pulled when missing). */
  private async fromImage(state: StageState, ref: string): Promise<string> {
    const lower = ref.toLowerCase();
    for (const s of this.done.values()) {
      if (s.name === lower || (/^\d+$/.test(ref) && s.index === Number(ref))) {
        if (!s.imageId) throw fail(`invalid from flag value ${ref}: stage ${ref} made no image (FROM scratch with no instruction)`);
        return s.imageId;
      }
    }
    if (/^\d+$/.test(ref) && Number(ref) >= state.index) throw fail(`invalid from flag value ${ref}: refers to current or later build stage`);
    if (lower === state.name) throw fail(`invalid from flag value ${ref}: refers to current build stage`);
    return (await this.baseImage(ref)).id;
  }

  // ---- the cache and commits ------------------------------------------------

  /** Docker's probeCache: true when the step's image was taken from the cache (and is now the current one). */
  private async probe(s: StageState, key: ImageRunConfig): Promise<boolean> {
    const cmd = key.Cmd ?? [];
    let verdict: CacheVerdict;
    if (this.opts.noCache) verdict = NO_CACHE_VERDICT(s.imageId, cmd);
    else if (s.cacheBusted) verdict = BUSTED_VERDICT(s.imageId, cmd);
    else {
      const found = probeCache(await this.d.store.list(), s.imageId, key);
      verdict = found.verdict;
      if (found.hit) {
        this.emit({ type: 'cache', verdict });
        s.imageId = found.hit.id;
        s.image = found.hit;
        this.stepsCached++;
        return true;
      }
      s.cacheBusted = true;
    }
    this.emit({ type: 'miss', verdict });
    return false;
  }

  /** A step's image, with a build container's layer (`container`), or only a new config (`containerId`: the step's container, for the record). */
  private async commit(s: StageState, key: ImageRunConfig, container?: ContainerConfig, containerId?: string): Promise<void> {
    const image = await commitStepImage(this.d.trace, this.d.paths, this.d.store, {
      parent: s.image,
      config: s.runConfig,
      containerConfig: key,
      author: s.maintainer,
      container,
      containerId,
    });
    s.imageId = image.id;
    s.image = image;
    this.stepsRun++;
  }

  /**
   * moby's commit(): a metadata step. Key Cmd: [shell..., "#(nop) ", text]
   * (hence `#(nop)  CMD` with two spaces in history). Docker's classic
   * builder makes a container for it too — created from the current image
   * with that Cmd, never started — and commits it; glass does the same, so
   * its lines ("Running in", "Removing intermediate container") and events
   * (create, destroy) are Docker's. A container that never ran changed
   * nothing: its image is the parent's layers with the new config and an
   * empty_layer history entry, so its upperdir is not read.
   */
  private async commitMeta(s: StageState, text: string): Promise<void> {
    const key = { ...s.runConfig, Cmd: [...shellOf(s.runConfig), '#(nop) ', text] };
    if (await this.probe(s, key)) return;
    const c = await this.createContainer(s, key.Cmd, [], false);
    this.emit({ type: 'running', containerId: c.id.slice(0, 12) });
    try {
      await this.commit(s, key, undefined, c.id);
    } catch (e) {
      await this.removeContainer(c.id).catch(() => {});
      throw e;
    }
    await this.removeContainer(c.id);
  }

  /** Create a build container from the current image (never started unless RUN starts it). */
  private async createContainer(s: StageState, cmd: string[], env: string[], imageVolumes: boolean): Promise<ContainerConfig> {
    const c = await this.d.containers.create(
      {
        image: s.imageId || 'scratch',
        ...(s.imageId ? {} : { scratch: true }),
        command: cmd,
        entrypoint: '',
        env,
        user: s.runConfig.User ?? '',
        workdir: s.runConfig.WorkingDir || undefined,
        imageVolumes,
        // --network: RUN steps join the default bridge unless told otherwise (only a RUN container ever starts).
        ...(this.opts.network ? { network: { mode: this.opts.network } } : {}),
      },
      this.d.call,
    );
    this.live = c.id;
    return c;
  }

  /** --rm=false keeps build containers (unless --force-rm). A failed RUN's container goes too: the issue asks for it (Docker keeps it unless --force-rm). */
  private async removeContainer(id: string): Promise<void> {
    this.live = undefined;
    if (this.opts.rm === false && !this.opts.forceRm) return;
    this.emit({ type: 'removing', containerId: id.slice(0, 12) });
    await this.d.containers.remove(id, { force: true, volumes: true, ...this.d.call });
  }

  // ---- instructions -----------------------------------------------------------

  private async dispatch(s: StageState, inst: Inst): Promise<void> {
    const env = this.envOf(s);
    const literal = this.literal.has(inst);
    const w = (word: string) => (literal ? word : this.word(word, env));
    const rc = s.runConfig;
    switch (inst.keyword) {
      case 'ENV': {
        const pairs = inst.pairs.map((p) => `${w(p.key)}=${w(p.value)}`);
        const list = [...(rc.Env ?? [])];
        for (const kv of pairs) {
          const key = kv.slice(0, kv.indexOf('='));
          const i = list.findIndex((e) => e.split('=')[0] === key);
          if (i >= 0) list[i] = kv;
          else list.push(kv);
        }
        rc.Env = list;
        return this.commitMeta(s, `ENV ${pairs.join(' ')}`);
      }
      case 'LABEL': {
        const pairs = inst.pairs.map((p) => [w(p.key), w(p.value)] as const);
        rc.Labels = { ...(rc.Labels ?? {}) };
        for (const [k, v] of pairs) rc.Labels[k] = v;
        return this.commitMeta(s, `LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
      }
      case 'MAINTAINER':
        s.maintainer = inst.value;
        return this.commitMeta(s, `MAINTAINER ${inst.value}`);
      case 'ARG': {
        const parts: string[] = [];
        for (const a of inst.args) {
          const value = a.value === undefined ? undefined : w(a.value);
          s.args.declare(a.name, value);
          parts.push(value === undefined ? a.name : `${a.name}=${value}`);
        }
        return this.commitMeta(s, `ARG ${parts.join(' ')}`);
      }
      case 'EXPOSE': {
        // Docker's one word-to-words expansion: EXPOSE $PORTS with PORTS="80 443".
        const ports = inst.ports.flatMap((p) => (literal ? [p] : expandWords(p, env, this.escape)));
        rc.ExposedPorts = { ...(rc.ExposedPorts ?? {}) };
        for (const p of ports) for (const spec of portSpecs(p)) rc.ExposedPorts[spec] = {};
        return this.commitMeta(s, `EXPOSE ${ports.join(' ')}`);
      }
      case 'USER': {
        rc.User = w(inst.value);
        return this.commitMeta(s, `USER ${rc.User}`);
      }
      case 'VOLUME': {
        const paths = inst.paths.map((p) => w(p));
        rc.Volumes = { ...(rc.Volumes ?? {}) };
        for (const p of paths) {
          if (!p) throw fail('VOLUME specified can not be an empty string');
          rc.Volumes[p] = {};
        }
        return this.commitMeta(s, `VOLUME ${goList(paths)}`);
      }
      case 'STOPSIGNAL': {
        const sig = w(inst.value);
        try {
          parseSignal(sig);
        } catch {
          throw fail(`Invalid signal: ${sig}`);
        }
        rc.StopSignal = sig;
        return this.commitMeta(s, `STOPSIGNAL ${sig}`);
      }
      case 'CMD': {
        rc.Cmd = this.commandLine(rc, inst.command);
        if (rc.Cmd.length) s.cmdSet = true;
        return this.commitMeta(s, `CMD ${goQuoteList(rc.Cmd)}`);
      }
      case 'ENTRYPOINT': {
        rc.Entrypoint = this.commandLine(rc, inst.command);
        // An ENTRYPOINT drops the CMD it inherited, unless this stage set one (moby: cmdSet).
        if (!s.cmdSet) rc.Cmd = null;
        return this.commitMeta(s, `ENTRYPOINT ${goQuoteList(rc.Entrypoint)}`);
      }
      case 'SHELL':
        rc.Shell = [...inst.argv];
        return this.commitMeta(s, `SHELL ${goList(rc.Shell)}`);
      case 'HEALTHCHECK': {
        const old = rc.Healthcheck?.Test;
        if (old?.length && old[0] !== 'NONE') {
          this.emit({ type: 'output', stream: 'stdout', data: Buffer.from(`Note that overriding previous healthcheck: ${goList(old)}\n`) });
        }
        const h = inst.healthcheck;
        const hc: HealthConfig = { Test: [...h.test] };
        if (h.interval) hc.Interval = h.interval;
        if (h.timeout) hc.Timeout = h.timeout;
        if (h.startPeriod) hc.StartPeriod = h.startPeriod;
        if (h.retries) hc.Retries = h.retries;
        rc.Healthcheck = hc;
        return this.commitMeta(s, `HEALTHCHECK ${goHealthcheck(hc)}`);
      }
      case 'ONBUILD':
        rc.OnBuild = [...(rc.OnBuild ?? []), inst.triggerText];
        return this.commitMeta(s, `ONBUILD ${inst.triggerText}`);
      case 'WORKDIR':
        return this.workdir(s, w(inst.value));
      case 'RUN':
        return this.runStep(s, inst.command);
      case 'COPY':
      case 'ADD':
        return this.copyStep(s, inst, w);
      case 'FROM':
        throw fail('FROM is only allowed at the start of a stage');
    }
  }

  /** moby's resolveCmdLine: the exec form as it is; the shell form after SHELL (default /bin/sh -c). */
  private commandLine(rc: ImageRunConfig, form: CommandForm): string[] {
    return form.json ? [...form.argv] : [...shellOf(rc), form.text];
  }

  /**
   * WORKDIR: relative paths join the current one. Docker makes the
   * directory at once (in a build container, committed) when the image
   * lacks it, so the layer holds it; when it exists, only the config changes.
   */
  private async workdir(s: StageState, requested: string): Promise<void> {
    if (!requested) throw fail('cannot normalize nothing');
    const rc = s.runConfig;
    rc.WorkingDir = requested.startsWith('/') ? requested : posix.join('/', rc.WorkingDir || '/', requested);
    const key = { ...rc, Cmd: [...shellOf(rc), `#(nop) WORKDIR ${rc.WorkingDir}`] };
    if (await this.probe(s, key)) return;
    const c = await this.createContainer(s, key.Cmd, [], false);
    // Docker's WORKDIR makes a build container too, with its "Running in" and "Removing" lines (COPY's container Docker
    // never shows: it writes a layer without one; neither does glass).
    this.emit({ type: 'running', containerId: c.id.slice(0, 12) });
    try {
      await this.makeDirs(c.id, rc.WorkingDir);
      await this.commit(s, key, c);
    } catch (e) {
      await this.removeContainer(c.id).catch(() => {});
      throw e;
    }
    await this.removeContainer(c.id);
  }

  /** mkdir -p inside the container's root: the missing tail of `dir` as a tar of directories (0755, root) extracted at its deepest existing parent. */
  private async makeDirs(id: string, dir: string): Promise<void> {
    const parts = posix.normalize(dir).split('/').filter(Boolean);
    let existing = 0;
    for (; existing < parts.length; existing++) {
      const path = `/${parts.slice(0, existing + 1).join('/')}`;
      try {
        // Resolved inside the container's root, symlinks included; extracting under a non-directory fails with its own error.
        await this.d.containers.statPath(id, path, this.d.call);
      } catch (e) {
        if (isGlassError(e) && e.code === 'NO_SUCH_PATH') break;
        throw e;
      }
    }
    if (existing === parts.length) return;
    const base = `/${parts.slice(0, existing).join('/')}`;
    const tar = new PassThrough();
    const writer = new TarWriter(tar, new Date());
    const feeding = (async () => {
      for (let i = existing; i < parts.length; i++) await writer.dir(parts.slice(existing, i + 1).join('/'));
      await writer.finish();
      tar.end();
    })();
    await Promise.all([this.d.containers.extractArchive(id, base, tar, this.d.call), feeding]);
  }

  /** RUN: in a build container from the current image, with the build args in its environment; committed on success. */
  private async runStep(s: StageState, form: CommandForm): Promise<void> {
    const rc = s.runConfig;
    const cmd = this.commandLine(rc, form);
    const buildArgs = s.args.filterAllowed(rc.Env ?? []);
    // The args RUN sees change what it does, so they are in its key (and history): "|1 A=1 /bin/sh -c ...".
    const saveCmd = buildArgs.length ? s.args.prefixedCmd(buildArgs, cmd) : cmd;
    const key: ImageRunConfig = { ...rc, Cmd: saveCmd, Entrypoint: null };
    if (await this.probe(s, key)) return;
    const c = await this.createContainer(s, cmd, buildArgs, true);
    this.emit({ type: 'running', containerId: c.id.slice(0, 12) });
    let code: number;
    try {
      code = await this.runContainer(c.id);
    } catch (e) {
      await this.removeContainer(c.id).catch(() => {});
      if (this.opts.signal?.aborted) throw cancelled();
      throw isGlassError(e) ? new GlassError('INVALID_ARGUMENT', e.message, 1) : e;
    }
    if (code !== 0) {
      await this.removeContainer(c.id).catch(() => {});
      if (this.opts.signal?.aborted) throw cancelled();
      throw new GlassError('BUILD_RUN_FAILED', `The command '${cmd.join(' ')}' returned a non-zero code: ${code}`, code);
    }
    try {
      await this.commit(s, key, c);
    } catch (e) {
      await this.removeContainer(c.id).catch(() => {});
      throw e;
    }
    await this.removeContainer(c.id);
  }

  /** Start attached, stream its output as it comes, wait; the exit code. Ctrl-C kills it. */
  private async runContainer(id: string): Promise<number> {
    const { signal } = this.opts;
    if (signal?.aborted) throw cancelled();
    const started = await this.d.containers.start(id, { attach: true, ...this.d.call });
    const att = started.attachment!;
    att.on('stdout', (data) => this.emit({ type: 'output', stream: 'stdout', data }));
    att.on('stderr', (data) => this.emit({ type: 'output', stream: 'stderr', data }));
    const onAbort = () => void this.d.containers.kill(id, 'SIGKILL', this.d.call).catch(() => {});
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const code = await att.exited();
      att.detach();
      // Let the shim finish (exit record, cgroup removal) before the upperdir is read.
      const late = await this.d.containers.wait(id, undefined, this.d.call);
      return code ?? late ?? -1;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** COPY and ADD (copy.ts does the files): probe on Docker's key ("COPY file:<sha> in /app "), else a created container, filled, committed. */
  private async copyStep(s: StageState, inst: Extract<Inst, { keyword: 'COPY' | 'ADD' }>, w: (word: string) => string): Promise<void> {
    const rc = s.runConfig;
    const prepared = await prepareCopy(
      {
        kind: inst.keyword,
        sources: inst.sources.map(w),
        dest: w(inst.dest),
        ...(inst.chown !== undefined ? { chown: w(inst.chown) } : {}),
        ...(inst.chmod !== undefined ? { chmod: w(inst.chmod) } : {}),
        // Docker 20.10's classic builder does not expand --from (BuildKit does).
        ...(inst.from !== undefined ? { from: inst.from } : {}),
      },
      {
        trace: this.d.trace,
        call: this.d.call,
        containers: this.d.containers,
        context: this.ctx,
        workdir: rc.WorkingDir ?? '',
        fromImage: (ref: string) => this.fromImage(s, ref),
        scratchDir: this.d.scratchDir,
        signal: this.opts.signal,
      },
    );
    try {
      const key = { ...rc, Cmd: [...shellOf(rc), `#(nop) ${prepared.comment}`] };
      if (await this.probe(s, key)) return;
      this.checkAbort();
      const c = await this.createContainer(s, key.Cmd, [], false);
      let ok = false;
      try {
        await prepared.apply(c.id);
        this.checkAbort();
        await this.commit(s, key, c);
        ok = true;
      } finally {
        this.live = undefined;
        if (this.opts.rm !== false || this.opts.forceRm || !ok) await this.d.containers.remove(c.id, { force: true, volumes: true, ...this.d.call }).catch(() => {});
      }
    } finally {
      await prepared.dispose();
    }
  }
}

/** nat.ParsePortSpecs for EXPOSE: "80", "80/udp", "8000-8002" (each port of a range). */
export function portSpecs(word: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/([^/]*))?$/.exec(word);
  if (!m) throw fail(`Invalid containerPort: ${word.split('/')[0]}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw fail(`Invalid proto: ${m[3]}`);
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535 || end < start) throw fail(`Invalid containerPort: ${word.split('/')[0]}`);
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}
