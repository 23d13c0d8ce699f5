/*
 * rootfs.c: the container's filesystem, built inside its new mount namespace:
 * the overlay root, /proc, /sys, /dev and the bind mounts, then pivot_root().
 *
 * An image is untrusted input. Its /etc may be a symlink to /etc of the host,
 * its /proc a symlink to /. Before pivot_root() we still see the host's files,
 * so an ordinary mkdir("<root>/etc/x") or mount(..., "<root>/proc") would
 * follow such a symlink out of the container's root and create or mount on
 * the host. Every path glass creates or mounts on is therefore resolved
 * *inside* the root, the way the container itself will see it later:
 *
 *   - openat2(root_fd, path, RESOLVE_IN_ROOT) (Linux 5.6) resolves path as if
 *     root_fd were "/": an absolute symlink starts again at root_fd and ".."
 *     stops there. A symlink that stays inside the root (/etc -> /usr/etc)
 *     works as the container will see it; one that points out lands inside.
 *   - a missing component is created with mkdirat()/openat() relative to the
 *     already confined parent directory's descriptor, never by path.
 *   - we then mount onto "/proc/self/fd/N", N being an O_PATH descriptor of
 *     the resolved target: the kernel mounts on what N already is, with no
 *     second path lookup that could be redirected (runc does the same).
 *
 * /proc, /sys and /dev are refused outright if the image has a symlink there:
 * a container whose /proc is not procfs would be confusing at best.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include "shim.h"

int root_fd = -1; /* the container's root directory: the overlay, later "/" */


/* openat2() with RESOLVE_IN_ROOT (glibc has no wrapper yet). Magic links
 * (/proc/self/root and the like) are refused too: they could jump anywhere. */
int open_confined(const char *path, int flags) {
  struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  int fd = syscall(SYS_openat2, root_fd, path, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS)
    fail(125, "openat2: not supported by this kernel: glass needs Linux 5.6 or later to resolve paths "
              "inside the container's root safely");
  return fd;
}

/* "/proc/self/fd/N": a path naming exactly the file descriptor N refers to. */
char *fd_path(int fd) {
  return strf("/proc/self/fd/%d", fd);
}

/* Where an O_PATH descriptor really is on the host, for the explain trace. */
char *where(int fd) {
  char buf[PATH_MAX];
  ssize_t n = readlink(fd_path(fd), buf, sizeof buf - 1);
  buf[n < 0 ? 0 : n] = '\0';
  return strf("%s", buf);
}

/* Resolve `path` inside the root, creating what is missing: directories, and
 * for kind FILE_ an empty file as the last component. Returns an O_PATH
 * descriptor. Walks the path one component at a time; each prefix is looked
 * up with open_confined(). A component that does not resolve is either a
 * dangling symlink, whose target (taken as the container would: inside the
 * root) replaces it and the walk starts over, or missing, and then it and
 * everything after it are created below the confined parent. */
int resolve_in_root(const char *path, enum kind kind) {
  char *todo = strf("%s", path), *done = strf("."), *rest, *name;
  int parent = open_confined(".", O_PATH | O_DIRECTORY), links = 0;
  if (parent < 0) fail_sys("open %s", spec.merged);
  for (rest = todo; (name = strsep(&rest, "/"));) {
    if (!*name || strcmp(name, ".") == 0) continue;
    int last = !rest || !rest[strspn(rest, "/")];
    char *next = strf("%s/%s", done, name);
    int fd = open_confined(next, O_PATH);
    if (fd < 0 && errno != ENOENT) fail_sys("open %s inside the container's root", next + 1);
    if (fd < 0) {
      char target[PATH_MAX];
      ssize_t n = readlinkat(parent, name, target, sizeof target - 1);
      if (n >= 0) { /* a dangling symlink: go on from where it points */
        if (++links > 40) { errno = ELOOP; fail_sys("resolve %s inside the container's root", path); }
        target[n] = '\0';
        char *again = strf("%s%s%s%s", target[0] == '/' ? "" : done, target[0] == '/' ? "" : "/", target,
                           rest ? "/" : "");
        todo = strf("%s%s", again, rest ? rest : "");
        rest = todo;
        close(parent);
        done = strf(".");
        if ((parent = open_confined(".", O_PATH | O_DIRECTORY)) < 0) fail_sys("open %s", spec.merged);
        continue;
      }
      if (last && kind == FILE_) { /* O_EXCL|O_NOFOLLOW: a new file, not something that appeared */
        int w = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (w < 0) fail_sys("create %s inside the container's root", next + 1);
        close(w);
      } else if (mkdirat(parent, name, 0755) < 0) {
        fail_sys("mkdir %s inside the container's root", next + 1);
      }
      if ((fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
        fail_sys("open %s inside the container's root", next + 1);
    }
    close(parent);
    parent = fd;
    done = next;
  }
  return parent;
}

/* Mount onto exactly what `fd` already is, through its /proc/self/fd path:
 * no second lookup of the image's path, so nothing in it can redirect us. */
void mount_on(int fd, const char *src, const char *type, unsigned long flags, const char *data) {
  if (mount(src, fd_path(fd), type, flags, data) < 0) fail_sys("mount %s on %s", src, where(fd));
}

/* For /proc, /sys and /dev: the image may leave them out (we create them) but
 * may not put a symlink there. */
static int system_mountpoint(const char *name) {
  struct stat st;
  if (fstatat(root_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
    fail(125, "mount destination /%s is a symlink in the image; refusing to mount %s there "
              "(a symlink could lead the mount out of the container's root)", name, name);
  return resolve_in_root(name, DIR_);
}

/* The new mount namespace starts as a copy of the host's, and on most hosts
 * "/" is a *shared* mount: a mount made under it would propagate back into the
 * host's namespace. Making every mount private cuts that link both ways (and
 * pivot_root() refuses to work under a shared mount anyway). */
void make_mounts_private(void) {
  begin("mount-private");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail_sys("mount --make-rprivate /");
  step("mount-private", "mount --make-rprivate /");
}

/* The root filesystem is an overlay: the image's read-only layers (lowerdir,
 * top-most first) with the container's own directory on top (upperdir), which
 * receives every write. The image is shared and never changes. The mount exists
 * only in this mount namespace, so it disappears with the container. `merged`
 * is the runtime's own directory, so it is mounted on by path; from here on
 * root_fd is the overlay's root, and every other path goes through it. */
void mount_rootfs(void) {
  begin("mount-overlay");
  char *lower = spec.lower.v[0];
  for (size_t i = 1; i < spec.lower.n; i++) lower = strf("%s:%s", lower, spec.lower.v[i]);
  char *data = strf("lowerdir=%s,upperdir=%s,workdir=%s", lower, spec.upper, spec.work);
  /* nodev: see make_devices() */
  if (mount("overlay", spec.merged, "overlay", spec.privileged ? 0 : MS_NODEV, data) < 0)
    fail_sys("mount overlay on %s", spec.merged);
  if ((root_fd = open(spec.merged, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) fail_sys("open %s", spec.merged);
  step("mount-overlay", "mount -t overlay overlay -o %s%s %s", spec.privileged ? "" : "nodev,", data, spec.merged);
}

/* procfs shows the processes of the PID namespace of whoever mounts it. Mounted
 * from inside our new namespace, `ps` in the container sees only its own. */
void mount_proc(void) {
  begin("mount-proc");
  int fd = system_mountpoint("proc");
  mount_on(fd, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  step("mount-proc", "mount -t proc -o nosuid,nodev,noexec proc %s", where(fd));
  close(fd);
}

/* Programs expect /sys. Read-only, so that the container cannot reconfigure the
 * host's devices or kernel through it (--privileged: read-write). */
void mount_sys(void) {
  begin("mount-sys");
  int fd = system_mountpoint("sys");
  mount_on(fd, "sysfs", "sysfs", (spec.privileged ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  step("mount-sys", "mount -t sysfs -o %snosuid,nodev,noexec sysfs %s", spec.privileged ? "rw," : "ro,", where(fd));
  close(fd);
}

/* On a cgroup v2 host, the container sees its own cgroup at /sys/fs/cgroup,
 * as under Docker: `cat /sys/fs/cgroup/memory.max` inside shows its limit.
 * The init already has its own cgroup namespace (enter_cgroup_ns), so a fresh
 * cgroup2 mount shows the container's cgroup as the root of the tree, and
 * nothing of the host's. Read-only (--privileged: read-write), so the
 * container can read its limits but not raise them. On a v1 or hybrid host
 * nothing is mounted there yet (runc mounts a tmpfs and one tree per
 * controller; glass does not, so far). */
#define CGROUP2_SUPER_MAGIC 0x63677270
void mount_cgroup(void) {
  struct statfs host;
  if (statfs("/sys/fs/cgroup", &host) < 0 || host.f_type != CGROUP2_SUPER_MAGIC) return;
  begin("mount-cgroup");
  int fd = open_confined("sys/fs/cgroup", O_PATH | O_DIRECTORY);
  if (fd < 0) fail_sys("open /sys/fs/cgroup inside the container's root");
  mount_on(fd, "cgroup", "cgroup2", (spec.privileged ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME, NULL);
  step("mount-cgroup", "mount -t cgroup2 -o %snosuid,nodev,noexec,relatime cgroup %s", spec.privileged ? "rw," : "ro,", where(fd));
  close(fd);
}

/* The host's /dev holds every disk and device of the machine. The container
 * gets an empty tmpfs instead, with only the harmless devices of make_devices()
 * (nodev: see there). */
void mount_dev(void) {
  begin("mount-dev");
  int fd = system_mountpoint("dev");
  mount_on(fd, "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME | (spec.privileged ? 0 : MS_NODEV), "mode=755,size=65536k");
  step("mount-dev", "mount -t tmpfs -o nosuid,%sstrictatime,mode=755,size=65536k tmpfs %s",
       spec.privileged ? "" : "nodev,", where(fd));
  close(fd);
}

/*
 * A device node is a file naming a driver by (major, minor) number: whoever
 * may open the node talks to the driver. Root keeps CAP_MKNOD (Docker's
 * default set does), so a container can make a node for the host's disk
 * (`mknod /tmp/sda b 8 0`) and read the raw disk through it, around every
 * filesystem permission. Two defences exist:
 *
 *   - the devices cgroup (cgroup v1: devices.allow/deny; the runtime writes
 *     Docker's list) refuses open() of any device not on the list;
 *   - cgroup v2 has no devices file: runc attaches a BPF program instead.
 *
 * glass uses a third, simpler one that works on both hierarchies: every
 * filesystem the container can write to is mounted `nodev` (the overlay root,
 * /dev, /dev/shm, /dev/mqueue), and the kernel refuses to open a device node
 * on a nodev mount (EACCES), whoever made it. The standard nodes still have to
 * work in the nodev /dev, so they are not made there: each is an empty file
 * with the host's own node bind-mounted onto it (a bind mount is a mount of
 * its own and carries the flags of the host's /dev, not nodev). The symlinks
 * point the standard names at the process's own file descriptors and at the
 * container's own ptmx. All of it is resolved in the new tmpfs: looked up
 * again after the mount, "dev" is that tmpfs, empty and ours.
 *
 * --privileged gets neither nodev nor this list: every device node of the
 * host's /dev is made again in the container's (mknod, same numbers).
 */
static const struct { const char *name; unsigned major, minor; } std_nodes[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
  { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

/* --privileged: a node for every device of the host's /dev (and below), as
 * runc does, skipping the container's own pts, shm, mqueue and ptmx and the
 * host's console. */
static void copy_host_devices(int dev, const char *rel, int *count) {
  static const char *skip[] = { "pts", "shm", "mqueue", "fd", "ptmx", "console" };
  char *host = strf("/dev%s%s", *rel ? "/" : "", rel);
  DIR *d = opendir(host);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    int skipped = e->d_name[0] == '.';
    for (size_t i = 0; !*rel && i < sizeof skip / sizeof *skip; i++) skipped |= !strcmp(e->d_name, skip[i]);
    if (skipped) continue;
    char *path = strf("%s/%s", host, e->d_name), *in = strf("%s%s%s", rel, *rel ? "/" : "", e->d_name);
    struct stat st;
    if (lstat(path, &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (mkdirat(dev, in, 0755) == 0 || errno == EEXIST) copy_host_devices(dev, in, count);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      if (mknodat(dev, in, st.st_mode, st.st_rdev) == 0) {
        if (fchownat(dev, in, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0) { /* keep going */ }
        fchmodat(dev, in, st.st_mode & 07777, 0);
        (*count)++;
      }
    }
  }
  if (d) closedir(d);
}

void make_devices(void) {
  static const char *links[][2] = {
    { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
    { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
    { "ptmx", "pts/ptmx" },
  };
  begin("mknod");
  int dev = open_confined("dev", O_PATH | O_DIRECTORY);
  if (dev < 0) fail_sys("open /dev inside the container's root");
  char cmd[2048];
  int n = snprintf(cmd, sizeof cmd, "cd %s", where(dev));
  size_t i;
  if (spec.privileged) {
    int count = 0;
    int wdev = open_confined("dev", O_RDONLY | O_DIRECTORY);
    if (wdev < 0) fail_sys("open /dev inside the container's root");
    copy_host_devices(wdev, "", &count);
    close(wdev);
    n += snprintf(cmd + n, sizeof cmd - n, " && for d in $(find /dev -type b -o -type c); do mknod ... (%d nodes, "
                  "the host's own: --privileged)", count);
  } else {
    for (i = 0; i < sizeof std_nodes / sizeof *std_nodes; i++) {
      int fd = resolve_in_root(strf("dev/%s", std_nodes[i].name), FILE_);
      char *host = strf("/dev/%s", std_nodes[i].name);
      struct stat st;
      /* the host's node must be the device we expect, not something else with that name */
      if (stat(host, &st) < 0) fail_sys("stat %s", host);
      if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(std_nodes[i].major, std_nodes[i].minor))
        fail(125, "%s on the host is not the character device %u:%u", host, std_nodes[i].major, std_nodes[i].minor);
      mount_on(fd, host, NULL, MS_BIND, NULL);
      close(fd);
      n += snprintf(cmd + n, sizeof cmd - n, " && touch %s && mount --bind /dev/%s %s",
                    std_nodes[i].name, std_nodes[i].name, std_nodes[i].name);
    }
  }
  for (i = 0; i < sizeof links / sizeof *links; i++) {
    if (symlinkat(links[i][1], dev, links[i][0]) < 0) fail_sys("symlink /dev/%s", links[i][0]);
    n += snprintf(cmd + n, sizeof cmd - n, " && ln -s %s %s", links[i][1], links[i][0]);
  }
  close(dev);
  step("mknod", "%s", cmd);
}

/* A mount below /dev: on a directory created in our own tmpfs. Returns
 * where it went, for the step's command. */
static char *mount_in_dev(const char *rel, const char *src, const char *type, unsigned long flags,
                          const char *data) {
  int fd = resolve_in_root(rel, DIR_);
  char *at = where(fd);
  mount_on(fd, src, type, flags, data);
  close(fd);
  return at;
}

/* Terminals live in a devpts filesystem. "newinstance" gives the container a
 * private one, numbered from 0 and without the host's terminals; ptmxmode=0666
 * makes its ptmx (where new terminals are allocated) usable. */
void mount_devpts(void) {
  begin("mount-devpts");
  char *at = mount_in_dev("dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                          "newinstance,ptmxmode=0666,mode=0620,gid=5");
  step("mount-devpts", "mount -t devpts -o nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5 devpts %s", at);
}

/* Open a file of the container's devpts (for the pty). */
int open_in_dev_pts(const char *name, int flags) {
  char *path = strf("dev/pts/%s", name);
  int fd = open_confined(path, flags);
  free(path);
  return fd;
}

/* POSIX shared memory (shm_open) lives in a tmpfs at /dev/shm. */
void mount_shm(void) {
  begin("mount-shm");
  char *at = mount_in_dev("dev/shm", "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
  step("mount-shm", "mount -t tmpfs -o nosuid,nodev,noexec,mode=1777,size=65536k shm %s", at);
}

/* POSIX message queues; an mqueue mount shows those of the mounter's IPC namespace. */
void mount_mqueue(void) {
  begin("mount-mqueue");
  char *at = mount_in_dev("dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  step("mount-mqueue", "mount -t mqueue -o nosuid,nodev,noexec mqueue %s", at);
}

/* A bind mount shows an existing file or directory at a second path: this is
 * how the runtime's /etc/hosts, /etc/hostname and /etc/resolv.conf (and volumes)
 * appear inside. The mount point must exist and be of the same kind, file on
 * file or directory on directory; it is resolved (and created) inside the
 * root, so an image whose /etc points at the host's /etc gets the files in its
 * own tree instead. The source is the runtime's, on the host. */
void bind_mounts(void) {
  for (size_t i = 0; i < spec.bind.n; i++) {
    begin("bind");
    char *rest = strf("%s", spec.bind.v[i]);
    char *src = strsep(&rest, "\t"), *dst = strsep(&rest, "\t");
    int ro = rest && strcmp(rest, "ro") == 0;
    struct stat st;
    if (!dst) fail(125, "bad bind entry: %s", spec.bind.v[i]);
    if (stat(src, &st) < 0) fail_sys("stat %s", src);
    int fd = resolve_in_root(dst, S_ISDIR(st.st_mode) ? DIR_ : FILE_);
    char *target = where(fd);
    mount_on(fd, src, NULL, MS_BIND | MS_REC, NULL);
    close(fd);
    /* nodev (see make_devices) and ro: flags of the new mount, set by a remount.
     * The new mount is on top now: look the path up again to reach it. */
    int nodev = !spec.privileged;
    if (ro || nodev) {
      if ((fd = open_confined(dst, O_PATH)) < 0) fail_sys("open %s inside the container's root", dst);
      if (mount(NULL, fd_path(fd), NULL, MS_BIND | MS_REMOUNT | (ro ? MS_RDONLY : 0) | (nodev ? MS_NODEV : 0), NULL) < 0)
        fail_sys("remount %s%s", target, ro ? " read-only" : " nodev");
      close(fd);
    }
    step("bind", "mount --bind %s %s%s%s%s%s", src, target, ro || nodev ? " && mount -o remount,bind" : "",
         ro ? ",ro" : "", nodev ? ",nodev " : ro ? " " : "", ro || nodev ? target : "");
  }
}

/* Open an existing path inside the root without creating anything; -1 if it
 * does not exist (a kernel without /proc/sched_debug, say). */
static int open_existing(const char *path) {
  int fd = open_confined(path, O_PATH | O_NOFOLLOW);
  if (fd < 0 && errno != ENOENT) fail_sys("open %s inside the container's root", path);
  return fd;
}

/*
 * Masked paths. /proc and /sys show the *host's* kernel, not just the
 * container's processes: /proc/kcore is the host's physical memory, /proc/keys
 * its keyrings, /proc/timer_list and /proc/sched_debug the host's tasks and
 * timers, /sys/firmware the machine's firmware tables. Namespaces do not hide
 * them, so Docker covers each: /dev/null bound over a file (reads give
 * nothing), an empty read-only tmpfs over a directory. Paths that do not
 * exist on this kernel are skipped. (--privileged: none are masked.)
 */
void mask_paths(void) {
  if (!spec.mask.n) return;
  begin("mask");
  char cmd[3072];
  int n = 0;
  for (size_t i = 0; i < spec.mask.n; i++) {
    const char *path = spec.mask.v[i];
    int fd = open_existing(path);
    struct stat st;
    if (fd < 0) continue;
    if (fstat(fd, &st) < 0) fail_sys("stat %s", path);
    if (S_ISDIR(st.st_mode)) {
      mount_on(fd, "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0");
      n += snprintf(cmd + n, sizeof cmd - n, "%smount -t tmpfs -o ro,size=0 tmpfs %s", n ? " && " : "", path);
    } else {
      mount_on(fd, "/dev/null", NULL, MS_BIND, NULL);
      n += snprintf(cmd + n, sizeof cmd - n, "%smount --bind /dev/null %s", n ? " && " : "", path);
    }
    if (n >= (int)sizeof cmd) n = sizeof cmd - 1;
    close(fd);
  }
  step("mask", "%s", n ? cmd : "true   # none of the masked paths exist here");
}

/*
 * Read-only paths: /proc/sys (every kernel tunable: sysctl), /proc/sysrq-trigger
 * (a write can crash or reboot the host), /proc/irq, /proc/bus, /proc/fs. The
 * container may read them, not change the host's kernel through them. Each is
 * bind-mounted onto itself, then that new mount is remounted read-only (a bind
 * mount's flags are its own: the rest of /proc stays writable).
 */
void make_paths_readonly(void) {
  if (!spec.readonly.n) return;
  begin("readonly");
  char cmd[3072];
  int n = 0;
  for (size_t i = 0; i < spec.readonly.n; i++) {
    const char *path = spec.readonly.v[i];
    int fd = open_existing(path);
    if (fd < 0) continue;
    mount_on(fd, fd_path(fd), NULL, MS_BIND | MS_REC, NULL);
    close(fd);
    if ((fd = open_existing(path)) < 0) fail_sys("open %s inside the container's root", path);
    if (mount(NULL, fd_path(fd), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
      fail_sys("remount %s read-only", path);
    close(fd);
    n += snprintf(cmd + n, sizeof cmd - n, "%smount --bind %s %s && mount -o remount,bind,ro %s", n ? " && " : "",
                  path, path, path);
    if (n >= (int)sizeof cmd) n = sizeof cmd - 1;
  }
  step("readonly", "%s", n ? cmd : "true   # none of the read-only paths exist here");
}

/* chroot() only changes how paths are looked up; the host's root stays mounted
 * underneath and a root process can climb back out. pivot_root() really swaps
 * the root mount of the mount namespace. The pivot_root(".", ".") trick: with
 * the new root as the current directory, the old root gets stacked on top of
 * it, at the same place. umount2(".", MNT_DETACH) then removes that top mount
 * (lazily, as it is busy), which leaves the overlay as "/" and no path to the
 * host's files, without needing a directory to park the old root in. */
void pivot_to_rootfs(void) {
  begin("pivot-root");
  if (fchdir(root_fd) < 0) fail_sys("chdir %s", spec.merged);
  if (syscall(SYS_pivot_root, ".", ".") < 0) fail_sys("pivot_root %s", spec.merged);
  if (umount2(".", MNT_DETACH) < 0) fail_sys("umount2 old root");
  if (chdir("/") < 0) fail_sys("chdir /");
  step("pivot-root", "cd %s && pivot_root . . && umount -l .", spec.merged);
}

/* The working directory (-w, or the image's WorkingDir) is created if missing,
 * like Docker does. This runs after pivot_root(): the host is out of reach,
 * and resolve_in_root() makes a symlinked -w land where the container's own
 * lookups will go. */
void make_workdir(const char *cwd) {
  begin("cwd");
  close(root_fd);
  if ((root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) fail_sys("open /");
  close(resolve_in_root(cwd, DIR_));
}

/* --read-only: the overlay root is remounted read-only, so the container
 * cannot change its own files (a compromised program cannot plant anything).
 * Only "/" changes: /dev, /dev/shm, /proc and the bind mounts (/etc/hosts...,
 * volumes) are mounts of their own and keep their flags. This runs after the
 * working directory was created, which may need a write. */
void make_rootfs_readonly(void) {
  if (!spec.rootfs_readonly) return;
  begin("rootfs-readonly");
  if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | (spec.privileged ? 0 : MS_NODEV), NULL) < 0)
    fail_sys("remount / read-only");
  step("rootfs-readonly", "mount -o remount,bind,ro%s /", spec.privileged ? "" : ",nodev");
}
