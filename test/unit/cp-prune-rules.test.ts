import { describe, expect, it } from 'vitest';
import {
  containerAbsPath,
  getRebaseName,
  goFileMode,
  prepareArchiveCopy,
  rfc3339Nano,
  splitCpArg,
  splitPathDirEntry,
} from '../../runtime/engine/containers/copy-rules.js';
import { renameTransform } from '../../runtime/kernel/inroot.js';
import { parsePruneFilters, pruneMatches, shownFilters } from '../../runtime/engine/prune-filters.js';
import { humanSize } from '../../runtime/cli/format.js';
import { parseArgs, UsageError } from '../../runtime/cli/parse.js';

describe('docker cp path rules', () => {
  it('splits CONTAINER:PATH as Docker does: "/" or "." first means a local path', () => {
    expect(splitCpArg('web:/etc/passwd')).toEqual({ container: 'web', path: '/etc/passwd' });
    expect(splitCpArg('web:etc')).toEqual({ container: 'web', path: 'etc' });
    expect(splitCpArg('/tmp/a:b')).toEqual({ path: '/tmp/a:b' });
    expect(splitCpArg('./a:b')).toEqual({ path: './a:b' });
    expect(splitCpArg('file.txt')).toEqual({ path: 'file.txt' });
    expect(splitCpArg('-')).toEqual({ path: '-' });
  });

  it('makes container paths absolute, keeping a trailing / or /.', () => {
    expect(containerAbsPath('etc/passwd')).toBe('/etc/passwd');
    expect(containerAbsPath('/etc/')).toBe('/etc/');
    expect(containerAbsPath('/etc/.')).toBe('/etc/.');
    expect(containerAbsPath('/a/../../b')).toBe('/b'); // ".." stops at the root
    expect(containerAbsPath('/')).toBe('/');
    expect(containerAbsPath('.')).toBe('/.');
  });

  it('splits a path into its directory and entry (SplitPathDirEntry)', () => {
    expect(splitPathDirEntry('/etc/passwd')).toEqual({ dir: '/etc', base: 'passwd' });
    expect(splitPathDirEntry('/etc/')).toEqual({ dir: '/', base: 'etc' });
    expect(splitPathDirEntry('/etc/.')).toEqual({ dir: '/etc', base: '.' });
    expect(splitPathDirEntry('/tmp/out')).toEqual({ dir: '/tmp', base: 'out' });
  });

  it('renames back to the name asked for when a symlink changed it (GetRebaseName)', () => {
    expect(getRebaseName('/x', '/etc')).toEqual({ resolved: '/etc', rebaseName: 'x' });
    expect(getRebaseName('/x/', '/etc')).toEqual({ resolved: '/etc/', rebaseName: 'x' });
    expect(getRebaseName('/x/.', '/etc')).toEqual({ resolved: '/etc/.' });
    expect(getRebaseName('/a/etc', '/etc')).toEqual({ resolved: '/etc' });
  });

  it("plans the copy as Docker's PrepareArchiveCopy", () => {
    // SRC a file
    expect(prepareArchiveCopy('passwd', false, { path: '/tmp/new', exists: false, isDir: false })).toEqual({ dir: '/tmp', rename: { from: 'passwd', to: 'new' } });
    expect(prepareArchiveCopy('passwd', false, { path: '/tmp/new/', exists: false, isDir: false })).toEqual({ error: 'no such directory' });
    expect(prepareArchiveCopy('passwd', false, { path: '/tmp/file', exists: true, isDir: false })).toEqual({ dir: '/tmp', rename: { from: 'passwd', to: 'file' } });
    expect(prepareArchiveCopy('passwd', false, { path: '/tmp/d', exists: true, isDir: true })).toEqual({ dir: '/tmp/d' });
    // SRC a directory
    expect(prepareArchiveCopy('etc', true, { path: '/tmp/new', exists: false, isDir: false })).toEqual({ dir: '/tmp', rename: { from: 'etc', to: 'new' } });
    expect(prepareArchiveCopy('etc', true, { path: '/tmp/file', exists: true, isDir: false })).toEqual({ error: 'cannot copy directory' });
    expect(prepareArchiveCopy('etc', true, { path: '/tmp/d', exists: true, isDir: true })).toEqual({ dir: '/tmp/d' });
    // SRC/. : the contents
    expect(prepareArchiveCopy('.', true, { path: '/tmp/d', exists: true, isDir: true })).toEqual({ dir: '/tmp/d' });
    expect(prepareArchiveCopy('.', true, { path: '/tmp/new', exists: false, isDir: false })).toEqual({ dir: '/tmp', rename: { from: '.', to: 'new' } });
    // Same name: nothing to rename
    expect(prepareArchiveCopy('hosts', false, { path: '/tmp/hosts', exists: false, isDir: false })).toEqual({ dir: '/tmp' });
  });

  it("gives Go's os.FileMode and RFC 3339 times for X-Docker-Container-Path-Stat", () => {
    expect(goFileMode(0o100644)).toBe(0o644);
    expect(goFileMode(0o040755)).toBe(2 ** 31 + 0o755); // 2147484141, as Docker sends a directory
    expect(goFileMode(0o120777)).toBe(2 ** 27 + 0o777);
    expect(goFileMode(0o020666)).toBe(2 ** 26 + 2 ** 21 + 0o666);
    expect(goFileMode(0o104755)).toBe(2 ** 23 + 0o755);
    expect(goFileMode(0o041777)).toBe(2 ** 31 + 2 ** 20 + 0o777);
    expect(rfc3339Nano(1700000000, 120000000)).toBe('2023-11-14T22:13:20.12Z');
    expect(rfc3339Nano(1700000000, 0)).toBe('2023-11-14T22:13:20Z');
  });

  it("renames the archive's top entry with GNU tar's --transform, leaving symlink targets alone", () => {
    expect(renameTransform('passwd', 'new')).toBe('--transform=s,^passwd\\(/\\|$\\),new\\1,S');
    expect(renameTransform('.', 'out')).toBe('--transform=s,^\\.\\(/\\|$\\),out\\1,S');
    expect(renameTransform('a,b', 'c&d')).toBe('--transform=s|^a,b\\(/\\|$\\)|c\\&d\\1|S');
  });
});

describe('prune filters', () => {
  const now = Date.parse('2026-01-02T00:00:00Z');
  it('reads until, label and label!, refuses other keys with Docker\'s words', () => {
    expect(parsePruneFilters(['label=a', 'label!=b=c'], undefined, now)).toEqual({ label: ['a'], notLabel: ['b=c'] });
    expect(parsePruneFilters(['until=24h'], undefined, now).untilMs).toBe(now - 24 * 3600 * 1000);
    expect(parsePruneFilters(['until=1700000000'], undefined, now).untilMs).toBe(1700000000 * 1000);
    expect(() => parsePruneFilters(['foo=bar'])).toThrow("Invalid filter 'foo'");
    expect(() => parsePruneFilters(['label'])).toThrow('bad format of filter (expected name=value)');
    expect(() => parsePruneFilters(['until=1h', 'until=2h'])).toThrow('more than one until filter specified');
  });

  it('matches what was created before until, with every label and not all of label!', () => {
    const f = parsePruneFilters(['until=1h', 'label=keep=no'], undefined, now);
    expect(pruneMatches(f, now - 2 * 3600 * 1000, { keep: 'no' })).toBe(true);
    expect(pruneMatches(f, now - 60 * 1000, { keep: 'no' })).toBe(false);
    expect(pruneMatches(f, now - 2 * 3600 * 1000, { keep: 'yes' })).toBe(false);
    const not = parsePruneFilters(['label!=keep'], undefined, now);
    expect(pruneMatches(not, now, { keep: '' })).toBe(false);
    expect(pruneMatches(not, now, {})).toBe(true);
    expect(shownFilters(['until=24h', 'label=a=b'])).toEqual(['label=a=b', 'until=24h']);
  });
});

describe('sizes and subcommands', () => {
  it("prints reclaimed space as go-units' HumanSize (4 significant digits, 1000-based)", () => {
    expect(humanSize(0, 4)).toBe('0B');
    expect(humanSize(212, 4)).toBe('212B');
    expect(humanSize(1234, 4)).toBe('1.234kB');
    expect(humanSize(1985000, 4)).toBe('1.985MB');
    expect(humanSize(1985000)).toBe('1.99MB');
  });

  it('parses two-word commands and lists a group alone', () => {
    const p = parseArgs(['container', 'prune', '-f', '--filter', 'until=1h']);
    expect(p.command?.name).toBe('container prune');
    expect(p.flags.force).toBe(true);
    expect(p.flags.filter).toEqual(['until=1h']);
    expect(parseArgs(['system', 'df', '-v']).flags.verbose).toBe(true);
    expect(parseArgs(['image']).group).toBe('image');
    expect(parseArgs(['container', '--help']).group).toBe('container');
    expect(() => parseArgs(['container', 'nope'])).toThrow(UsageError);
    expect(() => parseArgs(['system', 'df', 'x'])).toThrow('"glass system df" accepts no arguments.');
    expect(parseArgs(['cp', '-aL', 'web:/a', '.']).flags).toMatchObject({ archive: true, 'follow-link': true });
  });
});
