/*
 * inroot.c: `glass-shim inroot`, a tool run inside a container's root
 * directory, for `glass cp`.
 *
 * A container's files are untrusted: an image or a process in the container
 * may plant a symlink `/x -> /etc` or `/y -> ../../../..`. Resolved on the
 * host, /x/passwd would be the host's /etc/passwd. Inside a chroot it cannot
 * be: after chroot(2) the kernel itself resolves "/" and ".." against the
 * container's root, for every path and every symlink, so nothing done there
 * can reach a host file, even if the container swaps a directory for a symlink
 * half-way through (the race of CVE-2018-15664, which a check-then-use in the
 * host's root cannot avoid).
 *
 * Which root:
 *   pid PID START    a running container: /proc/PID/root, its init's root
 *                    (the overlay, seen through the container's own mount
 *                    namespace, its volumes included). START is the init's
 *                    start time: a pid that was reused is refused.
 *   overlay MERGED LOWERS UPPER WORK
 *                    a stopped container: its overlay is mounted again, in a
 *                    private mount namespace of this process only, so it
 *                    disappears when this process ends, however it ends:
 *                    nothing stays mounted on the host.
 *   dir DIR          a stopped container's volume or bind mount: the host
 *                    directory it mounts, as its own root.
 *
 * Then one operation, in the root:
 *   stat PATH        lstat(PATH): mode, size, mtime; for a symlink, its
 *                    target resolved in the root (Docker's linkTarget); and
 *                    PATH's directory part resolved. Each field ends in a NUL.
 *   tar ARG...       the host's static busybox (opened before the chroot,
 *                    run by descriptor with execveat(2): nothing from the
 *                    container is executed) as `tar ARG...`.
 *
 * By hand:  unshare --mount --propagation private sh -c \
 *             'mount -t overlay overlay -o lowerdir=L,upperdir=U,workdir=W M && chroot M /bin/busybox tar -cf - -C /etc passwd'
 * (that needs a busybox inside the container; glass brings the host's.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int inroot_main(int argc, char **argv);

static void inroot_fail(int code, const char *what) __attribute__((noreturn));
static void inroot_fail(int code, const char *what) {
  fprintf(stderr, "glass-shim inroot: %s: %s\n", what, strerror(errno));
  exit(code);
}

/* Field 22 of /proc/<pid>/stat: the start time (see nsenter.c). */
static int same_process(const char *pid, const char *start) {
  if (!*start) return 1;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%s/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  for (int field = 2; p && field < 22; field++) p = strchr(p + 1, ' ');
  if (!p) return 0;
  p++;
  p[strcspn(p, " ")] = '\0';
  return strcmp(p, start) == 0;
}

/* chroot into a running container's root: /proc/PID/root. */
static void enter_pid_root(const char *pid, const char *start) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/root", pid);
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) inroot_fail(125, path);
  if (!same_process(pid, start)) {
    errno = ESRCH;
    inroot_fail(125, "the container's init is gone");
  }
  if (fchdir(fd) < 0 || chroot(".") < 0 || chdir("/") < 0) inroot_fail(125, "chroot /proc/PID/root");
  close(fd);
}

/* Mount a stopped container's overlay in a mount namespace of our own, then chroot into it. */
static void enter_overlay(const char *merged, const char *lowers, const char *upper, const char *work) {
  if (unshare(CLONE_NEWNS) < 0) inroot_fail(125, "unshare(CLONE_NEWNS)");
  /* Private, so the mount below never propagates back to the host (see rootfs.c). */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) inroot_fail(125, "mount --make-rprivate /");
  size_t len = strlen(lowers) + strlen(upper) + strlen(work) + 64;
  char *data = malloc(len);
  if (!data) inroot_fail(125, "malloc");
  snprintf(data, len, "lowerdir=%s,upperdir=%s,workdir=%s", lowers, upper, work);
  if (mount("overlay", merged, "overlay", MS_NODEV, data) < 0) inroot_fail(125, "mount -t overlay");
  free(data);
  if (chdir(merged) < 0 || chroot(".") < 0 || chdir("/") < 0) inroot_fail(125, "chroot into the overlay");
}

/*
 * Resolve every symlink of `path` (the last one too), as Docker's
 * FollowSymlinkInScope does: ".." stops at "/", a missing component is kept
 * as written. We are in the chroot, so this is about meaning, not safety:
 * the kernel keeps every lookup inside anyway.
 */
static char *resolve_all(const char *path) {
  static char done[PATH_MAX];
  char todo[PATH_MAX * 2];
  int links = 0;
  done[0] = '\0';
  snprintf(todo, sizeof todo, "%s", path);
  char *rest = todo;
  while (rest && *rest) {
    char *name = strsep(&rest, "/");
    if (!*name || strcmp(name, ".") == 0) continue;
    if (strcmp(name, "..") == 0) {
      char *slash = strrchr(done, '/');
      if (slash) *slash = '\0';
      continue;
    }
    size_t at = strlen(done);
    if (at + 1 + strlen(name) >= sizeof done) { errno = ENAMETOOLONG; return NULL; }
    snprintf(done + at, sizeof done - at, "/%s", name);
    struct stat st;
    if (lstat(done, &st) < 0 || !S_ISLNK(st.st_mode)) continue;
    if (++links > 255) { errno = ELOOP; return NULL; }
    char target[PATH_MAX];
    ssize_t n = readlink(done, target, sizeof target - 1);
    if (n < 0) return NULL;
    target[n] = '\0';
    done[at] = '\0'; /* the link itself is replaced by where it points */
    if (target[0] == '/') done[0] = '\0';
    char next[PATH_MAX * 2];
    snprintf(next, sizeof next, "%s/%s", target, rest ? rest : "");
    snprintf(todo, sizeof todo, "%s", next);
    rest = todo;
  }
  if (!done[0]) strcpy(done, "/");
  return done;
}

static int op_stat(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0) {
    fprintf(stderr, "%s\n", errno == ENOENT ? "ENOENT" : errno == ENOTDIR ? "ENOTDIR" : strerror(errno));
    return errno == ENOENT || errno == ENOTDIR ? 3 : 1;
  }
  char *target = "";
  if (S_ISLNK(st.st_mode)) {
    if (!(target = resolve_all(path))) inroot_fail(1, "resolve the symlink");
    target = strdup(target);
  }
  /* The directory part (up to the last '/', as Go's filepath.Split), resolved:
   * where the entry really lives, which names the archive's top entry. */
  char dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path + 1) : 0, path);
  const char *resolved_dir = resolve_all(dir);
  if (!resolved_dir) inroot_fail(1, "resolve the directory");
  printf("%u%c%lld%c%lld%c%ld%c%s%c%s%c", (unsigned)st.st_mode, 0, (long long)st.st_size, 0, (long long)st.st_mtim.tv_sec, 0,
         st.st_mtim.tv_nsec, 0, target, 0, resolved_dir, 0);
  return 0;
}

int inroot_main(int argc, char **argv) {
  /* argv: inroot pid PID START BUSYBOX OP ARG... | inroot overlay MERGED LOWERS UPPER WORK BUSYBOX OP ARG... | inroot dir DIR BUSYBOX OP ARG... */
  int at;
  if (argc >= 7 && strcmp(argv[2], "pid") == 0) at = 5;
  else if (argc >= 9 && strcmp(argv[2], "overlay") == 0) at = 7;
  else if (argc >= 6 && strcmp(argv[2], "dir") == 0) at = 4;
  else {
    fprintf(stderr, "usage: glass-shim inroot pid PID START BUSYBOX OP ARG...\n"
                    "       glass-shim inroot overlay MERGED LOWERS UPPER WORK BUSYBOX OP ARG...\n"
                    "       glass-shim inroot dir DIR BUSYBOX OP ARG...\n"
                    "OP: stat PATH | tar ARG...\n");
    return 2;
  }
  /* The host's static busybox, opened while the host's files are in reach. */
  int busybox = open(argv[at], O_RDONLY | O_CLOEXEC);
  if (busybox < 0) inroot_fail(125, argv[at]);
  if (at == 5) enter_pid_root(argv[3], argv[4]);
  else if (at == 7) enter_overlay(argv[3], argv[4], argv[5], argv[6]);
  else if (chdir(argv[3]) < 0 || chroot(".") < 0 || chdir("/") < 0) inroot_fail(125, "chroot into the volume");
  char **op = argv + at + 1;
  if (strcmp(op[0], "stat") == 0 && op[1] && !op[2]) return op_stat(op[1]);
  if (strcmp(op[0], "tar") == 0) {
    char *env[] = { "PATH=/bin:/usr/bin", "LC_ALL=C", NULL };
    syscall(SYS_execveat, busybox, "", op, env, AT_EMPTY_PATH);
    inroot_fail(125, "execveat busybox");
  }
  fprintf(stderr, "glass-shim inroot: unknown operation %s\n", op[0]);
  return 2;
}
