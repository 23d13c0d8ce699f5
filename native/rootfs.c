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
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include "shim.h"

static int root_fd = -1; /* the container's root directory: the overlay, later "/" */

enum kind { DIR_, FILE_ };

/* openat2() with RESOLVE_IN_ROOT (glibc has no wrapper yet). Magic links
 * (/proc/self/root and the like) are refused too: they could jump anywhere. */
static int open_confined(const char *path, int flags) {
  struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  int fd = syscall(SYS_openat2, root_fd, path, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS)
    fail(125, "openat2: not supported by this kernel: glass needs Linux 5.6 or later to resolve paths "
              "inside the container's root safely");
  return fd;
}

/* "/proc/self/fd/N": a path naming exactly the file descriptor N refers to. */
static char *fd_path(int fd) {
  return strf("/proc/self/fd/%d", fd);
}

/* Where an O_PATH descriptor really is on the host, for the explain trace. */
static char *where(int fd) {
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
static int resolve_in_root(const char *path, enum kind kind) {
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
static void mount_on(int fd, const char *src, const char *type, unsigned long flags, const char *data) {
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
  if (mount("overlay", spec.merged, "overlay", 0, data) < 0) fail_sys("mount overlay on %s", spec.merged);
  if ((root_fd = open(spec.merged, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) fail_sys("open %s", spec.merged);
  step("mount-overlay", "mount -t overlay overlay -o %s %s", data, spec.merged);
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
 * host's devices or kernel through it. */
void mount_sys(void) {
  begin("mount-sys");
  int fd = system_mountpoint("sys");
  mount_on(fd, "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  step("mount-sys", "mount -t sysfs -o ro,nosuid,nodev,noexec sysfs %s", where(fd));
  close(fd);
}

/* The host's /dev holds every disk and device of the machine. The container
 * gets an empty tmpfs instead, with only the harmless devices of make_devices(). */
void mount_dev(void) {
  begin("mount-dev");
  int fd = system_mountpoint("dev");
  mount_on(fd, "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  step("mount-dev", "mount -t tmpfs -o nosuid,strictatime,mode=755,size=65536k tmpfs %s", where(fd));
  close(fd);
}

/* A device node is a file naming a driver by (major, minor) number. These six
 * are what every program may expect; the symlinks point the standard names at
 * the process's own file descriptors and at the container's own ptmx. They
 * are made with mknodat()/symlinkat() in the new tmpfs: looked up again after
 * the mount, "dev" is that tmpfs, empty and ours. */
void make_devices(void) {
  static const struct { const char *name; unsigned major, minor; } nodes[] = {
    { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
    { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
  };
  static const char *links[][2] = {
    { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
    { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
    { "ptmx", "pts/ptmx" },
  };
  begin("mknod");
  int dev = open_confined("dev", O_PATH | O_DIRECTORY);
  if (dev < 0) fail_sys("open /dev inside the container's root");
  char cmd[1024];
  int n = snprintf(cmd, sizeof cmd, "cd %s", where(dev));
  size_t i;
  for (i = 0; i < sizeof nodes / sizeof *nodes; i++) {
    if (mknodat(dev, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0)
      fail_sys("mknod /dev/%s", nodes[i].name);
    if (fchmodat(dev, nodes[i].name, 0666, 0) < 0) /* mknod's mode was reduced by the umask */
      fail_sys("chmod /dev/%s", nodes[i].name);
    n += snprintf(cmd + n, sizeof cmd - n, " && mknod -m 666 %s c %u %u",
                  nodes[i].name, nodes[i].major, nodes[i].minor);
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
    if (ro) { /* the new mount is on top now: look the path up again to reach it */
      if ((fd = open_confined(dst, O_PATH)) < 0) fail_sys("open %s inside the container's root", dst);
      if (mount(NULL, fd_path(fd), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
        fail_sys("remount %s read-only", target);
      close(fd);
    }
    step("bind", "mount --bind %s %s%s%s", src, target, ro ? " && mount -o remount,bind,ro " : "",
         ro ? target : "");
  }
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
