import { release } from 'node:os';
import { GlassError } from '../errors.js';
import { SYSCALL_NAMES } from './syscalls.js';

/**
 * seccomp profiles in Docker's JSON format (moby profiles/seccomp), checked at
 * create and resolved at start into the plain rule file the shim reads
 * (native/security.c, load_seccomp). Resolving here keeps the C small: which
 * rules apply to this machine's architecture and to the container's
 * capabilities is decided in TypeScript, where it is unit-tested.
 */

export type SeccompAction =
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_LOG';

export type SeccompOp = 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOp;
}

export interface SeccompFilter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface SeccompSyscall {
  names?: string[];
  /** The older one-name form. */
  name?: string;
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  comment?: string;
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[] | null;
  archMap?: { architecture: string; subArchitectures: string[] | null }[] | null;
  syscalls?: SeccompSyscall[] | null;
}

const ACTIONS: Record<string, string> = {
  SCMP_ACT_ALLOW: 'allow',
  SCMP_ACT_ERRNO: 'errno',
  SCMP_ACT_KILL: 'kill',
  SCMP_ACT_KILL_THREAD: 'kill',
  SCMP_ACT_KILL_PROCESS: 'kill-process',
  SCMP_ACT_TRAP: 'trap',
  SCMP_ACT_LOG: 'log',
};

const OPS: Record<string, string> = {
  SCMP_CMP_NE: 'ne',
  SCMP_CMP_LT: 'lt',
  SCMP_CMP_LE: 'le',
  SCMP_CMP_EQ: 'eq',
  SCMP_CMP_GE: 'ge',
  SCMP_CMP_GT: 'gt',
  SCMP_CMP_MASKED_EQ: 'masked_eq',
};

/** Node's process.arch → Go's GOARCH, the names Docker's profiles use in `arches`. */
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le', riscv64: 'riscv64', mips: 'mips', mipsel: 'mipsle' };
/** GOARCH → libseccomp's native architecture constant. */
const NATIVE_ARCH: Record<string, string> = { amd64: 'SCMP_ARCH_X86_64', '386': 'SCMP_ARCH_X86', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM', s390x: 'SCMP_ARCH_S390X', ppc64le: 'SCMP_ARCH_PPC64LE', riscv64: 'SCMP_ARCH_RISCV64' };

function bad(where: string, what: string): never {
  throw new GlassError('INVALID_ARGUMENT', `seccomp profile ${where}: ${what}`);
}

/**
 * Parse and check a profile (the text of a JSON file). Refused: text that is
 * not JSON, a shape that is not a profile, an unknown action or operator, and
 * a syscall name that no architecture has (a typo would otherwise silently
 * leave the call refused, or allowed).
 */
export function parseSeccompProfile(text: string, where: string): SeccompProfile {
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch (e) {
    bad(where, `not valid JSON (${(e as Error).message}): give a JSON profile in Docker's format (like its default.json), or seccomp=unconfined`);
  }
  if (!p || typeof p !== 'object' || Array.isArray(p)) bad(where, 'not a profile: expected a JSON object with "defaultAction" and "syscalls"');
  const prof = p as SeccompProfile;
  if (!ACTIONS[prof.defaultAction as string]) bad(where, `unknown defaultAction ${JSON.stringify(prof.defaultAction)} (one of ${Object.keys(ACTIONS).join(', ')})`);
  if (prof.syscalls != null && !Array.isArray(prof.syscalls)) bad(where, '"syscalls" must be a list');
  (prof.syscalls ?? []).forEach((s, i) => {
    const at = `syscalls[${i}]`;
    if (!s || typeof s !== 'object') bad(where, `${at} is not an object`);
    const names = s.names ?? (s.name !== undefined ? [s.name] : []);
    if (!Array.isArray(names) || names.length === 0) bad(where, `${at} names no syscall ("names": [...])`);
    for (const n of names) {
      if (typeof n !== 'string' || !SYSCALL_NAMES.has(n)) bad(where, `unknown syscall ${JSON.stringify(n)} in ${at}.names: no Linux architecture has a system call of that name`);
    }
    if (!ACTIONS[s.action as string]) bad(where, `unknown action ${JSON.stringify(s.action)} in ${at} (one of ${Object.keys(ACTIONS).join(', ')})`);
    for (const [j, a] of (s.args ?? []).entries()) {
      if (!a || !Number.isInteger(a.index) || a.index < 0 || a.index > 5) bad(where, `${at}.args[${j}]: "index" must be 0 to 5`);
      if (!OPS[a.op as string]) bad(where, `${at}.args[${j}]: unknown op ${JSON.stringify(a.op)} (one of ${Object.keys(OPS).join(', ')})`);
      if (typeof a.value !== 'number' || (a.valueTwo !== undefined && typeof a.valueTwo !== 'number')) bad(where, `${at}.args[${j}]: "value" must be a number`);
    }
  });
  return prof;
}

function kernelAtLeast(min: string, kernel: string): boolean {
  const a = min.split('.').map(Number);
  const b = kernel.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < a.length; i++) {
    if ((b[i] ?? 0) !== a[i]) return (b[i] ?? 0) > a[i]!;
  }
  return true;
}

export interface ResolveContext {
  /** The container's capabilities, "CAP_X" names. */
  caps: readonly string[];
  /** Go's architecture name (amd64, arm64...); default: this machine's. */
  arch?: string;
  /** Kernel release; default: this machine's. */
  kernel?: string;
}

/** Does a group apply here (Docker's includes/excludes rules)? */
function applies(s: SeccompSyscall, ctx: Required<ResolveContext>): boolean {
  const inc = s.includes ?? {};
  const exc = s.excludes ?? {};
  if (inc.arches?.length && !inc.arches.includes(ctx.arch)) return false;
  if (inc.caps?.length && !inc.caps.every((c) => ctx.caps.includes(c))) return false;
  if (inc.minKernel && !kernelAtLeast(inc.minKernel, ctx.kernel)) return false;
  if (exc.arches?.length && exc.arches.includes(ctx.arch)) return false;
  if (exc.caps?.length && exc.caps.some((c) => ctx.caps.includes(c))) return false;
  if (exc.minKernel && kernelAtLeast(exc.minKernel, ctx.kernel)) return false;
  return true;
}

function action(a: SeccompAction, errnoRet: number | undefined, fallback: number): string {
  return a === 'SCMP_ACT_ERRNO' ? `errno=${errnoRet ?? fallback}` : ACTIONS[a]!;
}

const arg = (a: SeccompArg) => `${a.index}:${OPS[a.op]}:${a.value}${a.valueTwo !== undefined ? `:${a.valueTwo}` : ''}`;

/**
 * The rule file native/security.c reads: `default <action>`, `arch <name>`
 * lines, then one `<action> <syscall> [<index>:<op>:<value>[:<valueTwo>]]...`
 * line per rule (conditions on a line must all hold). As runc does, when a
 * rule has two conditions on the same argument, each becomes a rule of its own.
 */
export function resolveSeccompProfile(p: SeccompProfile, rc: ResolveContext): string {
  const ctx: Required<ResolveContext> = {
    caps: rc.caps,
    arch: rc.arch ?? GOARCH[process.arch] ?? process.arch,
    kernel: rc.kernel ?? release(),
  };
  const errno = p.defaultErrnoRet ?? 1;
  const lines = ['# glass: the container\'s seccomp profile, resolved for its architecture and capabilities (native/README.md)', `default ${action(p.defaultAction, p.defaultErrnoRet, 1)}`];
  const native = NATIVE_ARCH[ctx.arch];
  const arches = new Set<string>();
  if (p.archMap?.length) {
    for (const m of p.archMap) if (m.architecture === native) [m.architecture, ...(m.subArchitectures ?? [])].forEach((a) => arches.add(a));
  } else {
    for (const a of p.architectures ?? []) arches.add(a);
  }
  for (const a of arches) lines.push(`arch ${a.replace(/^SCMP_ARCH_/, '').toLowerCase()}`);
  const deflt = action(p.defaultAction, p.defaultErrnoRet, 1);
  for (const s of p.syscalls ?? []) {
    if (!applies(s, ctx)) continue;
    const act = action(s.action, s.errnoRet, errno);
    if (act === deflt) continue; // libseccomp refuses a rule that repeats the default; runc skips it too
    const args = s.args ?? [];
    const sameIndex = new Set(args.map((a) => a.index)).size !== args.length;
    for (const name of s.names ?? (s.name !== undefined ? [s.name] : [])) {
      if (sameIndex) for (const a of args) lines.push(`${act} ${name} ${arg(a)}`);
      else lines.push([act, name, ...args.map(arg)].join(' '));
    }
  }
  return lines.join('\n') + '\n';
}
