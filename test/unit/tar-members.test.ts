import { describe, expect, it } from 'vitest';
import { findEscape, parseTarListing, type TarMember } from '../../runtime/kernel/archive-members.js';

/** The rules that keep an archive's members inside its layer, on member lists alone (no tar, no root). */

const file = (name: string): TarMember => ({ type: '-', name });
const dir = (name: string): TarMember => ({ type: 'd', name });
const symlink = (name: string, link: string): TarMember => ({ type: 'l', name, link });
const hardlink = (name: string, link: string): TarMember => ({ type: 'h', name, link });

describe('tar member list', () => {
  it("reads GNU tar's C-quoted verbose listing, odd names included", () => {
    const listing = [
      'drwxr-xr-x 0/0               0 2024-01-01 00:00 "./"',
      '-rw-r--r-- 1000/1000         5 2024-01-01 00:00 "a dir/we\\"ird -> name\\nx"',
      'lrwxrwxrwx 0/0               0 2024-01-01 00:00 "s" -> "a dir/we\\"ird -> name\\nx"',
      'hrw-r--r-- 0/0               0 2024-01-01 00:00 "h link to x" link to "bin/busybox"',
      'crw-r--r-- 0/0             1,3 2024-01-01 00:00 "dev/null"',
      '-rw-r--r-- 0/0               0 2024-01-01 00:00 "caf\\303\\251\\377"',
      '',
    ].join('\n');
    expect(parseTarListing(listing)).toEqual([
      { type: 'd', name: './' },
      { type: '-', name: 'a dir/we"ird -> name\nx' },
      { type: 'l', name: 's', link: 'a dir/we"ird -> name\nx' },
      { type: 'h', name: 'h link to x', link: 'bin/busybox' },
      { type: 'c', name: 'dev/null' },
      { type: '-', name: Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9, 0xff]).toString('latin1') }, // bytes kept exactly
    ]);
    expect(() => parseTarListing('-rw-r--r-- 0/0 0 2024-01-01 00:00 unquoted')).toThrow(/unexpected line/);
  });
});

describe('members that would leave the layer', () => {
  it.each<[string, TarMember[], RegExp]>([
    ['an absolute name', [file('/etc/cron.d/x')], /member "\/etc\/cron\.d\/x" has an absolute path/],
    ["a '..' name", [file('../../x')], /member "\.\.\/\.\.\/x" has '\.\.' in its path/],
    ["a '..' in the middle", [file('a/../../x')], /has '\.\.' in its path/],
    ['a hard link to a host file', [hardlink('l', '/etc/shadow')], /hard link "l" points to "\/etc\/shadow", outside the layer/],
    ['a climbing hard link', [hardlink('l', '../etc/shadow')], /outside the layer/],
    ['a hard link to nothing in the archive', [hardlink('l', 'etc/shadow')], /not an earlier member of the archive/],
    ['a climbing relative symlink', [dir('a/'), symlink('a/up', '../../etc')], /symlink "a\/up" -> "\.\.\/\.\.\/etc" climbs out of the layer's root/],
    ['a file through an absolute symlink', [symlink('evil', '/etc'), file('evil/passwd')], /member "evil\/passwd" goes through the archive's own symlink "evil" -> "\/etc"/],
    ['a file through a symlink that climbs but stays inside', [dir('a/'), symlink('a/up', '..'), file('a/up/x')], /goes through the archive's own symlink "a\/up" -> "\.\."/],
    ['a file through a chain ending outside', [symlink('out', '/tmp'), symlink('in', 'out'), file('in/x')], /"in\/x" goes through the archive's own symlink "out" -> "\/tmp"/],
    ['a hard link through an absolute symlink', [symlink('evil', '/etc'), hardlink('l', 'evil/passwd')], /hard link "l" -> "evil\/passwd" goes through the archive's own symlink "evil"/],
    ['a symlink loop', [symlink('a', 'b'), symlink('b', 'a'), file('a/x')], /more than 40 of the archive's symlinks/],
    ['a symlink replaced by a directory, then written through', [symlink('evil', '/etc'), dir('evil/'), file('evil/passwd')], /goes through the archive's own symlink "evil"/],
  ])('refuses %s', (_, members, message) => {
    expect(findEscape(members)).toMatch(message);
  });

  it('allows what real images contain', () => {
    expect(
      findEscape([
        dir('./'),
        dir('./bin/'),
        file('./bin/busybox'),
        symlink('./bin/sh', '/bin/busybox'), // absolute: resolved inside the container
        hardlink('./bin/ls', './bin/busybox'),
        dir('usr/lib/x86_64-linux-gnu/'),
        file('usr/lib/x86_64-linux-gnu/libc.so.6'),
        symlink('usr/lib/x86_64-linux-gnu/libc.so', '../../../usr/lib/x86_64-linux-gnu/libc.so.6'),
        symlink('lib', 'usr/lib'),
        file('lib/through-a-relative-symlink'), // lands in usr/lib/
        hardlink('usr/lib/again', 'lib/through-a-relative-symlink'),
        { type: 'c', name: 'dev/null' },
      ]),
    ).toBeUndefined();
  });
});
