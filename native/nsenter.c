/*
 * nsenter.c: entering a container that is already running, the way
 * nsenter(1) does it. "exec is setns()": a container is nothing but a set of
 * namespaces and cgroups its processes share, so another process joins it by
 * joining those.
 *
 * Every namespace of a process is a file under /proc/<pid>/ns/: ipc, uts,
 * net, pid, mnt, cgroup (and user). Opening one gives a descriptor for that
 * namespace, and setns(fd, type) moves the calling process into it. Two of
 * them are special:
 *
 *   pid   setns() into a PID namespace moves only the caller's *future
 *         children* (a process never changes its own pid), so the shim joins
 *         it and then forks: the child is born inside, with a pid of its own
 *         there (`ps` in the container shows it).
 *   mnt   after setns() into a mount namespace the caller's root and working
 *         directory are that namespace's root: the container's overlay,
 *         since its init did pivot_root(). Every host path is out of reach
 *         from then on, so it comes last.
 *
 * Cgroups are not namespaces: the exec'd process joins the container's
 * cgroups by writing itself into their cgroup.procs files (host paths, so
 * before the mount namespace), and from then on it counts against the
 * container's limits, is frozen by `pause` and killed with the container.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "shim.h"

/* The namespace files of a process (pid is joined by the shim: see above).
 * user comes first, when the container has a user namespace of its own: the
 * other namespaces belong to it, and only a member may join them. */
static const struct { const char *name; int type; } kinds[] = {
  { "user", CLONE_NEWUSER }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
  { "cgroup", CLONE_NEWCGROUP }, { "mnt", CLONE_NEWNS }, { "pid", CLONE_NEWPID },
};
#define NKINDS (sizeof kinds / sizeof *kinds)

struct container_ns {
  pid_t pid;
  int fd[NKINDS];       /* -1: not to be joined (the same as ours) */
};

/* Field 22 of /proc/<pid>/stat, the process's start time in clock ticks since
 * boot. The command name (field 2) may hold spaces and ')', so count from the
 * last ')'. */
static char *read_start_time(int proc_dir) {
  char buf[1024];
  int fd = openat(proc_dir, "stat", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) return NULL;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  for (int field = 2; p && field < 22; field++) p = strchr(p + 1, ' ');
  if (!p) return NULL;
  p++;
  p[strcspn(p, " ")] = '\0';
  return strf("%s", p);
}

/* Is namespace `name` of the container the same as ours? (Same inode.) */
static int same_as_ours(int fd, const char *name) {
  struct stat theirs, ours;
  char *path = strf("/proc/self/ns/%s", name);
  int same = fstat(fd, &theirs) == 0 && stat(path, &ours) == 0 && theirs.st_ino == ours.st_ino &&
             theirs.st_dev == ours.st_dev;
  free(path);
  return same;
}

/* Open the container init's namespace files, all at once, before anything
 * else: from then on the descriptors hold the namespaces, whatever happens to
 * the pid. The runtime passes the init's start time with its pid; if the
 * process behind /proc/<pid> is not the one the runtime meant (the container
 * ended, the pid was reused), its start time differs and we stop. The
 * /proc/<pid> directory is opened once and the rest is looked up below it: a
 * /proc/<pid> descriptor stays tied to that one process. */
struct container_ns *open_namespaces(pid_t pid, const char *start_time) {
  struct container_ns *ns = calloc(1, sizeof *ns);
  char *dir = strf("/proc/%d", (int)pid), *shown = strf("%s", "");
  if (!ns) abort();
  begin("ns-open");
  ns->pid = pid;
  int proc_dir = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc_dir < 0) abandon(125, strf("the container's init (pid %d) is gone: the container is not running", (int)pid));
  for (size_t i = 0; i < NKINDS; i++) {
    char *file = strf("ns/%s", kinds[i].name);
    ns->fd[i] = openat(proc_dir, file, O_RDONLY | O_CLOEXEC);
    if (ns->fd[i] < 0 && errno == ENOENT && kinds[i].type == CLONE_NEWCGROUP) continue; /* kernel without cgroup namespaces */
    if (ns->fd[i] < 0) die_sys("open %s/%s", dir, file);
    /* Joining our own user namespace is refused (EINVAL) and means nothing;
     * the others could be joined even when shared, but need not be. */
    if (same_as_ours(ns->fd[i], kinds[i].name)) {
      close(ns->fd[i]);
      ns->fd[i] = -1;
      continue;
    }
    shown = strf("%s %s/%s", shown, dir, file);
  }
  char *now = read_start_time(proc_dir);
  if (start_time && *start_time && (!now || strcmp(now, start_time) != 0))
    abandon(125, strf("the container's init (pid %d) is gone: the container is not running", (int)pid));
  close(proc_dir);
  step("ns-open", "ls -l%s   # open each namespace of the init", *shown ? shown : " (none differ from ours)");
  return ns;
}

static int kind_index(int type) {
  for (size_t i = 0; i < NKINDS; i++)
    if (kinds[i].type == type) return i;
  return -1;
}

/* In the shim itself, before fork(): from now on our children are born in
 * the container's PID namespace. The shim stays where it is (its own pid,
 * the host's mounts), so it can still write its records in the exec's
 * directory and is no part of the container: not counted by its limits,
 * not frozen by pause. */
void enter_pid_namespace(struct container_ns *ns) {
  int i = kind_index(CLONE_NEWPID);
  if (ns->fd[i] < 0) return;
  begin("setns-pid");
  if (setns(ns->fd[i], CLONE_NEWPID) < 0) die_sys("setns(%d, CLONE_NEWPID)", ns->fd[i]);
  close(ns->fd[i]);
  ns->fd[i] = -1;
  step("setns-pid", "nsenter --target %d --pid   # setns(): children of the shim are born in the container's PID namespace",
       (int)ns->pid);
}

/* How the trace shows the files written: on cgroup v1 one directory per
 * controller, /sys/fs/cgroup/{cpu,memory,...}/glass/glass-<id>, in one line. */
static char *shown_procs(const struct list *dirs) {
  const char *top = "/sys/fs/cgroup/", *rest = NULL;
  char *ctls = strf("%s", "");
  for (size_t i = 0; i < dirs->n; i++) {
    const char *d = dirs->v[i], *slash = strncmp(d, top, strlen(top)) ? NULL : strchr(d + strlen(top), '/');
    if (!slash || (rest && strcmp(slash, rest))) return NULL;
    rest = slash;
    ctls = strf("%s%s%.*s", ctls, i ? "," : "", (int)(slash - d - strlen(top)), d + strlen(top));
  }
  return dirs->n > 1 ? strf("echo $$ | tee %s{%s}%s/cgroup.procs", top, ctls, rest) : NULL;
}

/* In the child: move ourselves into each of the container's cgroup
 * directories (one per v1 controller hierarchy, or the one v2 directory).
 * Writing 0 to cgroup.procs means "the process writing this". Done first,
 * before the child runs anything: whatever it starts is born inside. */
void join_cgroups(const struct list *dirs) {
  if (!dirs->n) return;
  begin("cgroup-join");
  char *shown = strf("%s", "");
  for (size_t i = 0; i < dirs->n; i++) {
    char *file = strf("%s/cgroup.procs", dirs->v[i]);
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0\n", 2) != 2) fail_sys("echo $$ > %s", file);
    close(fd);
    shown = strf("%s%secho $$ > %s", shown, i ? "; " : "", file);
  }
  char *compact = shown_procs(dirs);
  step("cgroup-join", "%s", compact ? compact : shown);
}

/* setns() into the container's namespace of this type, if it differs from
 * ours; 1 if it did. `key` names the step, should it fail. */
static int join(struct container_ns *ns, int type, const char *key) {
  int i = kind_index(type);
  if (ns->fd[i] < 0) return 0;
  begin(key);
  if (setns(ns->fd[i], type) < 0) fail_sys("setns(/proc/%d/ns/%s)", (int)ns->pid, kinds[i].name);
  close(ns->fd[i]);
  ns->fd[i] = -1;
  return 1;
}

/* In the child: setns() into each remaining namespace of the container, user
 * first (when it has its own), mnt last. */
void enter_namespaces(struct container_ns *ns) {
  int pid = ns->pid;
  if (join(ns, CLONE_NEWUSER, "setns-user")) step("setns-user", "nsenter --target %d --user", pid);
  if (join(ns, CLONE_NEWIPC, "setns-ipc")) step("setns-ipc", "nsenter --target %d --ipc", pid);
  if (join(ns, CLONE_NEWUTS, "setns-uts")) step("setns-uts", "nsenter --target %d --uts", pid);
  if (join(ns, CLONE_NEWNET, "setns-net")) step("setns-net", "nsenter --target %d --net", pid);
  if (join(ns, CLONE_NEWCGROUP, "setns-cgroup")) step("setns-cgroup", "nsenter --target %d --cgroup", pid);
  if (join(ns, CLONE_NEWNS, "setns-mnt")) step("setns-mnt", "nsenter --target %d --mount   # now / is the container's root", pid);
}
