/*
 * volumes.c: storage from outside the container's union filesystem, mounted
 * into it: volumes (`-v data:/data`, `-v /anon`), the user's bind mounts
 * (`-v /host/dir:/dir`) and tmpfs mounts (`--tmpfs /run`).
 *
 * Each comes as a `mount` key of shim.spec, `type\tsource\tdestination\toptions`:
 *
 *   volume  <root>/volumes/<name>/_data  /data  rw,copy
 *   bind    /home/me/project             /src   ro
 *   tmpfs   tmpfs                        /run   nosuid,nodev,noexec,size=65536k
 *
 * A volume is a bind mount too: a directory glass keeps on the host, shown at
 * a path in the container. What makes it outlive the container is only where
 * it lives: outside the container's upperdir, which `rm` deletes.
 *
 * Everything happens in the container's own mount namespace, before
 * pivot_root(): the host's paths (the sources) are still in reach, and the
 * mounts die with the namespace, so nothing stays mounted on the host even if
 * glass is killed. The destination is an untrusted path in the image: it is
 * resolved inside the root (resolve_in_root() in rootfs.c), so a symlink
 * `/data -> /etc` in the image lands in the container's own /etc, never the
 * host's. The runtime sends the mounts parents first (/a before /a/b).
 *
 * The steps, one function each:
 *   copy_up()       an empty volume gets the image's files at that path (cp -a);
 *                   at create, in `glass-shim prefill` (prefill_main, below),
 *                   as Docker fills volumes then; a start may ask too (`copy`)
 *   bind_source()   mount --bind SOURCE ROOT/path
 *   remount_bind()  mount -o remount,bind,ro,nodev ROOT/path
 *   mount_tmpfs()   mount -t tmpfs -o ... tmpfs ROOT/path
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include "shim.h"

struct mount_entry {
  char *type, *src, *dst;
  int ro, copy;
  char *options; /* tmpfs: every option, flags and data alike */
};

static struct mount_entry parse_entry(const char *line) {
  struct mount_entry m = { 0 };
  char *rest = strf("%s", line);
  m.type = strsep(&rest, "\t");
  m.src = strsep(&rest, "\t");
  m.dst = strsep(&rest, "\t");
  m.options = rest ? rest : "";
  if (!m.src || !m.dst) fail(125, "bad mount entry in shim.spec: %s", line);
  char *opts = strf("%s", m.options);
  for (char *o; (o = strsep(&opts, ","));) {
    if (strcmp(o, "ro") == 0) m.ro = 1;
    if (strcmp(o, "copy") == 0) m.copy = 1;
  }
  return m;
}

/* Whether a directory has no entries but "." and "..". */
static int dir_is_empty(int dirfd_) {
  int fd = openat(dirfd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return 0;
  DIR *d = fdopendir(fd);
  struct dirent *e;
  int empty = 1;
  while (d && (e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) { empty = 0; break; }
  if (d) closedir(d); else close(fd);
  return empty;
}

/*
 * Docker's "copy-up": a volume that is still empty when it is first mounted
 * gets a copy of what the image has at that path, so `-v /etc` shows the
 * image's /etc instead of an empty directory. `cp -a` keeps owners, modes,
 * times, symlinks (copied as links, never followed), hard links, device
 * nodes and extended attributes. It reads the image's directory through
 * /proc/self/fd/N, N being the descriptor resolve_in_root() returned: the
 * copy starts exactly at the confined directory, with no second lookup of the
 * image's path. Runs before the volume is mounted there (afterwards the
 * image's files would be hidden under it). `volume-nocopy` leaves this out.
 */
static void copy_up(int target, const struct mount_entry *m) {
  struct stat st;
  if (fstat(target, &st) < 0 || !S_ISDIR(st.st_mode)) return;
  int src = open(m->src, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (src < 0) fail_sys("open volume %s", m->src);
  int skip = !dir_is_empty(src) || dir_is_empty(target);
  close(src);
  if (skip) return; /* the volume has data already, or there is nothing to copy */
  begin("volume-copy");
  char *from = strf("%s/.", fd_path(target)), *to = strf("%s/", m->src);
  pid_t pid = fork();
  if (pid < 0) fail_sys("fork (cp -a)");
  if (pid == 0) {
    /* the descriptor must survive execve() for /proc/self/fd/N to name it in cp */
    if (fcntl(target, F_SETFD, 0) < 0) _exit(126);
    reset_signals();
    execl("/usr/bin/cp", "cp", "-a", "--", from, to, (char *)NULL);
    execl("/bin/cp", "cp", "-a", "--", from, to, (char *)NULL);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) fail_sys("waitpid (cp -a)");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail(125, "copying the image's %s into the volume %s failed (cp -a exited %d): see the shim's log", m->dst, m->src,
         WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  step("volume-copy", "cp -a %s/. %s/", where(target), m->src);
}

/* The new mount shows the source's files at the target. MS_REC brings along
 * whatever is mounted below the source on the host (rbind, as Docker does). */
static void bind_source(int target, const struct mount_entry *m) {
  begin("volume-bind");
  char *at = where(target);
  mount_on(target, m->src, NULL, MS_BIND | MS_REC, NULL);
  step("volume-bind", "mount --rbind %s %s", m->src, at);
}

/*
 * A bind mount starts with the source mount's flags; ro and nodev are set on
 * the new mount alone by a remount, which leaves the source writable on the
 * host. nodev is glass's device defence (see make_devices() in rootfs.c): a
 * device node in a volume or host directory cannot be opened from inside
 * (--privileged: no nodev). Flags the source mount already has (nosuid,
 * noexec, ...) are kept: a remount must not quietly clear them.
 */
static void remount_bind(const struct mount_entry *m) {
  int nodev = !spec.privileged;
  if (!m->ro && !nodev) return;
  begin("volume-remount");
  int fd = open_confined(m->dst, O_PATH); /* the new mount is on top now: look the path up again */
  if (fd < 0) fail_sys("open %s inside the container's root", m->dst);
  struct statvfs sv;
  unsigned long keep = 0;
  if (fstatvfs(fd, &sv) == 0) {
    if (sv.f_flag & ST_NOSUID) keep |= MS_NOSUID;
    if (sv.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
    if (sv.f_flag & ST_NODEV) keep |= MS_NODEV;
    if (sv.f_flag & ST_NOATIME) keep |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) keep |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) keep |= MS_RELATIME;
  }
  char *at = where(fd);
  if (mount(NULL, fd_path(fd), NULL, MS_BIND | MS_REMOUNT | keep | (m->ro ? MS_RDONLY : 0) | (nodev ? MS_NODEV : 0), NULL) < 0)
    fail_sys("remount %s%s", at, m->ro ? " read-only" : " nodev");
  close(fd);
  step("volume-remount", "mount -o remount,bind%s%s %s", m->ro ? ",ro" : "", nodev ? ",nodev" : "", at);
}

/* Split "nosuid,nodev,noexec,size=64m,mode=1777" into mount flags and the
 * data string tmpfs itself reads (size, mode, uid, gid, nr_inodes). */
static unsigned long tmpfs_flags(const char *options, char **data) {
  static const struct { const char *name; unsigned long set, clear; } words[] = {
    { "ro", MS_RDONLY, 0 },      { "rw", 0, MS_RDONLY },        { "nosuid", MS_NOSUID, 0 }, { "suid", 0, MS_NOSUID },
    { "nodev", MS_NODEV, 0 },    { "dev", 0, MS_NODEV },        { "noexec", MS_NOEXEC, 0 }, { "exec", 0, MS_NOEXEC },
    { "noatime", MS_NOATIME, 0 }, { "relatime", MS_RELATIME, 0 }, { "strictatime", MS_STRICTATIME, 0 },
    { "sync", MS_SYNCHRONOUS, 0 }, { "rprivate", 0, 0 },         { "private", 0, 0 },
  };
  unsigned long flags = 0;
  char *opts = strf("%s", options), *out = strf("%s", "");
  for (char *o; (o = strsep(&opts, ","));) {
    size_t i, n = sizeof words / sizeof *words;
    if (!*o) continue;
    for (i = 0; i < n && strcmp(o, words[i].name); i++) {}
    if (i < n) flags = (flags | words[i].set) & ~words[i].clear;
    else out = strf("%s%s%s", out, *out ? "," : "", o);
  }
  *data = out;
  return flags;
}

/* A tmpfs lives in memory (and swap) only: fast scratch space that is gone
 * when the container stops. Its own filesystem, so its flags are its own. */
static void mount_tmpfs(const struct mount_entry *m) {
  begin("volume-tmpfs");
  int fd = resolve_in_root(m->dst, DIR_);
  char *data, *at = where(fd);
  unsigned long flags = tmpfs_flags(m->options, &data);
  if (!spec.privileged) flags |= MS_NODEV;
  mount_on(fd, "tmpfs", "tmpfs", flags, *data ? data : NULL);
  close(fd);
  step("volume-tmpfs", "mount -t tmpfs -o %s tmpfs %s", m->options, at);
}

void mount_volumes(void) {
  for (size_t i = 0; i < spec.mount.n; i++) {
    struct mount_entry m = parse_entry(spec.mount.v[i]);
    if (strcmp(m.type, "tmpfs") == 0) {
      mount_tmpfs(&m);
      continue;
    }
    struct stat st;
    begin("volume-bind");
    if (stat(m.src, &st) < 0) fail_sys("stat %s (the source of the mount on %s)", m.src, m.dst);
    /* the mount point is made to match: a directory for a directory, an empty file for a file */
    int fd = resolve_in_root(m.dst, S_ISDIR(st.st_mode) ? DIR_ : FILE_);
    struct stat at;
    if (fstat(fd, &at) == 0 && S_ISDIR(st.st_mode) && !S_ISDIR(at.st_mode))
      fail(125, "cannot mount volume over existing file, file exists %s", m.dst); /* Docker's words */
    if (fstat(fd, &at) == 0 && !S_ISDIR(st.st_mode) && S_ISDIR(at.st_mode))
      fail(125, "cannot mount the file %s over the directory %s in the image: a file is mounted on a file", m.src, m.dst);
    if (m.copy && S_ISDIR(st.st_mode)) copy_up(fd, &m);
    bind_source(fd, &m);
    close(fd);
    remount_bind(&m);
  }
}

/*
 * Docker records a volume `unmount` event when a container that mounted the
 * volume stops. There is nothing to unmount by hand: the mounts belonged to
 * the container's mount namespace, which the kernel tore down with its last
 * process. The shim, which sees the exit, writes the events (after `die`).
 * A volume's source is <root>/volumes/<name>/_data: its name is the
 * directory above _data.
 */
void record_volume_unmounts(void) {
  if (!spec.events || exec_id) return;
  for (size_t i = 0; i < spec.mount.n; i++) {
    struct mount_entry m = parse_entry(spec.mount.v[i]);
    if (strcmp(m.type, "volume") != 0) continue;
    char *dir = strf("%s", m.src), *slash = strrchr(dir, '/');
    if (!slash) continue;
    *slash = '\0'; /* drop "/_data" */
    const char *name = (slash = strrchr(dir, '/')) ? slash + 1 : dir;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char *n = json_string(name, strlen(name)), *id = json_string(spec.id ? spec.id : "", spec.id ? strlen(spec.id) : 0);
    append_event_line("unmount", strf("{\"Type\":\"volume\",\"Action\":\"unmount\",\"Actor\":{\"ID\":\"%s\",\"Attributes\":"
                                      "{\"container\":\"%s\",\"driver\":\"local\"}},\"scope\":\"local\",\"time\":%lld,\"timeNano\":%lld}\n",
                                      n, id, (long long)ts.tv_sec, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec));
  }
}

/*
 * `glass-shim prefill <state-dir>`: Docker fills an empty volume from the
 * image when the container is *created*, not when it starts, so a container
 * that never runs (a data container others use with --volumes-from) still
 * hands out the image's files. The runtime runs this mode at create, with a
 * shim.spec holding the overlay's directories and the `mount` keys to fill.
 *
 * This process gets a mount namespace of its own (unshare), private, so the
 * overlay it mounts vanishes when it exits, however it exits: nothing is
 * mounted on the host. The overlay is read-only, every directory a lower
 * layer (the container's upperdir on top): nothing in the container changes,
 * and a destination missing from the image is skipped rather than created.
 * Each destination is resolved inside that root, and copy_up() does the rest,
 * exactly as at start. A failure prints "<code> <message>" on stderr.
 */
int prefill_main(const char *dir) {
  static struct child_io io = { .exec_w = 2, .pty_sock = -1, .stdin_r = -1, .stdout_w = -1, .stderr_w = -1 };
  use_child_io(&io); /* fail() reports on stderr */
  if (!(state_dir = realpath(dir, NULL))) fail_sys("realpath %s", dir);
  read_spec();
  begin("mount-private");
  if (unshare(CLONE_NEWNS) < 0) fail_sys("unshare(CLONE_NEWNS)");
  make_mounts_private();
  begin("mount-overlay");
  char *lower = spec.upper;
  for (size_t i = 0; i < spec.lower.n; i++) lower = strf("%s:%s", lower, spec.lower.v[i]);
  char *data = strf("lowerdir=%s", lower);
  if (mount("overlay", spec.merged, "overlay", MS_RDONLY | MS_NODEV, data) < 0) fail_sys("mount overlay on %s", spec.merged);
  if ((root_fd = open(spec.merged, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) fail_sys("open %s", spec.merged);
  step("mount-overlay", "unshare --mount --propagation private mount -t overlay overlay -o ro,nodev,%s %s", data, spec.merged);
  for (size_t i = 0; i < spec.mount.n; i++) {
    struct mount_entry m = parse_entry(spec.mount.v[i]);
    if (strcmp(m.type, "volume") != 0 || !m.copy) continue;
    begin("volume-copy");
    int fd = open_confined(m.dst, O_PATH);
    if (fd < 0 && errno == ENOENT) continue; /* nothing there in the image: nothing to copy */
    if (fd < 0) fail_sys("open %s inside the container's root", m.dst);
    copy_up(fd, &m);
    close(fd);
  }
  return 0;
}
