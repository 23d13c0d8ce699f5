/*
 * container.c: the container's first process, from clone() to execve().
 *
 * clone() (in shim.c) started us in new PID, mount, UTS, IPC and network
 * namespaces, but we still see the host's files. container_main() below turns
 * that into a container one step at a time, reporting each step on the status
 * pipe. Any failure is written to the exec pipe as "<code> <message>" and we
 * exit; the shim turns it into an "error" line for the runtime.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include "shim.h"

static const struct child_io *io;

/* Give up: tell the shim why (through the exec pipe) and exit with that code. */
__attribute__((noreturn, format(printf, 2, 3)))
static void fail(int code, const char *fmt, ...) {
  char msg[2048];
  int n = snprintf(msg, sizeof msg, "%d ", code);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + n, sizeof msg - n, fmt, ap);
  va_end(ap);
  write_all(io->exec_w, msg, strlen(msg));
  _exit(code);
}

/* A syscall failed: "<what>: <strerror(errno)>", code 125. */
__attribute__((noreturn, format(printf, 1, 2)))
static void fail_sys(const char *fmt, ...) {
  int err = errno;
  char what[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  fail(125, "%s: %s", what, strerror(err));
}

static void mkdir_p(const char *path) {
  char *p, *dir = strf("%s", path);
  for (p = dir + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char c = *p;
    *p = '\0';
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) fail_sys("mkdir %s", dir);
    if ((*p = c) == '\0') break;
  }
  free(dir);
}

static void do_mount(const char *src, const char *target, const char *type, unsigned long flags,
                     const char *data) {
  if (mount(src, target, type, flags, data) < 0) fail_sys("mount %s on %s", src, target);
}

/* A path inside the container's root (before pivot_root), created if missing. */
static char *mountpoint(const char *rel) {
  char *path = strf("%s/%s", spec.merged, rel);
  mkdir_p(path);
  return path;
}

/* The init blocks here until the runtime has moved it into its cgroups (from
 * the host, by pid). Only then may it start anything: every process it creates
 * is born inside the cgroup, so nothing escapes the limits. */
static void wait_for_go(void) {
  char buf[8];
  size_t len = 0;
  while (len < sizeof buf && (len == 0 || buf[len - 1] != '\n')) {
    ssize_t n = read(CONTROL_FD, buf + len, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(125, "the runtime closed the control pipe without sending \"go\"");
    len++;
  }
  if (len != 3 || memcmp(buf, "go\n", 3) != 0) fail(125, "unexpected message on the control pipe");
  close(CONTROL_FD);
  step("wait-go", "read fd %d until \"go\"", CONTROL_FD);
}

/* A cgroup namespace makes the cgroups its creator is in at that moment the
 * root ("/") of its view of /proc/self/cgroup and of cgroupfs. That is why
 * clone() did not get CLONE_NEWCGROUP: we were still in the shim's cgroup then.
 * The runtime has now moved us into the container's own cgroup ("go"), so a
 * namespace created now is rooted there and hides the host's cgroup tree. */
static void enter_cgroup_ns(void) {
  if (unshare(CLONE_NEWCGROUP) < 0) fail_sys("unshare(CLONE_NEWCGROUP)");
  step("cgroupns", "unshare --cgroup");
}

/* The new mount namespace starts as a copy of the host's, and on most hosts
 * "/" is a *shared* mount: a mount made under it would propagate back into the
 * host's namespace. Making every mount private cuts that link both ways (and
 * pivot_root() refuses to work under a shared mount anyway). */
static void make_mounts_private(void) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail_sys("mount --make-rprivate /");
  step("mount-private", "mount --make-rprivate /");
}

/* The root filesystem is an overlay: the image's read-only layers (lowerdir,
 * top-most first) with the container's own directory on top (upperdir), which
 * receives every write. The image is shared and never changes. The mount exists
 * only in this mount namespace, so it disappears with the container. */
static void mount_rootfs(void) {
  char *lower = spec.lower.v[0];
  for (size_t i = 1; i < spec.lower.n; i++) lower = strf("%s:%s", lower, spec.lower.v[i]);
  char *data = strf("lowerdir=%s,upperdir=%s,workdir=%s", lower, spec.upper, spec.work);
  do_mount("overlay", spec.merged, "overlay", 0, data);
  step("mount-overlay", "mount -t overlay overlay -o %s %s", data, spec.merged);
}

/* procfs shows the processes of the PID namespace of whoever mounts it. Mounted
 * from inside our new namespace, `ps` in the container sees only its own. */
static void mount_proc(void) {
  char *proc = mountpoint("proc");
  do_mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  step("mount-proc", "mount -t proc -o nosuid,nodev,noexec proc %s", proc);
}

/* Programs expect /sys. Read-only, so that the container cannot reconfigure the
 * host's devices or kernel through it. */
static void mount_sys(void) {
  char *sys = mountpoint("sys");
  do_mount("sysfs", sys, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  step("mount-sys", "mount -t sysfs -o ro,nosuid,nodev,noexec sysfs %s", sys);
}

/* The host's /dev holds every disk and device of the machine. The container
 * gets an empty tmpfs instead, with only the harmless devices of make_devices(). */
static void mount_dev(void) {
  char *dev = mountpoint("dev");
  do_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  step("mount-dev", "mount -t tmpfs -o nosuid,strictatime,mode=755,size=65536k tmpfs %s", dev);
}

/* A device node is a file naming a driver by (major, minor) number. These six
 * are what every program may expect; the symlinks point the standard names at
 * the process's own file descriptors and at the container's own ptmx. */
static void make_devices(void) {
  static const struct { const char *name; unsigned major, minor; } nodes[] = {
    { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
    { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
  };
  static const char *links[][2] = {
    { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
    { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
    { "ptmx", "pts/ptmx" },
  };
  char *dev = strf("%s/dev", spec.merged), cmd[1024];
  int n = snprintf(cmd, sizeof cmd, "cd %s", dev);
  size_t i;
  for (i = 0; i < sizeof nodes / sizeof *nodes; i++) {
    char *path = strf("%s/%s", dev, nodes[i].name);
    if (mknod(path, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0)
      fail_sys("mknod %s", path);
    if (chmod(path, 0666) < 0) /* mknod's mode was reduced by the umask */
      fail_sys("chmod %s", path);
    n += snprintf(cmd + n, sizeof cmd - n, " && mknod -m 666 %s c %u %u",
                  nodes[i].name, nodes[i].major, nodes[i].minor);
  }
  for (i = 0; i < sizeof links / sizeof *links; i++) {
    char *path = strf("%s/%s", dev, links[i][0]);
    if (symlink(links[i][1], path) < 0) fail_sys("symlink %s", path);
    n += snprintf(cmd + n, sizeof cmd - n, " && ln -s %s %s", links[i][1], links[i][0]);
  }
  step("mknod", "%s", cmd);
}

/* Terminals live in a devpts filesystem. "newinstance" gives the container a
 * private one, numbered from 0 and without the host's terminals; ptmxmode=0666
 * makes its ptmx (where new terminals are allocated) usable. */
static char *mount_devpts(void) {
  char *pts = mountpoint("dev/pts");
  do_mount("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  step("mount-devpts", "mount -t devpts -o nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5 devpts %s",
       pts);
  return pts;
}

/* SCM_RIGHTS: a unix socket can carry an open file descriptor to another
 * process, which receives its own descriptor for the same open file. */
static void send_fd(int sock, int fd) {
  char byte = 0;
  struct iovec iov = { &byte, 1 };
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } c;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = c.buf, .msg_controllen = sizeof c.buf };
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  if (sendmsg(sock, &msg, 0) < 0) fail_sys("sendmsg (pty master to the shim)");
}

/* -t: a pseudo-terminal is a pair. The program uses the slave (/dev/pts/N) as
 * its terminal; whoever holds the master plays keyboard and screen. We take it
 * from the container's own devpts, so inside `tty` prints /dev/pts/0, and hand
 * the master to the shim, which relays it to attached clients. */
static int open_pty(const char *pts) {
  char *ptmx = strf("%s/ptmx", pts);
  int unlock = 0, num, master, slave;
  if ((master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) fail_sys("open %s", ptmx);
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail_sys("unlockpt %s", ptmx);
  if (ioctl(master, TIOCGPTN, &num) < 0) fail_sys("ioctl TIOCGPTN %s", ptmx);
  char *path = strf("%s/%d", pts, num);
  if ((slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) fail_sys("open %s", path);
  send_fd(io->pty_sock, master);
  close(master);
  step("pty", "open %s; unlockpt; ioctl TIOCGPTN = %d; open %s; send the master to the shim",
       ptmx, num, path);
  return slave;
}

/* POSIX shared memory (shm_open) lives in a tmpfs at /dev/shm. */
static void mount_shm(void) {
  char *shm = mountpoint("dev/shm");
  do_mount("shm", shm, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
  step("mount-shm", "mount -t tmpfs -o nosuid,nodev,noexec,mode=1777,size=65536k shm %s", shm);
}

/* POSIX message queues; an mqueue mount shows those of the mounter's IPC namespace. */
static void mount_mqueue(void) {
  char *mq = mountpoint("dev/mqueue");
  do_mount("mqueue", mq, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  step("mount-mqueue", "mount -t mqueue -o nosuid,nodev,noexec mqueue %s", mq);
}

/* A bind mount shows an existing file or directory at a second path: this is
 * how the runtime's /etc/hosts, /etc/hostname and /etc/resolv.conf (and volumes)
 * appear inside. The mount point must exist and be of the same kind, file on
 * file or directory on directory. (Real runtimes also make sure a symlink in the
 * image cannot redirect the target outside the root; glass trusts its images.) */
static void bind_mounts(void) {
  for (size_t i = 0; i < spec.bind.n; i++) {
    char *rest = strf("%s", spec.bind.v[i]);
    char *src = strsep(&rest, "\t"), *dst = strsep(&rest, "\t");
    int ro = rest && strcmp(rest, "ro") == 0;
    struct stat st;
    if (!dst) fail(125, "bad bind entry: %s", spec.bind.v[i]);
    char *target = strf("%s%s", spec.merged, dst);
    if (stat(src, &st) < 0) fail_sys("stat %s", src);
    if (S_ISDIR(st.st_mode)) {
      mkdir_p(target);
    } else {
      char *parent = strf("%s", target);
      *strrchr(parent, '/') = '\0';
      mkdir_p(parent);
      int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0 && errno != EEXIST) fail_sys("create %s", target);
      if (fd >= 0) close(fd);
    }
    do_mount(src, target, NULL, MS_BIND | MS_REC, NULL);
    if (ro && mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
      fail_sys("remount %s read-only", target); /* a bind's flags can only be set by a remount */
    step("bind", "mount --bind %s %s%s%s", src, target,
         ro ? " && mount -o remount,bind,ro " : "", ro ? target : "");
  }
}

/* The hostname belongs to the UTS namespace: changing ours leaves the host's alone. */
static void set_hostname(void) {
  if (!spec.hostname) return;
  if (sethostname(spec.hostname, strlen(spec.hostname)) < 0)
    fail_sys("sethostname %s", spec.hostname);
  step("hostname", "hostname %s", spec.hostname);
}

/* A new network namespace has a single interface, the loopback `lo`, and it is
 * down. Raising it (the IFF_UP flag, set through any socket's ioctl) lets
 * programs in the container talk to 127.0.0.1. */
static void bring_up_loopback(void) {
  struct ifreq ifr = { 0 };
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) fail_sys("socket");
  memcpy(ifr.ifr_name, "lo", 3);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) fail_sys("ioctl SIOCGIFFLAGS lo");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) fail_sys("ioctl SIOCSIFFLAGS lo");
  close(sock);
  step("loopback", "ip link set lo up");
}

/* chroot() only changes how paths are looked up; the host's root stays mounted
 * underneath and a root process can climb back out. pivot_root() really swaps
 * the root mount of the mount namespace. The pivot_root(".", ".") trick: with
 * the new root as the current directory, the old root gets stacked on top of
 * it, at the same place. umount2(".", MNT_DETACH) then removes that top mount
 * (lazily, as it is busy), which leaves the overlay as "/" and no path to the
 * host's files, without needing a directory to park the old root in. */
static void pivot_to_rootfs(void) {
  if (chdir(spec.merged) < 0) fail_sys("chdir %s", spec.merged);
  if (syscall(SYS_pivot_root, ".", ".") < 0) fail_sys("pivot_root %s", spec.merged);
  if (umount2(".", MNT_DETACH) < 0) fail_sys("umount2 old root");
  if (chdir("/") < 0) fail_sys("chdir /");
  step("pivot-root", "cd %s && pivot_root . . && umount -l .", spec.merged);
}

static int parse_id(const char *s, unsigned *id) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (!*s || *end || errno || v > UINT_MAX) return 0;
  *id = v;
  return 1;
}

/* Split a line of /etc/passwd or /etc/group into its n ':'-separated fields. */
static int split(char *line, char **f, int n) {
  int i = 0;
  line[strcspn(line, "\n")] = '\0';
  while (i < n && line) f[i++] = strsep(&line, ":");
  return i == n;
}

/* Find the entry of `file` named `name` (field 0) or, if name is NULL, with id `id` (field 2). */
static int lookup(const char *file, const char *name, unsigned id, char *line, size_t size, char **f, int n) {
  FILE *fp = fopen(file, "re");
  unsigned fid;
  int found = 0;
  while (fp && !found && fgets(line, size, fp))
    found = split(line, f, n) && (name ? strcmp(f[0], name) == 0 : parse_id(f[2], &fid) && fid == id);
  if (fp) fclose(fp);
  return found;
}

/* Supplementary groups: every /etc/group entry listing `user` as a member
 * (except `primary`, which the caller already has). */
static int member_groups(const char *user, gid_t primary, gid_t *groups, int max) {
  char line[4096], *f[4];
  unsigned gid;
  int n = 0;
  FILE *fp = fopen("/etc/group", "re");
  while (fp && n < max && fgets(line, sizeof line, fp))
    for (char *m = split(line, f, 4) && parse_id(f[2], &gid) ? f[3] : NULL; m && n < max;)
      if (strcmp(strsep(&m, ","), user) == 0 && gid != primary) groups[n++] = gid;
  if (fp) fclose(fp);
  return n;
}

static const char *env_get(const char *name) {
  size_t len = strlen(name);
  for (size_t i = 0; i < spec.env.n; i++)
    if (strncmp(spec.env.v[i], name, len) == 0 && spec.env.v[i][len] == '=')
      return spec.env.v[i] + len + 1;
  return NULL;
}

/* Users are just numbers to the kernel. The name in `user` is looked up in the
 * container's own /etc/passwd and /etc/group (now that they are "/etc"), never
 * the host's. setgroups and setgid must come before setuid: once we are no
 * longer root we would not be allowed to change them. */
static void switch_user(void) {
  char *u = strf("%s", spec.user ? spec.user : ""), *g = strchr(u, ':');
  char pwline[4096], grline[4096], *pw[7], *gr[4], groups_text[512] = "--clear-groups";
  unsigned uid = 0, gid = 0;
  if (g) *g++ = '\0';
  if (!*u) u = "0";
  int numeric = parse_id(u, &uid);
  int known = lookup("/etc/passwd", numeric ? NULL : u, uid, pwline, sizeof pwline, pw, 7);
  if (!known && !numeric)
    fail(125, "unable to find user %s: no matching entries in passwd file", u);
  if (known && (!parse_id(pw[2], &uid) || !parse_id(pw[3], &gid)))
    fail(125, "bad /etc/passwd entry for %s", u);
  if (g && *g && !parse_id(g, &gid)) {
    if (!lookup("/etc/group", g, 0, grline, sizeof grline, gr, 4) || !parse_id(gr[2], &gid))
      fail(125, "unable to find group %s: no matching entries in group file", g);
  }
  /* Like runc: the primary group first, then every group listing the user. */
  gid_t groups[64] = { gid };
  int n = 1 + (known ? member_groups(pw[0], gid, groups + 1, 63) : 0);
  for (int i = 0, len = 0; i < n; i++)
    len += snprintf(groups_text + len, sizeof groups_text - len, "%s%u", i ? "," : "--groups=", groups[i]);
  if (setgroups(n, groups) < 0) fail_sys("setgroups");
  if (setgid(gid) < 0) fail_sys("setgid %u", gid);
  if (setuid(uid) < 0) fail_sys("setuid %u", uid);
  if (!env_get("HOME")) list_push(&spec.env, strf("HOME=%s", known && *pw[5] ? pw[5] : "/"));
  step("user", "setpriv --reuid=%u --regid=%u %s", uid, gid, groups_text);
}

/* The working directory was created (as root, like runc does, so that
 * `-u nobody -w /new` works) before the user switch; now enter it. */
static void enter_workdir(const char *cwd) {
  if (chdir(cwd) < 0) fail_sys("chdir %s", cwd);
  step("cwd", "mkdir -p %s && cd %s", cwd, cwd);
}

/* Like execvp(): a name without '/' is searched in the container's $PATH. */
static char *find_in_path(const char *name) {
  const char *path = env_get("PATH");
  char *dirs = strf("%s", path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  struct stat st;
  for (char *dir; (dir = strsep(&dirs, ":"));) {
    char *file = strf("%s/%s", *dir ? dir : ".", name);
    if (stat(file, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) return file;
    free(file);
  }
  return NULL;
}

/* Append `s` to out as a shell would need it typed (for the step report). */
static size_t append_quoted(char *out, size_t len, size_t size, const char *s) {
  static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%";
  int plain = *s && strspn(s, safe) == strlen(s);
  if (len + 8 >= size) return len;
  out[len++] = ' ';
  if (!plain) out[len++] = '\'';
  for (; *s && len + 8 < size; s++) {
    if (*s == '\'') {
      memcpy(out + len, "'\\''", 4); /* end quote, escaped quote, reopen */
      len += 4;
    } else {
      out[len++] = *s;
    }
  }
  if (!plain) out[len++] = '\'';
  out[len] = '\0';
  return len;
}

/* fds 0, 1 and 2. With a terminal, the init starts a session (setsid) and makes
 * the pty slave its controlling terminal (TIOCSCTTY), so that ^C and job
 * control work; the slave becomes 0, 1 and 2. Without one, 1 and 2 are pipes
 * the shim reads, and 0 is a pipe the shim writes, or /dev/null. */
static void setup_stdio(int slave, int null_fd) {
  int in = slave, out = slave, err = slave;
  if (setsid() < 0) fail_sys("setsid");
  if (slave >= 0 && ioctl(slave, TIOCSCTTY, 0) < 0) fail_sys("ioctl TIOCSCTTY");
  if (slave < 0) {
    in = io->stdin_r >= 0 ? io->stdin_r : null_fd;
    out = io->stdout_w;
    err = io->stderr_w;
  }
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) fail_sys("dup2");
}

/* execve() replaces this process with the container's program, which runs as
 * pid 1. On success the close-on-exec exec pipe closes without a word. */
static void exec_command(int slave, int null_fd) {
  const char *arg0 = spec.arg.v[0];
  char *file = strchr(arg0, '/') ? (char *)arg0 : find_in_path(arg0), cmd[3072] = "exec";
  if (!file) fail(127, "exec: \"%s\": executable file not found in $PATH", arg0);
  size_t len = append_quoted(cmd, 4, sizeof cmd, file);
  for (size_t i = 1; i < spec.arg.n; i++) len = append_quoted(cmd, len, sizeof cmd, spec.arg.v[i]);
  step("exec", "%s", cmd);
  setup_stdio(slave, null_fd);
  reset_signals();
  execve(file, spec.arg.v, spec.env.v);
  int code = errno == ENOENT ? 127
           : errno == EACCES || errno == ENOEXEC || errno == EISDIR || errno == EPERM || errno == ETXTBSY ? 126
           : 125;
  char *why = strf("%s", strerror(errno));
  why[0] = tolower((unsigned char)why[0]);
  fail(code, "exec: \"%s\": %s", arg0, why);
}

int container_main(void *arg) {
  io = arg;
  const char *cwd = spec.cwd && *spec.cwd ? spec.cwd : "/";
  int slave = -1, null_fd = -1;

  wait_for_go();
  enter_cgroup_ns();
  make_mounts_private();
  mount_rootfs();
  mount_proc();
  mount_sys();
  mount_dev();
  make_devices();
  char *pts = mount_devpts();
  if (spec.tty) slave = open_pty(pts);
  mount_shm();
  mount_mqueue();
  bind_mounts();
  set_hostname();
  bring_up_loopback();
  if (!spec.tty && !spec.open_stdin && (null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
    fail_sys("open /dev/null");
  pivot_to_rootfs();
  mkdir_p(cwd); /* as root, before switch_user(): see enter_workdir() */
  switch_user();
  enter_workdir(cwd);
  exec_command(slave, null_fd);
  return 125;
}
