import { readFileSync } from 'node:fs';

/**
 * /proc/self/mountinfo: one line per mount in this mount namespace (see
 * proc(5)). The fields glass reads:
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2) (3)   (4)   (5)                         (9)   (10)      (11)
 *
 * (3) the device of the filesystem (two mounts of one cgroup hierarchy share
 * it), (4) the directory of that filesystem mounted here (a bind mount of one
 * file shows it: /null), (5) the mount point, (6) the mount's own options
 * (ro, nosuid...), and after the " - " separator (9) the filesystem
 * type, (10) the source and (11) the superblock options (a v1 cgroup's
 * controllers are listed there). Space, tab, newline and backslash in paths
 * are written as octal escapes (\040).
 */
export interface MountEntry {
  device: string;
  /** Field 4: the path within the filesystem that is mounted ("/" for a whole filesystem). */
  root: string;
  mountPoint: string;
  /** Field 6: per-mount options (ro or rw, nosuid, nodev...). */
  options: string;
  fsType: string;
  source: string;
  superOptions: string;
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fsType = '', source = '', superOptions = ''] = line.slice(sep + 3).split(' ');
    if (left.length < 5) continue;
    out.push({ device: left[2]!, root: unescape(left[3]!), mountPoint: unescape(left[4]!), options: left[5] ?? '', fsType, source: unescape(source), superOptions });
  }
  return out;
}

export function readMountinfo(): string {
  return readFileSync('/proc/self/mountinfo', 'utf8');
}
