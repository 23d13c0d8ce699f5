import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_CAPABILITIES,
  effectiveCapabilities,
  noNewPrivileges,
  resolveSecurity,
  seccompProfile,
  securityInspect,
  securitySpecPairs,
} from '../../runtime/engine/containers/security.js';
import { parseSeccompProfile, resolveSeccompProfile } from '../../runtime/engine/containers/seccomp.js';
import { DEFAULT_SECCOMP_PROFILE } from '../../runtime/engine/containers/seccomp-default.js';

/** Docker's rules for --cap-add/--cap-drop, --security-opt, --privileged; the seccomp profile resolution. */
describe('capabilities', () => {
  it("defaults to Docker's 14 (CapEff a80425fb)", () => {
    const caps = effectiveCapabilities(resolveSecurity({}));
    expect(caps).toEqual(DEFAULT_CAPABILITIES);
    const bits = caps.map((c) => ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP'].indexOf(c));
    expect(bits.reduce((m, b) => m + 2 ** b, 0).toString(16)).toBe('a80425fb');
  });

  it('normalises names as Docker does: any case, with or without CAP_, ALL; sorted', () => {
    const s = resolveSecurity({ capAdd: ['net_admin', 'CAP_SYS_TIME', ' Sys_Nice '], capDrop: ['chown', 'mknod'] });
    expect(s.capAdd).toEqual(['CAP_NET_ADMIN', 'CAP_SYS_NICE', 'CAP_SYS_TIME']);
    expect(s.capDrop).toEqual(['CAP_CHOWN', 'CAP_MKNOD']);
    const caps = effectiveCapabilities(s);
    expect(caps).toContain('CAP_NET_ADMIN');
    expect(caps).not.toContain('CAP_CHOWN');
    expect(caps).toHaveLength(14 - 2 + 3);
  });

  it('ALL: --cap-add ALL minus the drops; --cap-drop ALL plus the adds; --cap-add wins over --cap-drop', () => {
    expect(effectiveCapabilities(resolveSecurity({ capAdd: ['all'], capDrop: ['chown'] }))).toHaveLength(40);
    expect(effectiveCapabilities(resolveSecurity({ capDrop: ['ALL'], capAdd: ['net_raw'] }))).toEqual(['CAP_NET_RAW']);
    expect(resolveSecurity({ capAdd: ['kill'], capDrop: ['kill', 'chown'] }).capDrop).toEqual(['CAP_CHOWN']);
    expect(effectiveCapabilities(resolveSecurity({ privileged: true }))).toHaveLength(41);
  });

  it("refuses an unknown capability with Docker's message", () => {
    expect(() => resolveSecurity({ capAdd: ['foo'] })).toThrow('invalid CapAdd: unknown capability: "CAP_FOO"');
    expect(() => resolveSecurity({ capDrop: ['CAP_NOPE'] })).toThrow('invalid CapDrop: unknown capability: "CAP_NOPE"');
  });
});

describe('--security-opt', () => {
  it('no-new-privileges, =true, =false, and the older colon form', () => {
    expect(noNewPrivileges(resolveSecurity({ securityOpt: ['no-new-privileges'] }))).toBe(true);
    expect(noNewPrivileges(resolveSecurity({ securityOpt: ['no-new-privileges=true'] }))).toBe(true);
    expect(noNewPrivileges(resolveSecurity({ securityOpt: ['no-new-privileges:true'] }))).toBe(true);
    expect(noNewPrivileges(resolveSecurity({ securityOpt: ['no-new-privileges=false'] }))).toBe(false);
    expect(noNewPrivileges(resolveSecurity({}))).toBe(false);
    expect(() => resolveSecurity({ securityOpt: ['no-new-privileges=maybe'] })).toThrow('invalid --security-opt 1: "no-new-privileges=maybe"');
    expect(() => resolveSecurity({ securityOpt: ['seccomp=unconfined', 'foo=bar'] })).toThrow('invalid --security-opt 2: "foo=bar"');
  });

  it('seccomp: default profile, unconfined, none when privileged, a file kept as compact JSON', () => {
    expect(seccompProfile(resolveSecurity({}))).toBe(DEFAULT_SECCOMP_PROFILE);
    expect(seccompProfile(resolveSecurity({ securityOpt: ['seccomp=unconfined'] }))).toBeNull();
    expect(seccompProfile(resolveSecurity({ privileged: true }))).toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'glass-seccomp-'));
    try {
      writeFileSync(join(dir, 'p.json'), '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [ { "names": ["mkdir"], "action": "SCMP_ACT_ERRNO" } ]\n}\n');
      const s = resolveSecurity({ securityOpt: [`seccomp=${join(dir, 'p.json')}`] });
      expect(s.securityOpt).toEqual(['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}']);
      expect(resolveSeccompProfile(seccompProfile(s)!, { caps: [] })).toMatch(/^default allow\nerrno=1 mkdir\n$/m);
      writeFileSync(join(dir, 'bad.json'), 'not json');
      expect(() => resolveSecurity({ securityOpt: [`seccomp=${join(dir, 'bad.json')}`] })).toThrow(/seccomp profile .*bad\.json: not valid JSON/);
      expect(() => resolveSecurity({ securityOpt: [`seccomp=${join(dir, 'missing.json')}`] })).toThrow(/opening seccomp profile \(.*missing\.json\) failed: no such file or directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a profile naming an unknown syscall, action or operator is refused', () => {
    expect(() => parseSeccompProfile('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","frobnicate"],"action":"SCMP_ACT_ALLOW"}]}', 'p.json')).toThrow('seccomp profile p.json: unknown syscall "frobnicate" in syscalls[0].names');
    expect(() => parseSeccompProfile('{"defaultAction":"SCMP_ACT_NOPE"}', 'p.json')).toThrow('unknown defaultAction');
    expect(() => parseSeccompProfile('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_XX"}]}]}', 'p.json')).toThrow('unknown op');
    expect(() => parseSeccompProfile('[1]', 'p.json')).toThrow('not a profile');
  });
});

describe("the default seccomp profile, resolved (Docker's default.json)", () => {
  const rules = (caps: string[], arch = 'amd64') => resolveSeccompProfile(DEFAULT_SECCOMP_PROFILE, { caps, arch, kernel: '6.1.0' }).split('\n');
  const plain = rules(DEFAULT_CAPABILITIES);

  it('denies with EPERM by default, for x86_64 with its 32-bit sub-architectures', () => {
    expect(plain.slice(1, 5)).toEqual(['default errno=1', 'arch x86_64', 'arch x86', 'arch x32']);
    expect(rules(DEFAULT_CAPABILITIES, 'arm64')).toContain('arch arm');
  });

  it('allows the everyday calls, refuses the dangerous ones', () => {
    for (const s of ['read', 'openat', 'execve', 'mknod', 'chown', 'ptrace', 'arch_prctl']) expect(plain).toContain(`allow ${s}`);
    for (const s of ['mount', 'unshare', 'setns', 'reboot', 'init_module', 'kexec_load', 'keyctl', 'open_by_handle_at', 'settimeofday', 'bpf']) expect(plain.join('\n')).not.toMatch(new RegExp(`^\\S+ ${s}( |$)`, 'm'));
    expect(plain).not.toContain('allow arm_fadvise64_64');
  });

  it('argument rules: clone only without namespace flags, personality values, no AF_VSOCK socket, clone3 ENOSYS', () => {
    expect(plain).toContain('allow clone 0:masked_eq:2114060288:0');
    expect(plain.filter((l) => l.startsWith('allow personality '))).toEqual(['allow personality 0:eq:0', 'allow personality 0:eq:8', 'allow personality 0:eq:131072', 'allow personality 0:eq:131080', 'allow personality 0:eq:4294967295']);
    expect(plain).toContain('allow socket 0:ne:40');
    expect(plain).toContain('errno=38 clone3');
  });

  it('capability-conditional groups follow the container\'s capabilities', () => {
    const admin = rules([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    for (const s of ['mount', 'unshare', 'setns', 'clone', 'clone3']) expect(admin).toContain(`allow ${s}`);
    expect(admin).not.toContain('allow clone 0:masked_eq:2114060288:0');
    expect(rules([...DEFAULT_CAPABILITIES, 'CAP_SYS_TIME'])).toContain('allow settimeofday');
    expect(rules(['CAP_DAC_READ_SEARCH'])).toContain('allow open_by_handle_at');
    expect(rules([]).filter((l) => l.includes('chroot'))).toEqual([]);
    expect(plain).toContain('allow chroot');
  });
});

describe('what the shim is told, and what inspect shows', () => {
  it('default: the caps, the seccomp file, masked and read-only paths', () => {
    const pairs = securitySpecPairs('/s', resolveSecurity({}));
    expect(pairs.filter(([k]) => k === 'cap').map(([, v]) => v)).toEqual(DEFAULT_CAPABILITIES);
    expect(pairs).toContainEqual(['seccomp', '/s/seccomp.profile']);
    expect(pairs).toContainEqual(['mask', '/proc/kcore']);
    expect(pairs).toContainEqual(['readonly', '/proc/sys']);
    expect(pairs.find(([k]) => k === 'privileged' || k === 'rootfs-readonly' || k === 'no-new-privileges')).toBeUndefined();
  });

  it('--privileged: no seccomp, no masks; --read-only, --group-add, no-new-privileges', () => {
    const pairs = securitySpecPairs('/s', resolveSecurity({ privileged: true, readOnly: true, groupAdd: ['wheel', '1000'], securityOpt: ['no-new-privileges'] }));
    expect(pairs).toContainEqual(['privileged', '1']);
    expect(pairs.find(([k]) => k === 'seccomp' || k === 'mask' || k === 'readonly')).toBeUndefined();
    expect(pairs).toContainEqual(['rootfs-readonly', '1']);
    expect(pairs.filter(([k]) => k === 'group-add')).toEqual([['group-add', 'wheel'], ['group-add', '1000']]);
    expect(pairs).toContainEqual(['no-new-privileges', '1']);
  });

  it("inspect's HostConfig fields: null when unset, as Docker shows them", () => {
    expect(securityInspect(resolveSecurity({}))).toMatchObject({ CapAdd: null, CapDrop: null, GroupAdd: null, Privileged: false, ReadonlyRootfs: false, SecurityOpt: null });
    expect(securityInspect(resolveSecurity({ capAdd: ['net_admin'], securityOpt: ['seccomp=unconfined'], privileged: true }))).toMatchObject({ CapAdd: ['CAP_NET_ADMIN'], SecurityOpt: ['seccomp=unconfined'], Privileged: true, MaskedPaths: null });
    // A container made before glass had confinement gets the defaults.
    expect(securityInspect(undefined)).toMatchObject({ Privileged: false, CapAdd: null });
  });
});
