import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';

/**
 * The few file operations a cgroup driver makes. cgroupfs is driven entirely
 * through files (mkdir makes a cgroup, a subdirectory is a child cgroup,
 * writing a pid to cgroup.procs moves a process, rmdir removes an empty
 * cgroup), so this small seam is all a test needs to stand a fake tree in a
 * temp directory in for /sys/fs/cgroup and run the drivers without root.
 * `hostCgroupFs` is the real thing.
 */
export interface CgroupFs {
  /** mkdir; a cgroup directory is born with the kernel's control files in it. Throws EEXIST like mkdir(2). */
  mkdir(path: string): void;
  /** rmdir; the kernel refuses (EBUSY) while the cgroup still has processes or child cgroups. */
  rmdir(path: string): void;
  read(path: string): string;
  write(path: string, data: string): void;
  exists(path: string): boolean;
  /** The child cgroups of a cgroup: the names of its subdirectories ([] if it is gone). */
  list(path: string): string[];
}

export const hostCgroupFs: CgroupFs = {
  mkdir: (path) => mkdirSync(path),
  rmdir: (path) => rmdirSync(path),
  read: (path) => readFileSync(path, 'utf8'),
  write: (path, data) => writeFileSync(path, data),
  exists: (path) => existsSync(path),
  list: (path) => {
    try {
      return readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return [];
    }
  },
};
