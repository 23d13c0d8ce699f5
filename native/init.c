/*
 * init.c: the container's first process, from clone() to execve().
 *
 * clone() (in shim.c) started us in new PID, mount, UTS, IPC and network
 * namespaces, but we still see the host's files. init_main() at the bottom
 * turns that into a container one step at a time, reporting each step on the
 * status pipe. The filesystem steps are in rootfs.c, the user switch in
 * user.c. A failing step reports "failed <key>\t<error>" on the status pipe,
 * writes "<code> <message>" to the exec pipe and exits; the shim turns that
 * into an "error" line for the runtime.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include "shim.h"

static const struct child_io *io;

/* The channels of the process being prepared: the init's, or an exec'd
 * process's (exec.c), which reuses the steps below. */
void use_child_io(const struct child_io *child) {
  io = child;
}

/* Give up: say which step failed and why, tell the shim (through the exec
 * pipe) and exit with that code. */
void fail(int code, const char *fmt, ...) {
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  report_failure(msg);
  char *line = strf("%d %s", code, msg);
  write_all(io->exec_w, line, strlen(line));
  _exit(code);
}

/* A syscall failed: "<what>: <strerror(errno)>", code 125. */
void fail_sys(const char *fmt, ...) {
  int err = errno;
  char what[1536];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  fail(125, "%s: %s", what, strerror(err));
}

const char *env_get(const char *name) {
  size_t len = strlen(name);
  for (size_t i = 0; i < spec.env.n; i++)
    if (strncmp(spec.env.v[i], name, len) == 0 && spec.env.v[i][len] == '=')
      return spec.env.v[i] + len + 1;
  return NULL;
}

/* The init blocks here until the runtime has moved it into its cgroups (from
 * the host, by pid). Only then may it start anything: every process it creates
 * is born inside the cgroup, so nothing escapes the limits. */
void wait_for_go(void) {
  char buf[8];
  size_t len = 0;
  begin("wait-go");
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
  begin("cgroupns");
  if (unshare(CLONE_NEWCGROUP) < 0) fail_sys("unshare(CLONE_NEWCGROUP)");
  step("cgroupns", "unshare --cgroup");
}

/* SCM_RIGHTS: a unix socket can carry an open file descriptor to another
 * process, which receives its own descriptor for the same open file. */
void send_fd(int sock, int fd) {
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
static int open_pty(void) {
  int unlock = 0, num, master, slave;
  begin("pty");
  if ((master = open_in_dev_pts("ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) fail_sys("open /dev/pts/ptmx");
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail_sys("unlockpt /dev/pts/ptmx");
  if (ioctl(master, TIOCGPTN, &num) < 0) fail_sys("ioctl TIOCGPTN /dev/pts/ptmx");
  char *name = strf("%d", num);
  if ((slave = open_in_dev_pts(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) fail_sys("open /dev/pts/%d", num);
  send_fd(io->pty_sock, master);
  close(master);
  step("pty", "open %s/dev/pts/ptmx; unlockpt; ioctl TIOCGPTN = %d; open %s/dev/pts/%d; send the master to the shim",
       spec.merged, num, spec.merged, num);
  return slave;
}

/* The hostname belongs to the UTS namespace: changing ours leaves the host's alone. */
static void set_hostname(void) {
  if (!spec.hostname) return;
  begin("hostname");
  if (sethostname(spec.hostname, strlen(spec.hostname)) < 0)
    fail_sys("sethostname %s", spec.hostname);
  step("hostname", "hostname %s", spec.hostname);
}

/* A new network namespace has a single interface, the loopback `lo`, and it is
 * down. Raising it (the IFF_UP flag, set through any socket's ioctl) lets
 * programs in the container talk to 127.0.0.1. */
static void bring_up_loopback(void) {
  struct ifreq ifr = { 0 };
  begin("loopback");
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) fail_sys("socket");
  memcpy(ifr.ifr_name, "lo", 3);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) fail_sys("ioctl SIOCGIFFLAGS lo");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) fail_sys("ioctl SIOCSIFFLAGS lo");
  close(sock);
  step("loopback", "ip link set lo up");
}

/* The working directory was created (as root, like runc does, so that
 * `-u nobody -w /new` works) before the user switch; now enter it, as the
 * user, so that a directory the user may not enter is refused. */
void enter_workdir(const char *cwd) {
  begin("cwd");
  if (chdir(cwd) < 0) fail_sys("chdir %s", cwd);
  step("cwd", "mkdir -p %s && cd %s", cwd, cwd);
}

/* fds 0, 1 and 2. With a terminal, the init starts a session (setsid) and makes
 * the pty slave its controlling terminal (TIOCSCTTY), so that ^C and job
 * control work; the slave becomes 0, 1 and 2. Without one, 1 and 2 are pipes
 * the shim reads, and 0 is a pipe the shim writes, or the container's own
 * /dev/null. */
void setup_stdio(int slave) {
  int in = slave, out = slave, err = slave;
  begin("stdio");
  if (setsid() < 0) fail_sys("setsid");
  if (slave >= 0 && ioctl(slave, TIOCSCTTY, 0) < 0) fail_sys("ioctl TIOCSCTTY");
  if (slave < 0) {
    in = io->stdin_r;
    if (in < 0 && (in = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) fail_sys("open /dev/null");
    out = io->stdout_w;
    err = io->stderr_w;
  }
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) fail_sys("dup2");
  step("stdio", slave >= 0 ? "setsid; ioctl(TIOCSCTTY); dup2 the pty slave onto 0, 1 and 2"
                           : "setsid; dup2 %s, the stdout pipe and the stderr pipe onto 0, 1 and 2",
       io->stdin_r >= 0 ? "the stdin pipe" : "/dev/null");
}

/* Only 0, 1 and 2 may reach the program: everything else the init still has
 * open (the status and exec pipes, the pipes' other copies, anything
 * inherited) is marked close-on-exec, so execve() closes it. See fds.c. */
void keep_only_stdio(void) {
  begin("cloexec-fds");
  if (cloexec_fds_from(3) < 0) fail_sys("close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)");
  step("cloexec-fds", "close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)");
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

/* execve() replaces this process with the container's program, which runs as
 * pid 1. On success the close-on-exec exec pipe closes without a word. The
 * "step exec" line goes out just before: the runtime counts it done once
 * "ready" follows, and failed if "failed exec" does. */
void exec_command(void) {
  begin("exec");
  const char *arg0 = spec.arg.v[0];
  char *file = strchr(arg0, '/') ? (char *)arg0 : find_in_path(arg0);
  if (!file) fail(127, "exec: \"%s\": executable file not found in $PATH", arg0);
  char *argv[spec.arg.n + 2];
  argv[0] = "exec";
  argv[1] = file;
  memcpy(argv + 2, spec.arg.v + 1, spec.arg.n * sizeof *argv); /* and the NULL */
  step("exec", "%s", quote_argv(argv));
  begin("exec"); /* under way until execve() returns, which it only does on failure */
  reset_signals();
  execve(file, spec.arg.v, spec.env.v);
  int code = errno == ENOENT ? 127
           : errno == EACCES || errno == ENOEXEC || errno == EISDIR || errno == EPERM || errno == ETXTBSY ? 126
           : 125;
  char *why = strf("%s", strerror(errno));
  why[0] = tolower((unsigned char)why[0]);
  fail(code, "exec: \"%s\": %s", arg0, why);
}

int init_main(void *arg) {
  use_child_io(arg);
  const char *cwd = spec.cwd && *spec.cwd ? spec.cwd : "/";
  int slave = -1;

  wait_for_go();
  enter_cgroup_ns();
  make_mounts_private();
  mount_rootfs();
  mount_proc();
  mount_sys();
  mount_cgroup();
  mount_dev();
  make_devices();
  mount_devpts();
  if (spec.tty) slave = open_pty();
  mount_shm();
  mount_mqueue();
  mount_volumes();   /* before the /etc files: a volume on /etc gets them on top, as in Docker */
  bind_mounts();
  mask_paths();
  make_paths_readonly();
  set_hostname();
  bring_up_loopback();
  pivot_to_rootfs();
  make_workdir(cwd); /* as root, before switch_user(): see enter_workdir() */
  make_rootfs_readonly();
  load_seccomp();    /* the order of these four: security.c */
  switch_user();
  drop_capabilities();
  set_no_new_privileges();
  enter_workdir(cwd);
  setup_stdio(slave);
  keep_only_stdio();
  exec_command();
  return 125;
}
