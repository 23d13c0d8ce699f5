/*
 * glass-shim: the per-container monitor (like containerd-shim or conmon).
 *
 *   glass-shim <state-dir>
 *   glass-shim exec <state-dir> <exec-dir>    (glass exec: see exec.c)
 *
 * main() below is the whole life of a shim, in order. It reads
 * <state-dir>/shim.spec, detaches from the CLI, clones the container's init
 * into new namespaces (the init's own steps are in init.c), then stays the
 * init's parent for as long as it runs (monitor.c): it keeps the json-file
 * log, serves attach clients on <state-dir>/attach.sock, forwards signals,
 * and records the exit (exit.c). The protocol is in README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "shim.h"

char *state_dir;
pid_t init_pid = -1;
struct shim_io sio = { -1, -1, { -1, -1, -1 }, -1 };

/* Start-up failed: report it, kill the init if there is one, undo, exit 1. */
void abandon(int code, const char *msg) {
  report_failure(msg);
  status("error %d %s", code, msg);
  fprintf(stderr, "glass-shim: error %d %s\n", code, msg);
  if (init_pid > 0) {
    kill(init_pid, SIGKILL);
    waitpid(init_pid, NULL, 0);
  }
  close_clients(code);
  remove_attach_socket();
  discard_exit_record();
  remove_cgroups();
  exit(1);
}

/* A syscall of the shim itself failed: "error 125 <what>: <strerror>". */
void die_sys(const char *fmt, ...) {
  int err = errno;
  char what[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  abandon(125, strf("%s: %s", what, strerror(err)));
}

/* Keep only the protocol's descriptors: see fds.c for why. The pipes 3 and 4
 * are marked close-on-exec so that they never reach the container's program
 * either (the init still needs them until its execve()). */
void close_inherited_fds(void) {
  begin("close-fds");
  if (close_fds_from(CONTROL_FD + 1) < 0) die_sys("close_range(%d, ~0U, 0)", CONTROL_FD + 1);
  fcntl(STATUS_FD, F_SETFD, FD_CLOEXEC);
  fcntl(CONTROL_FD, F_SETFD, FD_CLOEXEC);
  step("close-fds", "close_range(%d, ~0U, 0)   # keep 0, 1, 2 and the pipes %d and %d", CONTROL_FD + 1,
       STATUS_FD, CONTROL_FD);
}

/* The CLI command that started us should be able to exit while the container
 * runs on. fork() and exiting in the parent makes the shim an orphan, adopted
 * by init; setsid() puts it in a session of its own, away from the CLI's
 * terminal and process group, so a ^C or hangup there never reaches it. */
void detach(void) {
  begin("detach");
  pid_t pid = fork();
  if (pid < 0) die_sys("fork");
  if (pid > 0) _exit(0);
  if (setsid() < 0) die_sys("setsid");
  if (chdir("/") < 0) /* keep no directory busy */
    die_sys("chdir /");
  status("shim %d", (int)getpid());
  step("detach", "fork(); setsid(); chdir(\"/\")");
}

static void make_pipe(int *read_end, int *write_end) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) die_sys("pipe");
  *read_end = p[0];
  *write_end = p[1];
}

/* The channels between the shim and the process it starts (the container's
 * init, or an exec'd process: exec.c): the exec pipe, and either a socketpair
 * the pty master will come over (-t) or pipes for stdout, stderr and stdin. */
void open_channels(struct child_io *io) {
  int sv[2];
  *io = (struct child_io){ -1, -1, -1, -1, -1 };
  make_pipe(&sio.exec_r, &io->exec_w);
  if (spec.tty) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) die_sys("socketpair");
    sio.pty_sock = sv[0];
    io->pty_sock = sv[1];
  } else {
    make_pipe(&sio.out[1], &io->stdout_w);
    make_pipe(&sio.out[2], &io->stderr_w);
    if (spec.open_stdin) make_pipe(&io->stdin_r, &sio.in);
  }
}

/* After the child exists: close its ends here, so that we see EOF when the
 * child closes them, and never block on ours. */
void close_child_ends(const struct child_io *io) {
  int child_ends[] = { io->exec_w, io->pty_sock, io->stdin_r, io->stdout_w, io->stderr_w, CONTROL_FD };
  for (size_t i = 0; i < sizeof child_ends / sizeof *child_ends; i++)
    if (child_ends[i] >= 0) close(child_ends[i]);
  for (int i = 1; i <= 2; i++)
    if (sio.out[i] >= 0) fcntl(sio.out[i], F_SETFL, O_NONBLOCK);
  if (sio.in >= 0) fcntl(sio.in, F_SETFL, O_NONBLOCK);
}

/* clone() is fork() with options. Each CLONE_NEW* flag gives the child a fresh
 * namespace: PID (it is pid 1 and sees only its own descendants), NS (its own
 * copy of the mount table), UTS (hostname), IPC (System V IPC and POSIX message
 * queues) and NET (a network stack with nothing but a down loopback). SIGCHLD
 * asks to be told when it exits, as after fork(). No CLONE_NEWCGROUP here: see
 * enter_cgroup_ns() in init.c for why that has to wait. */
static void clone_init(void) {
  static char stack[1 << 20] __attribute__((aligned(16))); /* the child's copy of it */
  struct child_io io;

  begin("clone");
  open_channels(&io);
  int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
  /* --network host: no CLONE_NEWNET, the container shares the host's network stack.
   * --network container:NAME: the shim first joins that container's network namespace
   * with setns(); a child cloned without CLONE_NEWNET then lives in it too. */
  if (spec.join_netns) {
    int fd = open(spec.join_netns, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) die_sys("setns %s", spec.join_netns);
    close(fd);
    step("setns-net", "nsenter --net=%s", spec.join_netns);
  } else if (!spec.host_network) {
    flags |= CLONE_NEWNET;
  }
  if ((init_pid = clone(init_main, stack + sizeof stack, flags | SIGCHLD, &io)) < 0)
    die_sys("clone");
  close_child_ends(&io);
  step("clone", "clone(CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC%s|SIGCHLD)", flags & CLONE_NEWNET ? "|CLONE_NEWNET" : "");
  write_shim_record(); /* before anyone learns the pid: from now on the shim can be found without the CLI */
  status("pid %d", (int)init_pid);
}

int inroot_main(int argc, char **argv);

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "exec") == 0) return exec_main(argv[2], argv[3]); /* glass exec: exec.c */
  if (argc >= 2 && strcmp(argv[1], "inroot") == 0) return inroot_main(argc, argv); /* glass cp: inroot.c */
  if (argc == 3 && strcmp(argv[1], "prefill") == 0) return prefill_main(argv[2]); /* volumes at create: volumes.c */
  if (argc != 2) {
    fprintf(stderr, "usage: glass-shim <container-state-dir>\n       glass-shim exec <container-state-dir> <exec-dir>   (see native/README.md)\n");
    return 2;
  }
  status("version %d", SHIM_PROTOCOL_VERSION); /* first: the runtime checks it before anything else */
  close_inherited_fds();
  setup_signals();
  if (!(state_dir = realpath(argv[1], NULL))) die_sys("realpath %s", argv[1]);
  read_spec();
  open_exit_steps();
  detach();
  reserve_exit_record();
  create_attach_socket();
  open_log();
  clone_init();
  monitor();
}
