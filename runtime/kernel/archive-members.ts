/**
 * Which members of a tar archive would leave the directory it is unpacked
 * into? An image is untrusted input, and a layer is unpacked on the host, as
 * root, so a hostile member could otherwise write anywhere:
 *
 *   ../../etc/cron.d/x          a name that climbs out with ".."
 *   /etc/cron.d/x               an absolute name
 *   link  (hard link to /etc/shadow)   a hard link to a host file
 *   evil -> /etc, then evil/x   a file written through a symlink the archive planted
 *
 * glass reads the member list the way tar itself sees it (`tar --list
 * --verbose`, so a tricky header cannot mean one thing here and another to
 * the unpacking tar) and replays it on an imaginary tree: each name is
 * resolved through the symlinks the archive made so far, as the kernel would
 * resolve it when tar writes the file. The first member that would leave the
 * layer is reported, and the whole archive is refused.
 *
 * What stays allowed, because real images need it: absolute symlinks
 * (/bin/sh -> /bin/busybox: inside a container "/" is the image's root),
 * relative symlinks that stay inside the layer (../lib/libc.so.6), hard links
 * to earlier members, and members written through a relative symlink that
 * does not climb (lib -> usr/lib, then lib/x lands in usr/lib/x).
 *
 * Names are kept as latin1 strings: one character per byte, so names that are
 * not UTF-8 still compare exactly. They are shown to people as UTF-8.
 */

export interface TarMember {
  /** ls-style type letter: '-' file, 'd' directory, 'l' symlink, 'h' hard link, 'c' 'b' 'p' devices and fifos. */
  type: string;
  name: string;
  /** Target of a symlink or hard link. */
  link?: string;
}

/** The `tar --list` flags whose output `parseTarListing` reads. */
export const LIST_FLAGS = ['--list', '--verbose', '--numeric-owner', '--quoting-style=c', '--absolute-names'];

/**
 * Parse `tar --list --verbose --quoting-style=c` output, one member a line:
 *
 *   -rw-r--r-- 0/0    5 2024-01-01 00:00 "etc/hostname"
 *   lrwxrwxrwx 0/0    0 2024-01-01 00:00 "bin/sh" -> "/bin/busybox"
 *   hrw-r--r-- 0/0    0 2024-01-01 00:00 "bin/ls" link to "bin/busybox"
 *
 * With numeric owners nothing before the name contains a quote, so the first
 * '"' starts the name; C quoting makes spaces, newlines and "->" inside names
 * unambiguous.
 */
export function parseTarListing(listing: string): TarMember[] {
  const members: TarMember[] = [];
  for (const line of listing.split('\n')) {
    if (line === '') continue;
    const start = line.indexOf('"');
    if (start < 0) throw new Error(`unexpected line in tar's member list: ${line}`);
    const name = readQuoted(line, start);
    const member: TarMember = { type: line[0]!, name: name.value };
    const rest = line.slice(name.end);
    const arrow = rest.startsWith(' -> "') ? 4 : rest.startsWith(' link to "') ? 9 : -1;
    if (arrow >= 0) member.link = readQuoted(rest, arrow).value;
    members.push(member);
  }
  return members;
}

const ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, '?': 63 };

/** Read a C-quoted string starting at `at` (a '"'): its bytes as latin1, and the index after the closing quote. */
function readQuoted(s: string, at: number): { value: string; end: number } {
  const bytes: number[] = [];
  let i = at + 1;
  while (i < s.length && s[i] !== '"') {
    if (s[i] !== '\\') {
      bytes.push(...Buffer.from(s[i]!, 'utf8'));
      i++;
      continue;
    }
    const octal = /^[0-7]{3}/.exec(s.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 4;
    } else {
      const code = ESCAPES[s[i + 1]!];
      if (code === undefined) throw new Error(`unexpected escape in tar's member list: ${s}`);
      bytes.push(code);
      i += 2;
    }
  }
  if (i >= s.length) throw new Error(`unterminated name in tar's member list: ${s}`);
  return { value: Buffer.from(bytes).toString('latin1'), end: i + 1 };
}

/** A name as a person should read it (the bytes taken as UTF-8), quoted. */
const shown = (latin1: string) => JSON.stringify(Buffer.from(latin1, 'latin1').toString('utf8'));

const parts = (path: string) => path.split('/').filter((c) => c !== '' && c !== '.');
const climbs = (path: string) => path.startsWith('/') || parts(path).includes('..');

/** The kernel gives up after 40 symlinks in one path (ELOOP); so do we. */
const MAX_SYMLINKS = 40;

const RELATIVE = 'make the archive with paths relative to its root (tar -C DIR -cf FILE .)';

/**
 * The first member that would land outside the layer, as a sentence saying
 * what is wrong and what to do; undefined when every member stays inside.
 */
export function findEscape(members: TarMember[]): string | undefined {
  /** Symlinks the archive created so far: resolved path -> target. */
  const symlinks = new Map<string, string>();
  /** Every member created so far, by resolved path. */
  const created = new Set<string>();

  /**
   * Resolve a directory path through the archive's symlinks. A symlink that
   * is absolute or has ".." is never followed: on the host it leads out of
   * the layer (GNU tar leaves a placeholder file there until the end for that
   * very reason), so a path through it is refused, naming the symlink.
   */
  const resolveDir = (dir: string[]): string[] | { via: string; target: string } | { loop: true } => {
    const out: string[] = [];
    const todo = [...dir];
    let followed = 0;
    while (todo.length > 0) {
      out.push(todo.shift()!);
      const here = out.join('/');
      const target = symlinks.get(here);
      if (target === undefined) continue;
      if (climbs(target)) return { via: here, target };
      if (++followed > MAX_SYMLINKS) return { loop: true };
      out.pop();
      todo.unshift(...parts(target));
    }
    return out;
  };
  const through = (r: { via: string; target: string } | { loop: true }) =>
    'loop' in r
      ? `goes through more than ${MAX_SYMLINKS} of the archive's symlinks (a loop?)`
      : `goes through the archive's own symlink ${shown(r.via)} -> ${shown(r.target)}, which leads outside the layer while unpacking on the host (it is absolute or climbs with '..'), so glass does not follow it`;

  for (const m of members) {
    if (m.name.startsWith('/')) {
      return `member ${shown(m.name)} has an absolute path; members with absolute paths or '..' would land outside the layer: ${RELATIVE}`;
    }
    const names = parts(m.name);
    if (names.includes('..')) {
      return `member ${shown(m.name)} has '..' in its path; members with absolute paths or '..' would land outside the layer: ${RELATIVE}`;
    }
    if (names.length === 0) continue; // the root directory itself ("./")
    const dir = resolveDir(names.slice(0, -1));
    if (!Array.isArray(dir)) return `member ${shown(m.name)} ${through(dir)}: put the file at its real path in the archive`;
    const path = [...dir, names.at(-1)!].join('/');

    if (m.type === 'h') {
      const target = m.link ?? '';
      if (climbs(target)) {
        return `hard link ${shown(m.name)} points to ${shown(target)}, outside the layer; a hard link in an image may only point to an earlier member of the same archive`;
      }
      const targetNames = parts(target);
      const targetDir = resolveDir(targetNames.slice(0, -1));
      if (!Array.isArray(targetDir)) {
        return `hard link ${shown(m.name)} -> ${shown(target)} ${through(targetDir)}; a hard link in an image may only point to an earlier member of the same archive`;
      }
      if (!created.has([...targetDir, targetNames.at(-1)].join('/'))) {
        return `hard link ${shown(m.name)} points to ${shown(target)}, which is not an earlier member of the archive; a hard link in an image may only point to an earlier member`;
      }
    }
    if (m.type === 'l') {
      const target = m.link ?? '';
      if (!target.startsWith('/')) {
        // Relative: resolved from the symlink's own directory, it must not climb above the layer's root.
        let depth = dir.length;
        for (const c of parts(target)) {
          depth += c === '..' ? -1 : 1;
          if (depth < 0) {
            return `symlink ${shown(m.name)} -> ${shown(target)} climbs out of the layer's root; point it inside the image (an absolute target such as /bin/busybox is fine: it is resolved inside the container)`;
          }
        }
      }
      symlinks.set(path, target);
    }
    created.add(path);
  }
  return undefined;
}
