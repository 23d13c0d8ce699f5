import { GlassError } from '../errors.js';
import { cfsBandwidth, type CgroupCapabilities, type CgroupLimits } from '../../kernel/cgroup/limits.js';

/**
 * Resource limits: run/create's -m, --memory-swap, --memory-reservation,
 * --cpu-shares, --cpus, --cpu-quota, --cpu-period, --cpuset-cpus,
 * --pids-limit and --oom-kill-disable, and `update`'s subset.
 *
 * Two steps, as in Docker: parse each value (the CLI's flag types: sizes with
 * go-units' RAMInBytes, --cpus as a rational number), then check them together
 * against the host (the daemon's verifyPlatformContainerResources, with its
 * wording). Both run in the engine at create, before anything is made, so a
 * notebook that calls the engine directly gets the same errors as the CLI and
 * a container whose limits could not work is never half-made.
 */

/** Stored in config.json, Docker's HostConfig names: bytes, microseconds, billionths of a CPU. */
export type Resources = CgroupLimits;

/** What a caller may hand in: numbers, or the strings a user typed ("32m", "0.5", "-1"). */
export interface ResourceOptions {
  memory?: string | number;
  memorySwap?: string | number;
  memoryReservation?: string | number;
  cpuShares?: string | number;
  cpus?: string | number;
  cpuQuota?: string | number;
  cpuPeriod?: string | number;
  cpusetCpus?: string;
  pidsLimit?: string | number;
  oomKillDisable?: boolean;
}

/** Docker's minimum for -m and --memory-reservation (linuxMinMemory). */
export const MIN_MEMORY = 6 * 1024 * 1024;

/** How pflag names each flag in its "invalid argument" errors. */
export const LIMIT_FLAGS: Record<keyof ResourceOptions, string> = {
  memory: '-m, --memory',
  memorySwap: '--memory-swap',
  memoryReservation: '--memory-reservation',
  cpuShares: '-c, --cpu-shares',
  cpus: '--cpus',
  cpuQuota: '--cpu-quota',
  cpuPeriod: '--cpu-period',
  cpusetCpus: '--cpuset-cpus',
  pidsLimit: '--pids-limit',
  oomKillDisable: '--oom-kill-disable',
};

/** A value that does not parse: the CLI shows it as a usage error, as Docker's flag parser does. */
export class LimitFlagError extends GlassError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message, 125);
  }
}

const invalid = (key: keyof ResourceOptions, raw: string, why: string): never => {
  throw new LimitFlagError(`invalid argument "${raw}" for "${LIMIT_FLAGS[key]}" flag: ${why}`);
};

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * go-units' RAMInBytes: "32m", "1.5g", "512k", "100", "64MiB", "2 GB" — the
 * units are powers of 1024 whatever the spelling. undefined when it does not parse.
 */
export function ramInBytes(s: string): number | undefined {
  const m = /^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m || !/^\d+(\.\d+)?$/.test(m[1]!)) return undefined;
  return Math.trunc(Number(m[1]) * UNITS[(m[3] ?? '').toLowerCase()]!);
}

function size(key: keyof ResourceOptions, v: string | number | undefined, minusOne = false): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) invalid(key, String(v), `invalid size: '${v}'`);
    return v;
  }
  if (minusOne && v === '-1') return -1;
  return ramInBytes(v) ?? invalid(key, v, `invalid size: '${v}'`);
}

function int(key: keyof ResourceOptions, v: string | number | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) invalid(key, String(v), `strconv.ParseInt: parsing "${v}": invalid syntax`);
    return v;
  }
  if (!/^[+-]?\d+$/.test(v)) invalid(key, v, `strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number.parseInt(v, 10);
}

/**
 * --cpus as Docker's CLI reads it (opts.NanoCPUs): a rational number ("0.5",
 * "1.25", "3/2"), times 10⁹, which must come out whole.
 */
export function parseCpus(raw: string | number): number {
  const s = String(raw).trim();
  const dec = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  const frac = /^([+-]?\d+)\/(\d+)$/.exec(s);
  let num: bigint;
  let den: bigint;
  if (frac && BigInt(frac[2]!) !== 0n) {
    num = BigInt(frac[1]!);
    den = BigInt(frac[2]!);
  } else if (dec && (dec[2] || dec[3])) {
    const digits = (dec[2] ?? '') + (dec[3] ?? '');
    const exp = Number(dec[4] ?? 0) - (dec[3]?.length ?? 0);
    num = BigInt(dec[1] === '-' ? `-${digits || '0'}` : digits || '0');
    den = 1n;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den = 10n ** BigInt(-exp);
  } else {
    return invalid('cpus', s, `failed to parse ${s} as a rational number`);
  }
  const scaled = num * 1_000_000_000n;
  if (scaled % den !== 0n) invalid('cpus', s, 'value is too precise');
  return Number(scaled / den);
}

/** The flags' values as numbers, each checked on its own (the CLI's part). */
export function parseResourceOptions(o: ResourceOptions = {}): Resources {
  const r: Resources = {
    memory: size('memory', o.memory),
    memorySwap: size('memorySwap', o.memorySwap, true),
    memoryReservation: size('memoryReservation', o.memoryReservation),
    cpuShares: int('cpuShares', o.cpuShares),
    nanoCpus: o.cpus === undefined || o.cpus === '' ? undefined : parseCpus(o.cpus),
    cpuQuota: int('cpuQuota', o.cpuQuota),
    cpuPeriod: int('cpuPeriod', o.cpuPeriod),
    cpusetCpus: o.cpusetCpus || undefined,
    pidsLimit: int('pidsLimit', o.pidsLimit),
    oomKillDisable: o.oomKillDisable || undefined,
  };
  return clean(r);
}

/** Without the unset fields (0, undefined), so config.json holds only what was asked for. */
function clean(r: Resources): Resources {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (v !== undefined && v !== 0 && v !== '' && v !== false) out[k] = v;
  return out as Resources;
}

export const hasLimits = (r: Resources | undefined): boolean => !!r && Object.keys(clean(r)).length > 0;

/** Docker's ParseUintList: "0-2,4" → {0,1,2,4}; undefined if malformed. */
export function parseCpuList(s: string): Set<number> | undefined {
  const out = new Set<number>();
  if (s.trim() === '') return out;
  for (const part of s.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return undefined;
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

const fail = (message: string): never => {
  throw new GlassError('INVALID_ARGUMENT', message, 125);
};

/**
 * Check the limits together against the host, in the daemon's order and with
 * its wording, and fill in its defaults. Returns the limits to record and the
 * warnings Docker would print (a limit the host cannot enforce is dropped
 * with a warning, as Docker does). `update`: the checks of `docker update`.
 */
export function checkResources(input: Resources, host: CgroupCapabilities, update = false): { resources: Resources; warnings: string[] } {
  const r: Resources = { ...input };
  const warnings: string[] = [];
  // memory
  if (r.memory && r.memory < MIN_MEMORY) fail('Minimum memory limit allowed is 6MB');
  if (r.memory && r.memory > 0 && r.memorySwap !== -1 && !host.swapLimit) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    r.memorySwap = -1;
  }
  if (r.memory && r.memory > 0 && r.memorySwap && r.memorySwap > 0 && r.memorySwap < r.memory) {
    fail('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (!r.memory && r.memorySwap && r.memorySwap > 0 && !update) fail('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (r.memoryReservation && r.memoryReservation < MIN_MEMORY) fail('Minimum memory reservation allowed is 6MB');
  if (r.memory && r.memory > 0 && r.memoryReservation && r.memory < r.memoryReservation) {
    fail('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (r.oomKillDisable && !host.oomKillDisable) {
    warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    r.oomKillDisable = undefined;
  }
  if (r.oomKillDisable && !r.memory) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  // cpu
  if (r.nanoCpus && r.nanoCpus > 0 && r.cpuPeriod && r.cpuPeriod > 0) fail('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (r.nanoCpus && r.nanoCpus > 0 && r.cpuQuota && r.cpuQuota > 0) fail('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  // Docker leaves the lower end to the kernel (a quota under 1 ms is refused
  // at start); glass says so at create, with Docker's message.
  const tooSmall = !!r.nanoCpus && r.nanoCpus > 0 && (cfsBandwidth(r).quota ?? 0) < 1000;
  if ((r.nanoCpus && r.nanoCpus < 0) || (r.nanoCpus ?? 0) > host.cpus * 1e9 || tooSmall) {
    fail(`Range of CPUs is from 0.01 to ${host.cpus}.00, as there are only ${host.cpus} CPUs available`);
  }
  if (r.cpuShares && r.cpuShares < 0) fail(`invalid --cpu-shares ${r.cpuShares}: shares are a relative weight from 2 to 262144 (1024 is every container's default)`);
  if (r.cpuPeriod && (r.cpuPeriod < 1000 || r.cpuPeriod > 1_000_000)) fail('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (r.cpuQuota && r.cpuQuota > 0 && r.cpuQuota < 1000) fail('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (r.cpuQuota && r.cpuQuota < -1) fail(`invalid --cpu-quota ${r.cpuQuota}: give microseconds of CPU time per period (at least 1000), or -1 for no quota`);
  // cpuset
  if (r.cpusetCpus) {
    const wanted = parseCpuList(r.cpusetCpus);
    if (!wanted) fail(`Invalid value ${r.cpusetCpus} for cpuset cpus: invalid format: ${r.cpusetCpus}`);
    const available = parseCpuList(host.cpuset) ?? new Set<number>();
    if ([...wanted!].some((c) => !available.has(c))) fail(`Requested CPUs are not available - requested ${r.cpusetCpus}, available: ${host.cpuset}`);
  }
  // pids: 0 and negative mean unlimited (Docker normalises them away).
  if (r.pidsLimit !== undefined && r.pidsLimit <= 0) r.pidsLimit = update ? -1 : undefined;
  // Docker's default: with -m and no --memory-swap, as much swap as memory.
  if (!update && r.memory && r.memory > 0 && !r.memorySwap) r.memorySwap = r.memory * 2;
  return { resources: update ? r : clean(r), warnings };
}

/**
 * `docker update`: the new values over the container's (moby's
 * UpdateContainer rules), then the same checks.
 */
export function mergeUpdate(current: Resources, change: Resources, containerId: string): Resources {
  const cannot = (why: string): never => fail(`Cannot update container ${containerId}: ${why}`);
  if (change.nanoCpus && current.cpuPeriod) cannot('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if (change.nanoCpus && current.cpuQuota && current.cpuQuota > 0) cannot('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if (change.cpuPeriod && current.nanoCpus) cannot('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if (change.cpuQuota && change.cpuQuota > 0 && current.nanoCpus) cannot('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  const out: Resources = { ...current };
  for (const k of ['cpuShares', 'nanoCpus', 'cpuPeriod', 'cpuQuota', 'cpusetCpus', 'memorySwap', 'memoryReservation', 'pidsLimit'] as const) {
    if (change[k] !== undefined && change[k] !== 0 && change[k] !== '') (out as Record<string, unknown>)[k] = change[k];
  }
  if (change.memory) {
    // Docker refuses a memory limit above the memory+swap limit already set, unless both change.
    if (current.memorySwap && current.memorySwap > 0 && change.memory > current.memorySwap && !change.memorySwap) {
      cannot('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    out.memory = change.memory;
  }
  return out;
}

/** Docker's HostConfig resource fields, for inspect (0, "" and null where not set, as Docker shows them). */
export function hostConfigResources(r: Resources | undefined): Record<string, unknown> {
  const x = r ?? {};
  return {
    CpuShares: x.cpuShares ?? 0,
    Memory: x.memory ?? 0,
    NanoCpus: x.nanoCpus ?? 0,
    CpuPeriod: x.cpuPeriod ?? 0,
    CpuQuota: x.cpuQuota ?? 0,
    CpusetCpus: x.cpusetCpus ?? '',
    MemoryReservation: x.memoryReservation ?? 0,
    MemorySwap: x.memorySwap ?? 0,
    OomKillDisable: x.oomKillDisable ?? false,
    PidsLimit: x.pidsLimit && x.pidsLimit > 0 ? x.pidsLimit : null,
  };
}
