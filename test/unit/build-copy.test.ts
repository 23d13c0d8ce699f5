import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { chownIds, filenameForDownload, normalizeDest } from '../../runtime/engine/build/copy.js';
import { entryHeader, isTarHeader, readTarFiles, tarEntries, type TarEntry } from '../../runtime/kernel/tar-stream.js';

/** COPY/ADD's pure rules (Docker's builder/dockerfile) and the tar stream glass writes for them. */

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\n# a comment\napp:x:1234:2345::/home/app:/bin/sh\n';
const GROUP = 'root:x:0:\napp:x:2345:\nstaff:x:50:\n';

describe('--chown (parseChownFlag)', () => {
  it('looks names up in the given passwd and group, numbers as they are', () => {
    expect(chownIds('app:staff', { passwd: PASSWD, group: GROUP })).toEqual({ uid: 1234, gid: 50 });
    expect(chownIds('app', { passwd: PASSWD, group: GROUP })).toEqual({ uid: 1234, gid: 2345 });
    expect(chownIds('10:20', {})).toEqual({ uid: 10, gid: 20 });
    expect(chownIds('10', {})).toEqual({ uid: 10, gid: 10 });
    expect(chownIds('0:staff', { group: GROUP })).toEqual({ uid: 0, gid: 50 });
  });

  it("says what Docker 20.10 says when a name is missing", () => {
    const p = 'unable to convert uid/gid chown string to host mapping: ';
    expect(() => chownIds('bob', { passwd: PASSWD, group: GROUP })).toThrow(`${p}can't find uid for user bob: no such user: bob`);
    expect(() => chownIds('app:nope', { passwd: PASSWD, group: GROUP })).toThrow(`${p}can't find gid for group nope: no such group: nope`);
    expect(() => chownIds('app', {})).toThrow(`${p}can't find uid for user app: open /etc/passwd: no such file or directory`);
    expect(() => chownIds('a:b:c', {})).toThrow(`${p}invalid chown string format: a:b:c`);
  });
});

describe('normalizeDest', () => {
  it('puts a relative destination under WORKDIR and keeps the trailing slash', () => {
    expect(normalizeDest('', 'app/')).toBe('/app/');
    expect(normalizeDest('/srv', 'conf/x')).toBe('/srv/conf/x');
    expect(normalizeDest('/srv', '.')).toBe('/srv');
    expect(normalizeDest('/srv', './')).toBe('/srv/');
    expect(normalizeDest('/srv', '/abs//x/../y/')).toBe('/abs/y/');
    expect(normalizeDest('', '/')).toBe('/');
  });
});

describe("ADD <url>'s file name (getFilenameForDownload)", () => {
  it('takes the last name of the path, else Content-Disposition, else none', () => {
    expect(filenameForDownload(new URL('http://h/a/b/file%20one.txt?q=1'), null)).toBe('file one.txt');
    expect(filenameForDownload(new URL('http://h/dir/'), 'attachment; filename="r.csv"')).toBe('r.csv');
    expect(filenameForDownload(new URL('http://h/dir/'), 'attachment; filename=plain.bin')).toBe('plain.bin');
    expect(filenameForDownload(new URL('http://h/dir/'), 'attachment; filename="../../etc/x"')).toBe('x');
    expect(filenameForDownload(new URL('http://h/'), null)).toBe('');
    expect(filenameForDownload(new URL('http://h/dir/'), 'attachment; filename=".."')).toBe('');
  });
});

describe('the tar stream (kernel/tar-stream.ts)', () => {
  it('writes headers GNU tar reads back: owners, modes, types, long names and targets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glass-tar-stream-'));
    try {
      writeFileSync(join(dir, 'f'), 'hello\n');
      const long = `${'d'.repeat(120)}/${'e'.repeat(130)}/${'x'.repeat(90)}`;
      const entries: TarEntry[] = [
        { name: 'dir', kind: 'dir', mode: 0o750, uid: 1000, gid: 1001, mtime: 1_000_000_000 },
        { name: 'dir/f', kind: 'file', mode: 0o640, uid: 1000, gid: 1001, mtime: 1_000_000_000, size: 6, hostPath: join(dir, 'f') },
        { name: 'dir/l', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 1_000_000_000, link: `/etc/${'z'.repeat(120)}` },
        { name: 'dir/h', kind: 'hardlink', mode: 0o640, uid: 1000, gid: 1001, mtime: 1_000_000_000, link: 'dir/f' },
        { name: long, kind: 'file', mode: 0o600, uid: 5_000_000, gid: 2, mtime: 1_000_000_000, size: 6, hostPath: join(dir, 'f') },
      ];
      const chunks: Buffer[] = [];
      for await (const c of tarEntries(entries)) chunks.push(c as Buffer);
      const tar = Buffer.concat(chunks);
      expect(tar.length % 512).toBe(0);
      writeFileSync(join(dir, 'a.tar'), tar);
      const listing = execFileSync('tar', ['--numeric-owner', '-tvf', join(dir, 'a.tar')], { env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' } }).toString();
      const rows = listing.trim().split('\n').map((l) => l.replace(/\s+/g, ' '));
      expect(rows[0]).toBe('drwxr-x--- 1000/1001 0 2001-09-09 01:46 dir/');
      expect(rows[1]).toBe('-rw-r----- 1000/1001 6 2001-09-09 01:46 dir/f');
      expect(rows[2]).toBe(`lrwxrwxrwx 0/0 0 2001-09-09 01:46 dir/l -> /etc/${'z'.repeat(120)}`);
      expect(rows[3]).toBe('hrw-r----- 1000/1001 0 2001-09-09 01:46 dir/h link to dir/f');
      expect(rows[4]).toBe(`-rw------- 5000000/2 6 2001-09-09 01:46 ${long}`);
      const files = readTarFiles(tar);
      expect(files.get('dir/f')?.toString()).toBe('hello\n');
      expect(files.get(long)?.toString()).toBe('hello\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks a header by its checksum, as Go reads one', () => {
    const h = entryHeader({ name: 'x', kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 });
    expect(isTarHeader(h)).toBe(true);
    const bad = Buffer.from(h);
    bad[0] = 0x79;
    expect(isTarHeader(bad)).toBe(false);
    expect(isTarHeader(Buffer.alloc(512))).toBe(false);
    expect(isTarHeader(Buffer.from('plain text'.padEnd(512, ' ')))).toBe(false);
  });
});
