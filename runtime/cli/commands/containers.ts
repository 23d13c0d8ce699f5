import { GlassError, LimitFlagError, parseResourceOptions, PortSpecError, resolvePorts, readEnvFile, readLabelFile, type Attachment, type CreateOptions, type ResourceOptions, type Step } from '../../engine/index.js';
import { UsageError } from '../parse.js';
import { bool, eachTarget, list, str, type Ctx, type Handler } from '../context.js';
import { writeToFile } from '../output-file.js';
import { pullIfMissing } from './pull.js';
import { outputClosed, pump } from '../stdio.js';
import { resolve as resolvePath } from 'node:path';

async function createOptions(ctx: Ctx): Promise<CreateOptions> {
  const [image, ...command] = ctx.args;
  // Read here, as Docker's CLI does, as a stream with its 64 KiB line limit (--env-file /dev/zero fails at once).
  const envFiles: CreateOptions['envFiles'] = [];
  for (const path of list(ctx.flags['env-file'])) envFiles.push({ path, text: await readEnvFile(path) });
  const labelFiles: CreateOptions['labelFiles'] = [];
  for (const path of list(ctx.flags['label-file'])) labelFiles.push({ path, text: await readLabelFile(path) });
  return {
    image: image!,
    command,
    name: str(ctx.flags.name),
    hostname: str(ctx.flags.hostname),
    env: list(ctx.flags.env),
    envFiles,
    workdir: str(ctx.flags.workdir),
    user: str(ctx.flags.user),
    entrypoint: ctx.changed.has('entrypoint') ? String(ctx.flags.entrypoint) : undefined,
    tty: bool(ctx.flags.tty),
    interactive: bool(ctx.flags.interactive),
    autoRemove: bool(ctx.flags.rm),
    logConfig: { type: str(ctx.flags['log-driver']), config: logOpts(list(ctx.flags['log-opt'])) },
    labels: [...list(ctx.flags.label), ...learnLabel()],
    labelFiles,
    resources: limitOptions(ctx),
    security: {
      capAdd: list(ctx.flags['cap-add']),
      capDrop: list(ctx.flags['cap-drop']),
      securityOpt: list(ctx.flags['security-opt']),
      privileged: bool(ctx.flags.privileged),
      readOnly: bool(ctx.flags['read-only']),
      groupAdd: list(ctx.flags['group-add']),
    },
    ports: portOptions(ctx),
    storage: {
      volumes: list(ctx.flags.volume).map(absoluteBindSource),
      mounts: list(ctx.flags.mount),
      tmpfs: list(ctx.flags.tmpfs),
      volumesFrom: list(ctx.flags['volumes-from']),
    },
    network: {
      mode: str(ctx.flags.network),
      ip: str(ctx.flags.ip),
      dns: list(ctx.flags.dns),
      dnsSearch: list(ctx.flags['dns-search']),
      dnsOptions: list(ctx.flags['dns-option']),
      extraHosts: list(ctx.flags['add-host']),
    },
    links: list(ctx.flags.link),
    networkAliases: list(ctx.flags['network-alias']),
  };
}

/** -p, --expose, -P: parsed here as Docker's CLI does (nat.ParsePortSpecs), so a bad value is a usage error (exit 125). */
function portOptions(ctx: Ctx): CreateOptions['ports'] {
  const o = { publish: list(ctx.flags.publish), expose: list(ctx.flags.expose), publishAll: bool(ctx.flags['publish-all']) };
  try {
    resolvePorts(o, undefined);
  } catch (e) {
    // Docker's CLI ends the message with a period (reportError).
    if (e instanceof PortSpecError) throw new UsageError(`${e.message.replace(/\.$/, '')}.`, ctx.name);
    throw e;
  }
  return o.publish.length || o.expose.length || o.publishAll ? o : undefined;
}

/** Docker's CLI makes a `-v ./dir:/x` (or `.:/x`) source absolute against the current directory; any other relative source is a volume name. */
function absoluteBindSource(v: string): string {
  const colon = v.indexOf(':');
  if (colon < 0) return v;
  const host = v.slice(0, colon);
  return host === '.' || host.startsWith('./') ? `${resolvePath(host)}${v.slice(colon)}` : v;
}

/** The limit flags given (run, create, update), as typed; the engine parses and checks them (limits.ts). */
export function limitOptions(ctx: Ctx): ResourceOptions | undefined {
  const given = (flag: string) => (ctx.changed.has(flag) ? (ctx.flags[flag] as string | number) : undefined);
  const o: ResourceOptions = {
    memory: given('memory'),
    memorySwap: given('memory-swap'),
    memoryReservation: given('memory-reservation'),
    cpuShares: given('cpu-shares'),
    cpus: given('cpus'),
    cpuQuota: given('cpu-quota'),
    cpuPeriod: given('cpu-period'),
    cpusetCpus: given('cpuset-cpus') as string | undefined,
    pidsLimit: given('pids-limit'),
    oomKillDisable: ctx.changed.has('oom-kill-disable') ? bool(ctx.flags['oom-kill-disable']) : undefined,
  };
  if (Object.values(o).every((v) => v === undefined)) return undefined;
  // A value that does not parse is a usage error, as Docker's flag parser makes it ("See 'glass run --help'.").
  try {
    parseResourceOptions(o);
  } catch (e) {
    if (e instanceof LimitFlagError) throw new UsageError(e.message, ctx.name);
    throw e;
  }
  return o;
}

/** Docker prints a limit the host cannot enforce (and drops) as "WARNING: ..." on stderr; the engine reports it as a step. */
function warnings(ctx: Ctx): (s: Step) => void {
  return (s) => {
    if (s.phase === 'failed' && s.title.startsWith('WARNING: ')) ctx.err(`${s.title}\n`);
  };
}

/** GLASS_LEARN_LABEL=KEY=VALUE: one more label (last, so it wins) on every container this process creates. */
function learnLabel(): string[] {
  // glass learn tags what a lesson creates so it can remove it when the learner leaves the lesson.
  const v = process.env.GLASS_LEARN_LABEL;
  if (!v) return [];
  if (v.startsWith('=')) throw new GlassError('INVALID_ARGUMENT', `GLASS_LEARN_LABEL="${v}" is not a label: set it to KEY=VALUE (e.g. glass.lesson=01-first-container), or unset it`);
  return [v];
}

/** --log-opt key=value, as Docker's CLI reads them: split at the first "=", a later key wins, no "=" means an empty value. */
function logOpts(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    out[i < 0 ? v : v.slice(0, i)] = i < 0 ? '' : v.slice(i + 1);
  }
  return out;
}

export const create: Handler = async (ctx) => {
  const opts = await createOptions(ctx);
  await pullIfMissing(ctx, opts.image);
  const c = await ctx.engine.containers.create(opts, { onStep: warnings(ctx) });
  ctx.out(c.id + '\n');
  return 0;
};

/** Forward Ctrl-C and friends to the container while attached without a tty (Docker's --sig-proxy). */
function proxySignals(ctx: Ctx, id: string): () => void {
  const handler = (sig: NodeJS.Signals) => void ctx.engine.containers.kill(id, sig).catch(() => {});
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  for (const s of sigs) process.on(s, handler);
  return () => sigs.forEach((s) => process.off(s, handler));
}

async function attachAndWait(ctx: Ctx, id: string, att: Attachment, tty: boolean, stdin: boolean, sigProxy = true): Promise<number> {
  // With a terminal, ^C travels as a byte through the pty and the container's
  // terminal turns it into SIGINT; without one, glass passes signals on (unless --sig-proxy=false).
  const unproxy = tty || !sigProxy ? () => {} : proxySignals(ctx, id);
  try {
    const code = await pump(att, { stdin, tty, onOutputClosed: () => void ctx.engine.containers.kill(id, 'SIGKILL').catch(() => {}) });
    if (code === 'detached') {
      ctx.err(`glass: detached from ${id.slice(0, 12)}; it keeps running (glass attach ${id.slice(0, 12)} to come back)\n`);
      return DETACHED;
    }
    return code ?? (await ctx.engine.containers.wait(id)) ?? 0;
  } finally {
    unproxy();
  }
}

/** -it needs a terminal to put into raw mode; Docker refuses the same way. */
export function requireTerminal(tty: boolean, stdin: boolean): void {
  if (tty && stdin && !process.stdin.isTTY) {
    throw new GlassError('INVALID_ARGUMENT', 'the input device is not a TTY: drop -t, or run glass from a terminal', 1);
  }
}

/** attachAndWait's answer when the user detached (Ctrl-P Ctrl-Q) instead of waiting for an exit. */
const DETACHED = -1;

/**
 * After an attached run: remove an --rm container, as promised to its shim.
 * If the user detached, it still runs; having hung up, this CLI no longer
 * holds the promise, so the shim's exit hook removes it when it exits.
 */
async function finishAttached(ctx: Ctx, id: string, autoRemove: boolean, code: number): Promise<number> {
  if (code === DETACHED) return 0;
  if (autoRemove) await ctx.engine.containers.remove(id, { force: true, volumes: true }).catch(() => {});
  return code;
}

export const run: Handler = async (ctx) => {
  const opts = await createOptions(ctx);
  const detach = bool(ctx.flags.detach);
  if (!detach) requireTerminal(!!opts.tty, !!opts.interactive);
  await pullIfMissing(ctx, opts.image);
  const c = await ctx.engine.containers.create(opts, { onStep: warnings(ctx) });
  if (detach) {
    try {
      await ctx.engine.containers.start(c.id);
    } catch (e) {
      await ctx.engine.containers.remove(c.id, { force: true, volumes: true }).catch(() => {});
      throw e;
    }
    ctx.out(c.id + '\n');
    return 0;
  }
  let code: number;
  let attachment;
  try {
    ({ attachment } = await ctx.engine.containers.start(c.id, { attach: true }));
  } catch (e) {
    // The user never got an ID for it: a run that could not start leaves nothing behind.
    await ctx.engine.containers.remove(c.id, { force: true, volumes: true }).catch(() => {});
    throw e;
  }
  code = await attachAndWait(ctx, c.id, attachment!, c.tty, c.openStdin);
  return finishAttached(ctx, c.id, c.autoRemove, code);
};

export const start: Handler = async (ctx) => {
  if (bool(ctx.flags.attach) || bool(ctx.flags.interactive)) {
    if (ctx.args.length > 1) throw new GlassError('INVALID_ARGUMENT', 'you cannot start and attach multiple containers at once');
    const info = await ctx.engine.containers.get(ctx.args[0]!);
    requireTerminal(info.config.tty, bool(ctx.flags.interactive) && info.config.openStdin);
    const { id, attachment } = await ctx.engine.containers.start(info.config.id, { attach: true });
    const code = await attachAndWait(ctx, id, attachment!, info.config.tty, bool(ctx.flags.interactive) && info.config.openStdin);
    return finishAttached(ctx, id, info.config.autoRemove, code);
  }
  return eachTarget(ctx, ctx.args, async (ref) => {
    await ctx.engine.containers.start(ref);
    return ref;
  });
};

export const stop: Handler = (ctx) =>
  eachTarget(ctx, ctx.args, async (ref) => {
    await ctx.engine.containers.stop(ref, Number(ctx.flags.time ?? 10));
    return ref;
  });

export const restart: Handler = (ctx) =>
  eachTarget(ctx, ctx.args, async (ref) => {
    await ctx.engine.containers.restart(ref, Number(ctx.flags.time ?? 10));
    return ref;
  });

export const kill: Handler = async (ctx) => {
  const signal = String(ctx.flags.signal ?? 'KILL');
  return eachTarget(ctx, ctx.args, async (ref) => {
    await ctx.engine.containers.kill(ref, signal);
    return ref;
  });
};

export const rm: Handler = (ctx) =>
  eachTarget(ctx, ctx.args, async (ref) => {
    await ctx.engine.containers.remove(ref, { force: bool(ctx.flags.force), volumes: bool(ctx.flags.volumes) });
    return ref;
  });

export const wait: Handler = (ctx) =>
  eachTarget(ctx, ctx.args, async (ref) => String((await ctx.engine.containers.wait(ref)) ?? -1));

export const attach: Handler = async (ctx) => {
  const { id, attachment, config } = await ctx.engine.containers.attach(ctx.args[0]!);
  const stdin = config.openStdin && !bool(ctx.flags['no-stdin']);
  requireTerminal(config.tty, stdin);
  // A container one attaches to was started detached: its --rm (if any) is already handled by its shim.
  return finishAttached(ctx, id, false, await attachAndWait(ctx, id, attachment, config.tty, stdin, bool(ctx.flags['sig-proxy'])));
};

export const logs: Handler = async (ctx) => {
  const tailFlag = String(ctx.flags.tail ?? 'all');
  let tail: number | undefined;
  if (tailFlag !== 'all') {
    if (!/^-?\d+$/.test(tailFlag)) throw new GlassError('INVALID_ARGUMENT', `invalid value for --tail: "${tailFlag}" (a number of lines, or "all")`);
    tail = Number(tailFlag) < 0 ? undefined : Number(tailFlag);
  }
  const timestamps = bool(ctx.flags.timestamps);
  for await (const e of ctx.engine.containers.logs(ctx.args[0]!, { follow: bool(ctx.flags.follow), tail })) {
    if (outputClosed()) break; // our reader is gone (logs | head)
    const text = timestamps ? `${e.time} ${e.log}` : e.log;
    if (e.stream === 'stderr') ctx.err(text);
    else ctx.out(text);
    await drained(e.stream === 'stderr' ? process.stderr : process.stdout);
  }
  return 0;
};

/**
 * Wait while a stream's buffer is full. Writes to a pipe are asynchronous in
 * Node: without this, a reader slower than the log (`logs | less`) would make
 * glass hold the rest of the log in memory.
 */
async function drained(stream: NodeJS.WriteStream): Promise<void> {
  if (!stream.writableNeedDrain || outputClosed()) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      for (const ev of ['drain', 'error', 'close']) stream.off(ev, done);
      resolve();
    };
    for (const ev of ['drain', 'error', 'close']) stream.on(ev, done);
  });
}

export const exportCmd: Handler = async (ctx) => {
  const output = str(ctx.flags.output);
  if (!output && process.stdout.isTTY) {
    throw new GlassError('INVALID_ARGUMENT', 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  if (output) await writeToFile(output, (out) => ctx.engine.containers.export(ctx.args[0]!, out));
  else await ctx.engine.containers.export(ctx.args[0]!, process.stdout);
  return 0;
};

export const rename: Handler = async (ctx) => {
  await ctx.engine.containers.rename(ctx.args[0]!, ctx.args[1]!);
  return 0;
};

/** `glass update [limit flags] CONTAINER...`: each container's name as given, one a line (Docker's output). */
export const update: Handler = async (ctx) => {
  const resources = limitOptions(ctx);
  if (!resources) throw new UsageError('You must provide one or more flags when using this command.', 'update', 'args');
  return eachTarget(ctx, ctx.args, async (ref) => {
    await ctx.engine.containers.update(ref, resources);
    return ref;
  });
};

export const pause: Handler = (ctx) =>
  eachTarget(ctx, ctx.args, async (ref) => {
    await ctx.engine.containers.pause(ref);
    return ref;
  });

export const unpause: Handler = (ctx) =>
  eachTarget(ctx, ctx.args, async (ref) => {
    await ctx.engine.containers.unpause(ref);
    return ref;
  });
