/*
 * exec.c: `glass-shim exec <container-state-dir> <exec-dir>`, the shim of one
 * `glass exec`: another process in a container that is already running.
 *
 * It is the container's own shim with a different start. The container's
 * <state-dir>/shim.spec is read as usual (read_spec(): its user,
 * environment, working directory, confinement), then <exec-dir>/exec.spec
 * overrides what `glass exec` was given (command, -e, -w, -u, -t, -i,
 * --privileged). Instead of clone() into new namespaces, the process joins
 * the container's (nsenter.c); instead of building a root filesystem it
 * finds the container's, already built. After that it is the same story as
 * a container's init (init.c): user, working directory, stdio, confinement,
 * execve. The shim stays its parent (monitor.c), holds its pty or pipes for
 * attach clients on <exec-dir>/attach.sock, and records its exit in
 * <exec-dir>/exit.json.
 *
 *   shim                                          exec'd process
 *   read shim.spec, then exec.spec
 *   open /proc/<init>/ns/{ipc,...} ns-open
 *   fork, parent exits, setsid .... detach
 *   exit.json.tmp ................. exit-reserve
 *   listen on <exec-dir>/attach.sock
 *   setns(pid) for our children ... setns-pid
 *   fork() ........................ fork ──────▶ not dumpable ............ non-dumpable
 *                                                wait for "go" ........... wait-go
 *   "pid <pid>"                                  echo $$ > cgroup.procs .. cgroup-join
 *                                                setns ipc, uts, net,
 *                                                  cgroup, mnt ........... setns-*
 *                                                pty (-t) ................ pty
 *                                                seccomp filter .......... seccomp
 *                                                setgroups/setgid/setuid . user
 *                                                capabilities ............ capabilities
 *                                                no_new_privs ............ no-new-privileges
 *                                                chdir ................... cwd
 *                                                fds 0, 1, 2 ............. stdio
 *                                                execve .................. exec
 *   monitor: output to clients (no log: as in Docker, exec output is not in
 *   the container's log), the exit in exit.json, exec_start and exec_die events.
 *
 * The container does not depend on this process: when it exits, the
 * container runs on. When the container ends, the kernel kills every other
 * process of its PID namespace, this one too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include "shim.h"

const char *exec_id;

/* What exec.spec says (README.md, "glass exec"). */
static struct {
  char *id, *pid, *pid_start_time, *cwd, *user;
  int tty, open_stdin, privileged;
  struct list arg, env;
} x;

/* The container's cgroup directories, taken out of `spec`: in the container's
 * own shim they are what it removes at exit; here they are only joined. */
static struct list cgroups;

static char *read_whole(const char *path, size_t *len) {
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) < 0) die_sys("open %s", path);
  char *buf = calloc(1, st.st_size + 2);
  if (!buf) abort();
  if (read(fd, buf, st.st_size) != st.st_size) die_sys("read %s", path);
  close(fd);
  *len = st.st_size;
  return buf;
}

/* <exec-dir>/exec.spec: key\0value\0 pairs, like shim.spec. */
static void read_exec_spec(void) {
  char *path = strf("%s/exec.spec", state_dir);
  size_t len;
  char *buf = read_whole(path, &len), *p = buf, *end = buf + len;
  while (p < end) {
    char *key = p, *val = p + strlen(p) + 1;
    p = val + strlen(val) + 1;
    if (!strcmp(key, "exec-id")) x.id = val;
    else if (!strcmp(key, "pid")) x.pid = val;
    else if (!strcmp(key, "pid-start-time")) x.pid_start_time = val;
    else if (!strcmp(key, "cwd")) x.cwd = val;
    else if (!strcmp(key, "user")) x.user = val;
    else if (!strcmp(key, "tty")) x.tty = !strcmp(val, "1");
    else if (!strcmp(key, "stdin")) x.open_stdin = !strcmp(val, "1");
    else if (!strcmp(key, "privileged")) x.privileged = !strcmp(val, "1");
    else if (!strcmp(key, "arg")) list_push(&x.arg, val);
    else if (!strcmp(key, "env")) list_push(&x.env, val);
  }
  if (strcmp(buf, "version") != 0 || strcmp(buf + 8, strf("%d", SHIM_PROTOCOL_VERSION)) != 0)
    abandon(125, strf("%s is not protocol version %d: rebuild glass (npm run build) so that the runtime and the shim match",
                      path, SHIM_PROTOCOL_VERSION));
  if (!x.id || !x.pid || atoi(x.pid) <= 0) abandon(125, strf("%s: no \"exec-id\" or \"pid\"", path));
  if (!x.arg.n) abandon(125, "no command specified");
}

/* -e KEY=VALUE: replaces the container's KEY, or is added. */
static void set_env(const char *kv) {
  size_t klen = strcspn(kv, "=");
  for (size_t i = 0; i < spec.env.n; i++)
    if (!strncmp(spec.env.v[i], kv, klen) && spec.env.v[i][klen] == '=') {
      spec.env.v[i] = (char *)kv;
      return;
    }
  list_push(&spec.env, (char *)kv);
}

/* The container's spec, with what `glass exec` was given on top. What the
 * container's own shim does at exit (remove the cgroups, run the --rm hook,
 * write the container's log) is no business of an exec: cleared here, first
 * thing, so that nothing of it can run even if this start fails. */
static void take_container_spec(const char *container_dir) {
  if (!(state_dir = realpath(container_dir, NULL))) die_sys("realpath %s", container_dir);
  read_spec();
  cgroups = spec.cgroup;
  spec.cgroup = (struct list){ 0 };
  spec.exit_hook = (struct list){ 0 };
  spec.log = NULL;
}

static void apply_exec_spec(const char *exec_dir) {
  if (!(state_dir = realpath(exec_dir, NULL))) die_sys("realpath %s", exec_dir);
  read_exec_spec();
  exec_id = x.id;
  spec.arg = x.arg;
  for (size_t i = 0; i < x.env.n; i++) set_env(x.env.v[i]);
  if (x.cwd && *x.cwd) spec.cwd = x.cwd;
  if (x.user && *x.user) spec.user = x.user;
  spec.tty = x.tty;
  spec.open_stdin = x.open_stdin;
}

/* -t: a terminal from the container's own devpts, so that `tty` inside prints
 * /dev/pts/N. We are in its mount namespace now, so /dev/pts/ptmx is the
 * container's. The container's root user could have put anything at that
 * path, and we are still root with every capability: no symlink is followed
 * (RESOLVE_NO_SYMLINKS), and what we opened must be the ptmx device (5:2).
 * TIOCGPTPEER then opens the slave from the master itself, with no path to
 * look up at all. The master goes to the shim, as the init's does. */
static int open_exec_pty(const struct child_io *io) {
  struct open_how how = { .flags = O_RDWR | O_NOCTTY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
  struct stat st;
  int unlock = 0, num, master, slave;
  begin("pty");
  if ((master = syscall(SYS_openat2, AT_FDCWD, "/dev/pts/ptmx", &how, sizeof how)) < 0) fail_sys("open /dev/pts/ptmx");
  if (fstat(master, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
    fail(125, "/dev/pts/ptmx in the container is not the pty multiplexer (5:2)");
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail_sys("unlockpt /dev/pts/ptmx");
  if (ioctl(master, TIOCGPTN, &num) < 0) fail_sys("ioctl TIOCGPTN /dev/pts/ptmx");
  if ((slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) fail_sys("ioctl TIOCGPTPEER");
  send_fd(io->pty_sock, master);
  close(master);
  step("pty", "open /dev/pts/ptmx; unlockpt; ioctl TIOCGPTN = %d; ioctl TIOCGPTPEER (/dev/pts/%d); send the master to the shim",
       num, num);
  return slave;
}

/* Unlike a container's start, exec does not create its working directory
 * (Docker's neither): it must exist in the container, and the user must be
 * allowed in. */
static void enter_exec_workdir(const char *cwd) {
  begin("cwd");
  if (chdir(cwd) < 0) fail_sys("chdir %s", cwd);
  step("cwd", "cd %s", cwd);
}

/* Until execve() this process still runs the host's glass-shim and holds
 * host files open (the shim's log, its records). Once it has joined the
 * container's PID namespace, a process in the container can see it in /proc:
 * /proc/<pid>/exe is the host's binary (CVE-2019-5736 overwrote runc's that
 * way) and /proc/<pid>/fd/N its host files (CVE-2024-21626). A process that
 * is not "dumpable" has those entries owned by root and guarded by the ptrace
 * access check, which the container, without CAP_SYS_PTRACE, fails.
 * execve() of the container's program makes it dumpable again, as it should
 * be: by then it holds nothing of the host's. runc's nsexec does the same. */
static void hide_from_container(void) {
  begin("non-dumpable");
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail_sys("prctl(PR_SET_DUMPABLE, 0)");
  step("non-dumpable", "prctl(PR_SET_DUMPABLE, 0)   # until execve: /proc/<pid>/exe and fd/ closed to the container");
}

/* The forked child: the same steps as a container's init, minus everything
 * that builds the container (it exists already). The confinement is the
 * container's own (security.c, from its shim.spec), in the same order as the
 * init's: a capability or a system call the container was denied must not
 * be one `glass exec` away. --privileged gives this process every
 * capability, as Docker's does; the seccomp filter and no_new_privs stay the
 * container's. */
static void exec_child(const struct child_io *io, struct container_ns *ns) {
  const char *cwd = spec.cwd && *spec.cwd ? spec.cwd : "/";
  int slave = -1;
  hide_from_container();
  use_child_io(io);
  wait_for_go();
  join_cgroups(&cgroups);
  enter_namespaces(ns);
  if (spec.tty) slave = open_exec_pty(io);
  load_seccomp();
  switch_user();
  if (x.privileged) spec.privileged = 1;
  drop_capabilities();
  set_no_new_privileges();
  enter_exec_workdir(cwd);
  setup_stdio(slave);
  keep_only_stdio();
  exec_command();
}

/* fork(), not clone(): the child gets no new namespace, it is born in the
 * container's PID namespace (enter_pid_namespace) and joins the rest itself. */
static void fork_exec_process(struct container_ns *ns) {
  struct child_io io;
  begin("fork");
  open_channels(&io);
  if ((init_pid = fork()) < 0) die_sys("fork (is the container still running?)");
  if (init_pid == 0) exec_child(&io, ns);
  close_child_ends(&io);
  step("fork", "fork()   # the exec'd process, pid %d on the host", (int)init_pid);
  write_shim_record();
  status("pid %d", (int)init_pid);
}

int exec_main(const char *container_dir, const char *exec_dir) {
  status("version %d", SHIM_PROTOCOL_VERSION);
  close_inherited_fds();
  setup_signals();
  take_container_spec(container_dir);
  apply_exec_spec(exec_dir);   /* from here on, state_dir is the exec's directory */
  open_exit_steps();
  struct container_ns *ns = open_namespaces(atoi(x.pid), x.pid_start_time);
  detach();
  reserve_exit_record();
  create_attach_socket();
  enter_pid_namespace(ns);
  fork_exec_process(ns);
  monitor();
}
