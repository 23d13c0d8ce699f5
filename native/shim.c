/*
 * glass-shim: the per-container monitor (like containerd-shim or conmon).
 *
 *   glass-shim <state-dir>
 *
 * It reads <state-dir>/shim.spec, detaches from the CLI, clones the container's
 * init into new namespaces (the init's own steps are in container.c), then
 * stays the init's parent for as long as it runs: it keeps the json-file log,
 * serves attach clients on <state-dir>/attach.sock, forwards signals, and
 * records the exit status in exit.json. The protocol is in README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include "shim.h"

#define CHUNK 32768 /* bytes read at a time from the container or a client */

struct spec spec;
static char *state_dir, *sock_path;
static int status_fd = STATUS_FD;      /* -1 once "ready" or "error" was sent */
static pid_t init_pid = -1;            /* the container's init, until reaped */
static int sig_fd = -1, listen_fd = -1, log_fd = -1;
static int exec_fd = -1, pty_sock = -1; /* start-up channels, closed once started */
static int started;
static int out_fd[3] = { -1, -1, -1 }; /* [1] stdout or the pty master, [2] stderr */
static int in_fd = -1;                  /* the container's stdin: a pipe, or the pty master */
static char pending[2 * CHUNK];         /* stdin bytes the container has not taken yet */
static size_t pending_len;
static int stdin_eof;                   /* close stdin once pending is written */

/* An attach client and where it is in the frame it is sending us. */
struct client {
  int fd;                  /* -1 once gone */
  unsigned char hdr[8];
  size_t hdr_len;          /* header bytes received; 8 = now in the payload */
  uint32_t left;           /* payload bytes still to come */
  char arg[32];            /* a type-4 payload, "<rows> <cols>" */
  size_t arg_len;
  int removes;             /* sent type 6: it removes the container itself once it exits */
};
static struct client *clients;
static size_t nclients;

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

/* ---- small helpers ------------------------------------------------------ */

int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    len -= n;
  }
  return 0;
}

char *strf(const char *fmt, ...) {
  char *s;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&s, fmt, ap) < 0) abort();
  va_end(ap);
  return s;
}

void list_push(struct list *l, char *s) {
  if (!(l->v = realloc(l->v, (l->n + 2) * sizeof *l->v))) abort();
  l->v[l->n++] = s;
  l->v[l->n] = NULL;
}

void reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
}

/* One line on the status pipe. Lines stay under PIPE_BUF bytes, so each
 * write() is atomic: the shim's and the child's lines never interleave. */
__attribute__((format(printf, 1, 2)))
static void status(const char *fmt, ...) {
  char line[PIPE_BUF];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line - 1, fmt, ap);
  va_end(ap);
  if (n < 0 || status_fd < 0) return;
  if (n > (int)sizeof line - 2) n = sizeof line - 2;
  for (int i = 0; i < n; i++)
    if (line[i] == '\n') line[i] = ' ';
  line[n++] = '\n';
  write_all(status_fd, line, n);
}

/* "step <key>\t<command>": one step done, for the runtime's explain trace. */
void step(const char *key, const char *fmt, ...) {
  char cmd[PIPE_BUF];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  for (char *c = cmd; *c; c++)
    if (*c == '\t' || *c == '\n') *c = ' ';
  status("step %s\t%s", key, cmd);
}

static void timestamp(char out[40]) { /* RFC 3339 in UTC, with nanoseconds */
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, 40 - n, ".%09ldZ", ts.tv_nsec);
}

static void send_frame(struct client *c, int type, const void *data, size_t len) {
  unsigned char hdr[8] = { type, 0, 0, 0, len >> 24, len >> 16, len >> 8, len };
  if (c->fd >= 0 && (write_all(c->fd, hdr, 8) < 0 || write_all(c->fd, data, len) < 0)) {
    close(c->fd); /* gone, or stopped reading for 10 s */
    c->fd = -1;
  }
}

static int accept_client(void) {
  int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
  struct timeval tv = { .tv_sec = 10 }; /* a client that stops reading is dropped */
  if (fd < 0) return 0;
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (!(clients = realloc(clients, (nclients + 1) * sizeof *clients))) abort();
  clients[nclients++] = (struct client){ .fd = fd };
  return 1;
}

/* Tell every client the exit code (type 3) and hang up; clients still waiting
 * in the listen queue are accepted first, so they hear it too. */
static void close_clients(int code) {
  char text[16];
  int n = snprintf(text, sizeof text, "%d", code);
  while (listen_fd >= 0 && accept_client()) ;
  for (size_t i = 0; i < nclients; i++) {
    send_frame(&clients[i], 3, text, n);
    if (clients[i].fd >= 0) close(clients[i].fd);
  }
  nclients = 0;
}

/* Remove what outlives the container: the socket and its (now empty) cgroups.
 * rmdir on a cgroup fails with EBUSY while the kernel is still tearing down
 * the last processes in it, so retry for about a second. */
static void remove_leftovers(void) {
  if (sock_path) unlink(sock_path);
  for (size_t i = 0; i < spec.cgroup.n; i++) {
    int tries = 0;
    while (rmdir(spec.cgroup.v[i]) < 0 && errno != ENOENT) {
      if (errno != EBUSY || ++tries == 100) {
        fprintf(stderr, "glass-shim: rmdir %s: %s\n", spec.cgroup.v[i], strerror(errno));
        break;
      }
      usleep(10000);
    }
  }
}

/* Start-up failed: report it, kill the init if there is one, undo, exit 1. */
__attribute__((noreturn))
static void abandon(int code, const char *msg) {
  status("error %d %s", code, msg);
  fprintf(stderr, "glass-shim: error %d %s\n", code, msg);
  if (init_pid > 0) {
    kill(init_pid, SIGKILL);
    waitpid(init_pid, NULL, 0);
  }
  close_clients(code);
  remove_leftovers();
  exit(1);
}

/* A syscall of the shim itself failed: "error 125 <what>: <strerror>". */
__attribute__((noreturn, format(printf, 1, 2)))
static void die_sys(const char *fmt, ...) {
  int err = errno;
  char what[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  abandon(125, strf("%s: %s", what, strerror(err)));
}

/* ---- start-up ------------------------------------------------------------- */

/* shim.spec is key\0value\0 pairs; values may hold any byte but NUL. */
static void read_spec(void) {
  static const struct { const char *key; char **str; struct list *list; int *flag; } keys[] = {
    { "id", &spec.id, 0, 0 },         { "lower", 0, &spec.lower, 0 },   { "upper", &spec.upper, 0, 0 },
    { "work", &spec.work, 0, 0 },     { "merged", &spec.merged, 0, 0 }, { "hostname", &spec.hostname, 0, 0 },
    { "arg", 0, &spec.arg, 0 },       { "env", 0, &spec.env, 0 },       { "cwd", &spec.cwd, 0, 0 },
    { "user", &spec.user, 0, 0 },     { "tty", 0, 0, &spec.tty },       { "stdin", 0, 0, &spec.open_stdin },
    { "log", &spec.log, 0, 0 },       { "bind", 0, &spec.bind, 0 },     { "cgroup", 0, &spec.cgroup, 0 },
    { "exit-hook", 0, &spec.exit_hook, 0 },
  };
  char *path = strf("%s/shim.spec", state_dir);
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) < 0) die_sys("open %s", path);
  char *buf = calloc(1, st.st_size + 2), *p = buf, *end = buf + st.st_size;
  if (read(fd, buf, st.st_size) != st.st_size) die_sys("read %s", path);
  close(fd);
  while (p < end) {
    char *key = p, *val = p + strlen(p) + 1;
    p = val + strlen(val) + 1;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
      if (strcmp(key, keys[i].key) != 0) continue;
      if (keys[i].str)
        *keys[i].str = val;
      else if (keys[i].list)
        list_push(keys[i].list, val);
      else
        *keys[i].flag = strcmp(val, "1") == 0;
    }
  }
  const char *missing = !spec.merged ? "merged" : !spec.upper ? "upper" : !spec.work ? "work"
                      : !spec.lower.n ? "lower" : NULL;
  if (missing) abandon(125, strf("%s: no \"%s\"", path, missing));
  if (!spec.arg.n) abandon(125, "no command specified");
}

/* The CLI command that started us should be able to exit while the container
 * runs on. fork() and exiting in the parent makes the shim an orphan, adopted
 * by init; setsid() puts it in a session of its own, away from the CLI's
 * terminal and process group, so a ^C or hangup there never reaches it. */
static void detach(void) {
  pid_t pid = fork();
  if (pid < 0) die_sys("fork");
  if (pid > 0) _exit(0);
  if (setsid() < 0) die_sys("setsid");
  if (chdir("/") < 0) /* keep no directory busy */
    die_sys("chdir /");
  status("shim %d", (int)getpid());
  step("detach", "fork(); setsid(); chdir(\"/\")");
}

/* Signals as file descriptor events: the signals we care about are blocked and
 * read from a signalfd in the poll loop, instead of interrupting us at random
 * moments. The mask is inherited by clone(); the init clears it before execve. */
static void setup_signals(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) sigaddset(&set, forwarded[i]);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) die_sys("sigprocmask");
  if ((sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) die_sys("signalfd");
  signal(SIGPIPE, SIG_IGN); /* a client hanging up is an error return, not death */
}

/* The attach socket, for live stdio. It exists before clone() so the runtime
 * can attach as soon as it sees "pid", before any output is written. A unix
 * socket path may be 107 bytes at most; binding the relative name from inside
 * the state directory avoids that limit. */
static void create_attach_socket(void) {
  struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "attach.sock" };
  sock_path = strf("%s/attach.sock", state_dir);
  if ((listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
    die_sys("socket");
  if (chdir(state_dir) < 0) die_sys("chdir %s", state_dir);
  unlink("attach.sock");
  if (bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0) die_sys("bind %s", sock_path);
  if (chdir("/") < 0 || listen(listen_fd, 16) < 0) die_sys("listen %s", sock_path);
}

static void open_log(void) {
  if (spec.log && (log_fd = open(spec.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) < 0)
    die_sys("open %s", spec.log);
}

static void make_pipe(int *read_end, int *write_end) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) die_sys("pipe");
  *read_end = p[0];
  *write_end = p[1];
}

/* clone() is fork() with options. Each CLONE_NEW* flag gives the child a fresh
 * namespace: PID (it is pid 1 and sees only its own descendants), NS (its own
 * copy of the mount table), UTS (hostname), IPC (System V IPC and POSIX message
 * queues) and NET (a network stack with nothing but a down loopback). SIGCHLD
 * asks to be told when it exits, as after fork(). No CLONE_NEWCGROUP here: see
 * enter_cgroup_ns() in container.c for why that has to wait. */
static void clone_init(void) {
  static char stack[1 << 20] __attribute__((aligned(16))); /* the child's copy of it */
  struct child_io io = { -1, -1, -1, -1, -1 };
  int sv[2];

  make_pipe(&exec_fd, &io.exec_w);
  if (spec.tty) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) die_sys("socketpair");
    pty_sock = sv[0];
    io.pty_sock = sv[1];
  } else {
    make_pipe(&out_fd[1], &io.stdout_w);
    make_pipe(&out_fd[2], &io.stderr_w);
    if (spec.open_stdin) make_pipe(&io.stdin_r, &in_fd);
  }
  int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET;
  if ((init_pid = clone(container_main, stack + sizeof stack, flags | SIGCHLD, &io)) < 0)
    die_sys("clone");
  /* Close the child's ends here, so that we see EOF when the child closes them. */
  int child_ends[] = { io.exec_w, io.pty_sock, io.stdin_r, io.stdout_w, io.stderr_w, CONTROL_FD };
  for (size_t i = 0; i < sizeof child_ends / sizeof *child_ends; i++)
    if (child_ends[i] >= 0) close(child_ends[i]);
  for (int i = 1; i <= 2; i++)
    if (out_fd[i] >= 0) fcntl(out_fd[i], F_SETFL, O_NONBLOCK);
  if (in_fd >= 0) fcntl(in_fd, F_SETFL, O_NONBLOCK);
  step("clone", "clone(CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET|SIGCHLD)");
  status("pid %d", (int)init_pid);
}

/* The pty master, passed by the child over the socketpair (SCM_RIGHTS). */
static int receive_fd(int sock) {
  char byte;
  struct iovec iov = { &byte, 1 };
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } c;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = c.buf, .msg_controllen = sizeof c.buf };
  int fd;
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0) die_sys("recvmsg pty master");
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (!cm || cm->cmsg_type != SCM_RIGHTS)
    abandon(125, "recvmsg pty master: no file descriptor received");
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return fd;
}

/* How did start-up end? The child's end of the exec pipe is close-on-exec: a
 * successful execve() closes it with nothing written, while any failure first
 * writes "<code> <message>". Reading until EOF tells the two apart. */
static void read_start_result(void) {
  char msg[2048];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof msg - 1 && (n = read(exec_fd, msg + len, sizeof msg - 1 - len)) != 0) {
    if (n < 0 && errno != EINTR) break;
    if (n > 0) len += n;
  }
  msg[len] = '\0';
  close(exec_fd);
  exec_fd = -1;
  if (len > 0) {
    char *text = strchr(msg, ' ');
    abandon(atoi(msg) ? atoi(msg) : 125, text ? text + 1 : msg);
  }
  if (spec.tty) {
    in_fd = out_fd[1] = receive_fd(pty_sock);
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
    close(pty_sock);
  }
  started = 1;
  status("ready");
  close(status_fd);
  status_fd = -1;
}

/* ---- the monitor ---------------------------------------------------------- */

/* JSON string escaping; bytes >= 0x80 (UTF-8) pass through unchanged. */
static size_t json_escape(char *out, const char *s, size_t len) {
  char *o = out;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = s[i];
    if (c == '"' || c == '\\')
      o += sprintf(o, "\\%c", c);
    else if (c == '\n' || c == '\r' || c == '\t')
      o += sprintf(o, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
    else if (c < 0x20)
      o += sprintf(o, "\\u%04x", c);
    else
      *o++ = c;
  }
  return o - out;
}

/* Docker's json-file log: one JSON object per line of output, each with its
 * stream and the time it was read, so `logs` can show, interleave and filter
 * them later. A chunk's last piece without '\n' becomes an entry of its own. */
static void log_chunk(const char *stream, const char *buf, size_t len) {
  static char out[6 * CHUNK + 256];
  char now[40];
  size_t o = 0, start = 0;
  if (log_fd < 0) return;
  timestamp(now);
  while (start < len) {
    const char *nl = memchr(buf + start, '\n', len - start);
    size_t end = nl ? (size_t)(nl - buf) + 1 : len;
    if (o + 6 * (end - start) + 128 > sizeof out) {
      write_all(log_fd, out, o);
      o = 0;
    }
    o += sprintf(out + o, "{\"log\":\"");
    o += json_escape(out + o, buf + start, end - start);
    o += sprintf(out + o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, now);
    start = end;
  }
  write_all(log_fd, out, o);
}

static void close_output(int i) {
  if (in_fd == out_fd[i]) { /* the pty master is both */
    in_fd = -1;
    pending_len = 0;
  }
  close(out_fd[i]);
  out_fd[i] = -1;
}

/* Read what the container wrote on stream i (1 stdout, 2 stderr); log it and
 * pass it to every client. Returns 1 if data came, 0 if none yet, -1 at EOF
 * (or EIO: a pty master whose slave side is all closed). */
static int read_output(int i) {
  char buf[CHUNK];
  ssize_t n = read(out_fd[i], buf, sizeof buf);
  if (n > 0) {
    log_chunk(i == 1 ? "stdout" : "stderr", buf, n);
    for (size_t c = 0; c < nclients; c++) send_frame(&clients[c], i, buf, n);
    return 1;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  close_output(i);
  return -1;
}

/* Write pending client input to the container's stdin, as much as it takes. */
static void flush_stdin(void) {
  if (in_fd >= 0 && pending_len > 0) {
    ssize_t n = write(in_fd, pending, pending_len);
    if (n > 0) {
      memmove(pending, pending + n, pending_len - n);
      pending_len -= n;
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      pending_len = 0;     /* nobody reads stdin any more (EPIPE) */
      stdin_eof = !spec.tty;
    }
  }
  if (in_fd >= 0 && stdin_eof && pending_len == 0) {
    close(in_fd);
    in_fd = -1;
  }
}

static void to_stdin(const void *data, size_t len) {
  if (in_fd < 0) return;
  if (len > sizeof pending - pending_len) len = sizeof pending - pending_len;
  memcpy(pending + pending_len, data, len);
  pending_len += len;
}

/* A complete frame has arrived (its stdin payload was passed on as it came). */
static void end_frame(struct client *c) {
  struct winsize ws = { 0 };
  c->arg[c->arg_len] = '\0';
  if (c->hdr[0] == 4 && spec.tty && out_fd[1] >= 0 &&
      sscanf(c->arg, "%hu %hu", &ws.ws_row, &ws.ws_col) == 2)
    ioctl(out_fd[1], TIOCSWINSZ, &ws); /* the kernel sends SIGWINCH to the program */
  if (c->hdr[0] == 6)
    c->removes = 1;
  if (c->hdr[0] == 5) {
    if (spec.tty)
      to_stdin("\x04", 1); /* a terminal has no "close": type ^D, the EOF character */
    else
      stdin_eof = 1;
    flush_stdin();
  }
  c->hdr_len = c->arg_len = 0;
}

/* Frames come in arbitrary pieces: one read may hold half a header, or several
 * frames. Each client keeps its place: header bytes so far, payload bytes left. */
static void read_client(struct client *c) {
  unsigned char buf[CHUNK];
  ssize_t n = read(c->fd, buf, sizeof buf), i = 0;
  if (n <= 0) {
    if (n == 0 || errno != EINTR) {
      close(c->fd);
      c->fd = -1;
    }
    return;
  }
  while (i < n) {
    if (c->hdr_len < 8) {
      c->hdr[c->hdr_len++] = buf[i++];
      c->left = (uint32_t)c->hdr[4] << 24 | c->hdr[5] << 16 | c->hdr[6] << 8 | c->hdr[7];
      if (c->hdr_len == 8 && c->left == 0) end_frame(c);
      continue;
    }
    size_t k = c->left < (size_t)(n - i) ? c->left : (size_t)(n - i);
    if (c->hdr[0] == 0) to_stdin(buf + i, k);
    for (size_t j = 0; c->hdr[0] == 4 && j < k && c->arg_len < sizeof c->arg - 1; j++)
      c->arg[c->arg_len++] = buf[i + j];
    i += k;
    if ((c->left -= k) == 0) end_frame(c);
  }
}

/* exit.json is how the runtime learns the exit status once the shim is gone.
 * Written to a temporary file and renamed over: rename() is atomic, so readers
 * see no file or the whole file, never half of it. */
static void write_exit_json(int code, int sig) {
  char now[40];
  timestamp(now);
  char *json = strf("{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\"}\n", code, sig, now);
  char *tmp = strf("%s/exit.json.tmp", state_dir), *path = strf("%s/exit.json", state_dir);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write_all(fd, json, strlen(json)) < 0 || fsync(fd) < 0 || close(fd) < 0 ||
      rename(tmp, path) < 0)
    fprintf(stderr, "glass-shim: write %s: %s\n", path, strerror(errno));
}

/* Is a client that promised to remove the container (type 6, sent by
 * `glass run --rm` before "go") still connected? Frames it sent that the loop
 * has not read yet are read now; a client that hung up (killed, or detached
 * with Ctrl-P Ctrl-Q) no longer counts. */
static int removal_promised(void) {
  int promised = 0;
  while (listen_fd >= 0 && accept_client()) ;
  for (size_t i = 0; i < nclients; i++) {
    struct pollfd pfd = { clients[i].fd, POLLIN, 0 };
    while (clients[i].fd >= 0 && poll(&pfd, 1, 0) > 0) read_client(&clients[i]);
    if (clients[i].fd >= 0 && clients[i].removes) promised = 1;
  }
  return promised;
}

/* `--rm`: when no client is left to remove the container (`run -d`, or a
 * `run` whose CLI was killed or detached), the shim starts the runtime's
 * clean-up command itself, in a session of its own, and does not wait for it:
 * the shim exits at once and init adopts the hook. */
static void run_exit_hook(int promised) {
  if (spec.exit_hook.n == 0 || promised || fork() != 0) return;
  setsid();
  reset_signals();
  execvp(spec.exit_hook.v[0], spec.exit_hook.v);
  fprintf(stderr, "glass-shim: exec %s: %s\n", spec.exit_hook.v[0], strerror(errno));
  _exit(127);
}

/* The init has exited. With it the kernel killed every other process of its
 * PID namespace, and with the last of them went its mount namespace, overlay
 * included. What is left is bookkeeping. Output written just before the end
 * may still sit in the pipes: read until EOF; EAGAIN means something outside
 * the container still holds a write end, and a 1 s bound keeps it from
 * holding us up for ever. */
__attribute__((noreturn))
static void init_exited(int wstatus) {
  int sig = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
  int code = sig ? 128 + sig : WEXITSTATUS(wstatus);
  time_t deadline = time(NULL) + 1;
  init_pid = -1;
  if (!started)
    read_start_result(); /* it exited right after execve(), or instead of it */
  for (int i = 1; i <= 2; i++)
    while (out_fd[i] >= 0 && read_output(i) > 0 && time(NULL) <= deadline) ;
  write_exit_json(code, sig);
  fprintf(stderr, "glass-shim: container %.12s exited with %d\n", spec.id ? spec.id : "", code);
  int promised = removal_promised();
  close_clients(code);
  remove_leftovers();
  run_exit_hook(promised);
  exit(0);
}

/* Forward signals sent to the shim (`glass kill`, `stop`) to the init; reap it. */
static void handle_signals(void) {
  struct signalfd_siginfo si;
  int wstatus;
  while (read(sig_fd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo != SIGCHLD && init_pid > 0) kill(init_pid, si.ssi_signo);
    if (si.ssi_signo == SIGCHLD && init_pid > 0 && waitpid(init_pid, &wstatus, WNOHANG) == init_pid)
      init_exited(wstatus);
  }
}

/* One poll() over everything: signals, new clients, the start-up result, the
 * container's output, stdin when it has room, and the clients' frames. Client
 * input is read only when the previous input has been taken by the container,
 * so a program that does not read stdin slows its clients down instead of
 * making the shim buffer without limit. */
static void monitor(void) {
  enum { SIG, LISTEN, EXEC, OUT1, OUT2, IN, NFIXED };
  for (;;) {
    size_t i, j;
    for (i = j = 0; i < nclients; i++) /* forget clients that are gone */
      if (clients[i].fd >= 0) clients[j++] = clients[i];
    nclients = j;

    struct pollfd pfd[NFIXED + nclients];
    pfd[SIG] = (struct pollfd){ sig_fd, POLLIN, 0 };
    pfd[LISTEN] = (struct pollfd){ listen_fd, POLLIN, 0 };
    pfd[EXEC] = (struct pollfd){ exec_fd, POLLIN, 0 };
    pfd[OUT1] = (struct pollfd){ out_fd[1], POLLIN, 0 };
    pfd[OUT2] = (struct pollfd){ out_fd[2], POLLIN, 0 };
    pfd[IN] = (struct pollfd){ pending_len ? in_fd : -1, POLLOUT, 0 };
    for (i = 0; i < nclients; i++)
      pfd[NFIXED + i] = (struct pollfd){ started && !pending_len ? clients[i].fd : -1, POLLIN, 0 };
    if (poll(pfd, NFIXED + nclients, -1) < 0) {
      if (errno == EINTR) continue;
      die_sys("poll");
    }
    size_t polled = nclients;
    /* New clients first: one that connected before the output was written
     * (as `glass run` does before "go") must not miss the first bytes. */
    if (pfd[LISTEN].revents) while (accept_client()) ;
    if (pfd[EXEC].revents) read_start_result();
    if (pfd[OUT1].revents && out_fd[1] >= 0) read_output(1);
    if (pfd[OUT2].revents && out_fd[2] >= 0) read_output(2);
    if (pfd[IN].revents) flush_stdin();
    for (i = 0; i < polled; i++)
      if (pfd[NFIXED + i].revents && clients[i].fd >= 0 && !pending_len) read_client(&clients[i]);
    if (pfd[SIG].revents) handle_signals();
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: glass-shim <container-state-dir>   (see native/README.md)\n");
    return 2;
  }
  fcntl(STATUS_FD, F_SETFD, FD_CLOEXEC); /* neither pipe may leak into the container */
  fcntl(CONTROL_FD, F_SETFD, FD_CLOEXEC);
  if (!(state_dir = realpath(argv[1], NULL))) die_sys("realpath %s", argv[1]);
  read_spec();
  detach();
  setup_signals();
  create_attach_socket();
  open_log();
  clone_init();
  monitor();
}
