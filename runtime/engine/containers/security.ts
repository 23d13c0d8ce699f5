import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GlassError } from '../errors.js';
import { CAPABILITIES } from '../../kernel/proc-view.js';
import { parseSeccompProfile, resolveSeccompProfile, type SeccompProfile } from './seccomp.js';
import { DEFAULT_SECCOMP_PROFILE } from './seccomp-default.js';

/**
 * A container's confinement (Docker's rules): its capabilities, seccomp
 * profile, no_new_privs, masked and read-only paths, read-only root,
 * --privileged and --group-add. Pure rules, checked at create without root;
 * the shim applies them (native/security.c, rootfs.c, user.c).
 */

/** What the user asked for (run/create flags, or the Engine API). */
export interface SecurityOptions {
  /** --cap-add: names with or without CAP_, any case, or ALL. */
  capAdd?: string[];
  capDrop?: string[];
  /** --security-opt: no-new-privileges[=true|false], seccomp=unconfined|PATH|JSON. */
  securityOpt?: string[];
  privileged?: boolean;
  /** --read-only */
  readOnly?: boolean;
  /** --group-add: group names or gids, looked up in the container's /etc/group. */
  groupAdd?: string[];
}

/** As kept in config.json, and shown by inspect under HostConfig (Docker's names and normal forms). */
export interface SecurityConfig {
  /** "CAP_NET_ADMIN" or "ALL", sorted; null when none (Docker shows null). */
  capAdd: string[] | null;
  capDrop: string[] | null;
  privileged: boolean;
  readonlyRootfs: boolean;
  /** Docker's form: "no-new-privileges", "seccomp=unconfined", "seccomp=<the profile's JSON, compacted>". */
  securityOpt: string[] | null;
  groupAdd: string[] | null;
}

/** Every capability Linux has, by number (CAP_CHOWN is 0): the kernel layer's list. */
export const ALL_CAPABILITIES = CAPABILITIES;

/**
 * Docker's default set: what a process may do to its own files and processes
 * (chown, bypass file permissions as root does, kill, setuid to drop root,
 * mknod, bind ports below 1024, raw sockets for ping, chroot). Not in it:
 * SYS_ADMIN (mount, unshare, namespaces...), SYS_MODULE, SYS_TIME, SYS_BOOT,
 * NET_ADMIN, SYS_PTRACE, DAC_READ_SEARCH (open_by_handle_at), SYS_RAWIO...
 */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Docker's masked paths: the host kernel's files a container has no business reading. */
export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];

/** Docker's read-only paths: readable, but no way to change the host's kernel through them. */
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** "net_admin", "CAP_NET_ADMIN", " Net_Admin " → "CAP_NET_ADMIN"; "all" → "ALL" (Docker's CLI normalises the same way). */
export function normalizeCapability(name: string): string {
  const n = name.trim().toUpperCase();
  return n === 'ALL' || n.startsWith('CAP_') ? n : `CAP_${n}`;
}

function normalizeList(names: string[] | undefined, which: 'CapAdd' | 'CapDrop'): string[] {
  const out = new Set<string>();
  for (const raw of names ?? []) {
    const c = normalizeCapability(raw);
    if (c !== 'ALL' && !(ALL_CAPABILITIES as readonly string[]).includes(c)) {
      throw new GlassError('INVALID_ARGUMENT', `invalid ${which}: unknown capability: "${c}"`);
    }
    out.add(c);
  }
  return out.has('ALL') ? ['ALL'] : [...out].sort();
}

/** "no-new-privileges", "no-new-privileges=true": Docker also accepts the older ":" separator. */
function splitOpt(opt: string): [string, string | undefined] {
  const m = /^([a-z-]+)[=:](.*)$/s.exec(opt);
  return m ? [m[1]!, m[2]!] : [opt, undefined];
}

/**
 * The options as config.json keeps them, checked: unknown capability names
 * and bad --security-opt values are refused here, before anything is made.
 * A seccomp profile given as a path is read now (as Docker's CLI does) and
 * kept as its compacted JSON, so the container does not depend on the file.
 */
export function resolveSecurity(opts: SecurityOptions | undefined): SecurityConfig {
  let capAdd = normalizeList(opts?.capAdd, 'CapAdd');
  let capDrop = normalizeList(opts?.capDrop, 'CapDrop');
  // Docker's CLI: --cap-add wins over --cap-drop for a capability in both.
  if (!capAdd.includes('ALL')) capDrop = capDrop.filter((c) => !capAdd.includes(c));
  if (capAdd.includes('ALL') && capDrop.includes('ALL')) capDrop = [];
  const securityOpt: string[] = [];
  (opts?.securityOpt ?? []).forEach((opt, i) => {
    const [key, value] = splitOpt(opt);
    const invalid = () => new GlassError('INVALID_ARGUMENT', `invalid --security-opt ${i + 1}: "${opt}"`);
    if (key === 'no-new-privileges') {
      if (value !== undefined && value !== 'true' && value !== 'false') throw invalid();
      securityOpt.push(opt);
    } else if (key === 'seccomp') {
      if (!value) throw invalid();
      if (value === 'unconfined') securityOpt.push('seccomp=unconfined');
      else securityOpt.push(`seccomp=${JSON.stringify(readProfile(value))}`);
    } else if (key === 'apparmor' || key === 'label') {
      throw new GlassError('INVALID_ARGUMENT', `--security-opt ${opt}: glass has no AppArmor or SELinux support; leave it out (capabilities, seccomp and no-new-privileges are what glass applies)`);
    } else {
      throw invalid();
    }
  });
  for (const g of opts?.groupAdd ?? []) {
    if (!g || /[:\s]/.test(g)) throw new GlassError('INVALID_ARGUMENT', `invalid --group-add "${g}": give a group name or a numeric gid`);
  }
  return {
    capAdd: capAdd.length ? capAdd : null,
    capDrop: capDrop.length ? capDrop : null,
    privileged: !!opts?.privileged,
    readonlyRootfs: !!opts?.readOnly,
    securityOpt: securityOpt.length ? securityOpt : null,
    groupAdd: opts?.groupAdd?.length ? [...opts.groupAdd] : null,
  };
}

/** A seccomp= value: the JSON itself (from the API), or a file to read. */
function readProfile(value: string): SeccompProfile {
  if (value.trimStart().startsWith('{')) return parseSeccompProfile(value, '(inline JSON)');
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (e) {
    throw new GlassError('INVALID_ARGUMENT', `opening seccomp profile (${value}) failed: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  return parseSeccompProfile(text, value);
}

/** Containers made before glass had confinement get today's defaults. */
const DEFAULTS: SecurityConfig = { capAdd: null, capDrop: null, privileged: false, readonlyRootfs: false, securityOpt: null, groupAdd: null };

/** Docker's rule (TweakCapabilities): the container's capability set. */
export function effectiveCapabilities(sec: SecurityConfig = DEFAULTS): string[] {
  if (sec.privileged) return [...ALL_CAPABILITIES];
  const add = sec.capAdd ?? [];
  const drop = sec.capDrop ?? [];
  if (add.includes('ALL')) return ALL_CAPABILITIES.filter((c) => !drop.includes(c));
  if (drop.includes('ALL')) return [...add];
  return [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add.filter((c) => !DEFAULT_CAPABILITIES.includes(c))];
}

export function noNewPrivileges(sec: SecurityConfig = DEFAULTS): boolean {
  let on = false;
  for (const o of sec.securityOpt ?? []) {
    const [k, v] = splitOpt(o);
    if (k === 'no-new-privileges') on = v === undefined || v === 'true';
  }
  return on;
}

/** The profile the container runs under: null for none (--privileged or seccomp=unconfined). */
export function seccompProfile(sec: SecurityConfig = DEFAULTS): SeccompProfile | null {
  if (sec.privileged) return null;
  let p: SeccompProfile | null = DEFAULT_SECCOMP_PROFILE;
  for (const o of sec.securityOpt ?? []) {
    const [k, v] = splitOpt(o);
    if (k === 'seccomp') p = v === 'unconfined' ? null : parseSeccompProfile(v!, '(kept in config.json)');
  }
  return p;
}

/** The file the shim reads the resolved seccomp rules from. */
export const seccompFile = (dir: string) => join(dir, 'seccomp.profile');

/**
 * Before a start: write the resolved seccomp rules into the state directory
 * (or nothing, when there is no filter). Returns the file, or undefined.
 */
export function writeSeccompFile(dir: string, sec: SecurityConfig | undefined): string | undefined {
  const p = seccompProfile(sec);
  if (!p) return undefined;
  const f = seccompFile(dir);
  writeFileSync(f, resolveSeccompProfile(p, { caps: effectiveCapabilities(sec) }));
  return f;
}

/** The shim.spec pairs for the container's confinement (native/README.md). */
export function securitySpecPairs(dir: string, sec: SecurityConfig | undefined): [string, string][] {
  const s = sec ?? DEFAULTS;
  const pairs: [string, string][] = [];
  if (s.privileged) pairs.push(['privileged', '1']);
  for (const c of effectiveCapabilities(s)) pairs.push(['cap', c]);
  if (noNewPrivileges(s)) pairs.push(['no-new-privileges', '1']);
  if (seccompProfile(s)) pairs.push(['seccomp', seccompFile(dir)]);
  if (!s.privileged) {
    for (const m of MASKED_PATHS) pairs.push(['mask', m]);
    for (const r of READONLY_PATHS) pairs.push(['readonly', r]);
  }
  if (s.readonlyRootfs) pairs.push(['rootfs-readonly', '1']);
  for (const g of s.groupAdd ?? []) pairs.push(['group-add', g]);
  return pairs;
}

/** inspect's HostConfig fields, as Docker shows them. */
export function securityInspect(sec: SecurityConfig | undefined): Record<string, unknown> {
  const s = sec ?? DEFAULTS;
  return {
    CapAdd: s.capAdd,
    CapDrop: s.capDrop,
    GroupAdd: s.groupAdd,
    Privileged: s.privileged,
    ReadonlyRootfs: s.readonlyRootfs,
    SecurityOpt: s.securityOpt,
    MaskedPaths: s.privileged ? null : MASKED_PATHS,
    ReadonlyPaths: s.privileged ? null : READONLY_PATHS,
  };
}
