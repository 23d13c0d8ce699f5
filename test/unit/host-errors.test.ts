// Root-free unit tests: host errors described, the state root resolved, env-file line limits.
import { afterEach, describe, expect, it } from 'vitest';
import { describeHostError, errnoText, isHostError, syscallMessage } from '../../runtime/engine/host-errors.js';
import { resolveRoot } from '../../runtime/engine/state/paths.js';
import { ENV_FILE_MAX_LINE, parseEnvFile } from '../../runtime/engine/containers/env.js';

/** An error shaped as Node's fs calls raise them. */
const errno = (code: string, syscall: string, path?: string) =>
  Object.assign(new Error(`${code}: something, ${syscall}${path ? ` '${path}'` : ''}`), { code, syscall, path });

describe('describeHostError', () => {
  const root = '/var/lib/glass';

  it('names the state root and what to do for a full or read-only root', () => {
    expect(describeHostError(errno('ENOSPC', 'write'), root)).toBe(
      "no space left on the filesystem of the state root /var/lib/glass: free space (glass rm, glass rmi, or the host's own files) and try again",
    );
    expect(describeHostError(errno('EROFS', 'open', `${root}/containers/x/.tmp`), root)).toBe(
      'the state root /var/lib/glass is on a read-only filesystem (open /var/lib/glass/containers/x/.tmp): point --root at a writable directory, or remount it read-write',
    );
  });

  it('speaks of the path itself outside the root', () => {
    expect(describeHostError(errno('ENOSPC', 'write', '/dev/full'), root)).toBe(
      'write /dev/full: no space left on device: free space on that filesystem, or write somewhere else',
    );
    expect(describeHostError(errno('ENOENT', 'open', '/nope/x.tar'), root)).toBe('open /nope/x.tar: no such file or directory: check the path');
    expect(describeHostError(errno('EMFILE', 'open', '/x'), root)).toMatch(/ulimit -n/);
  });

  it('leaves glass errors and unknown codes alone', () => {
    expect(describeHostError(new Error('plain'), root)).toBeUndefined();
    expect(describeHostError(Object.assign(new Error('x'), { code: 'NO_SUCH_CONTAINER' }), root)).toBeUndefined();
    expect(describeHostError(errno('EWHATEVER', 'open', '/x'), root)).toBeUndefined();
    expect(isHostError(errno('EIO', 'read'))).toBe(true);
  });

  it("words errors as Go does: 'write /dev/stdout: no space left on device'", () => {
    expect(syscallMessage(errno('ENOSPC', 'write'), '/dev/stdout')).toBe('write /dev/stdout: no space left on device');
    expect(errnoText(errno('EPIPE', 'write'))).toBe('broken pipe');
    expect(errnoText(Object.assign(new Error('EXYZ: odd thing, read'), { code: 'EXYZ' }))).toBe('odd thing');
  });
});

describe('resolveRoot', () => {
  const saved = process.env.GLASS_ROOT;
  afterEach(() => {
    if (saved === undefined) delete process.env.GLASS_ROOT;
    else process.env.GLASS_ROOT = saved;
  });

  it('refuses an empty --root or GLASS_ROOT instead of using the current directory', () => {
    expect(() => resolveRoot('')).toThrow(/^--root is empty/);
    process.env.GLASS_ROOT = '';
    expect(() => resolveRoot()).toThrow(/^GLASS_ROOT is set but empty/);
    expect(resolveRoot('/srv/glass-x')).toBe('/srv/glass-x'); // --root wins over GLASS_ROOT
  });

  it('makes a relative root absolute against the current directory; defaults to /var/lib/glass', () => {
    delete process.env.GLASS_ROOT;
    expect(resolveRoot('no-such-dir/state')).toBe(`${process.cwd()}/no-such-dir/state`);
    expect(resolveRoot()).toBe('/var/lib/glass');
  });
});

describe('parseEnvFile', () => {
  it("stops at Docker's 64 KiB line, naming the file and line", () => {
    expect(parseEnvFile('f.env', `A=${'a'.repeat(ENV_FILE_MAX_LINE - 3)}\n`)).toHaveLength(1);
    expect(() => parseEnvFile('f.env', `A=1\nB=${'b'.repeat(ENV_FILE_MAX_LINE)}\n`)).toThrow(
      /^env file f\.env: line 2 is longer than 64 KiB, .*\(bufio\.Scanner: token too long\)/,
    );
  });
});
