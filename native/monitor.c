/*
 * monitor.c: what the shim does while the container runs. One poll() loop
 * watches everything at once: signals, attach clients, the start-up result,
 * the container's output and its stdin. When the init exits, the shim records
 * the exit (exit.c) and ends; if the record cannot be written (a full disk),
 * the shim keeps the exit code and stays, answering clients, until it can.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include "shim.h"

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
static int sig_fd = -1;
static int started;                     /* the command was exec'd ("ready" sent) */
static char pending[2 * CHUNK];         /* stdin bytes the container has not taken yet */
static size_t pending_len;
static int stdin_eof;                   /* close stdin once pending is written */
static int exit_code = -1;              /* the init's exit code, kept while exit.json cannot be written */
static time_t next_try;                 /* when to try writing exit.json again */

/* Signals as file descriptor events: the signals we care about are blocked and
 * read from a signalfd in the poll loop, instead of interrupting us at random
 * moments. The mask is inherited by clone(); the init clears it before execve.
 * Set up first thing, so that from then on SIGTERM, SIGHUP or a ^C in the
 * CLI's terminal can never end the shim before it has recorded the exit.
 * SIGXFSZ (a file grew past the size limit) is ignored: the write fails with
 * EFBIG instead of killing the shim. */
void setup_signals(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++) sigaddset(&set, forwarded[i]);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) die_sys("sigprocmask");
  if ((sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) die_sys("signalfd");
  signal(SIGPIPE, SIG_IGN); /* a client hanging up is an error return, not death */
  signal(SIGXFSZ, SIG_IGN);
}

/* The pty master, passed by the init over the socketpair (SCM_RIGHTS). */
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

/* How did start-up end? The init's end of the exec pipe is close-on-exec: a
 * successful execve() closes it with nothing written, while any failure first
 * writes "<code> <message>". Reading until EOF tells the two apart. */
void read_start_result(void) {
  char msg[2048];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof msg - 1 && (n = read(sio.exec_r, msg + len, sizeof msg - 1 - len)) != 0) {
    if (n < 0 && errno != EINTR) break;
    if (n > 0) len += n;
  }
  msg[len] = '\0';
  close(sio.exec_r);
  sio.exec_r = -1;
  if (len > 0) {
    char *text = strchr(msg, ' ');
    abandon(atoi(msg) ? atoi(msg) : 125, text ? text + 1 : msg);
  }
  if (spec.tty) {
    sio.in = sio.out[1] = receive_fd(sio.pty_sock);
    fcntl(sio.in, F_SETFL, O_NONBLOCK);
    close(sio.pty_sock);
  }
  started = 1;
  append_event("start", -1); /* before anything can report the exit: start always precedes die */
  status("ready");
  close_status();
}

static void close_output(int i) {
  if (sio.in == sio.out[i]) { /* the pty master is both */
    sio.in = -1;
    pending_len = 0;
  }
  close(sio.out[i]);
  sio.out[i] = -1;
}

/* Read what the container wrote on stream i (1 stdout, 2 stderr); log it and
 * pass it to every client. Returns 1 if data came, 0 if none yet, -1 at EOF
 * (or EIO: a pty master whose slave side is all closed). */
static int read_output(int i) {
  char buf[CHUNK];
  ssize_t n = read(sio.out[i], buf, sizeof buf);
  if (n > 0) {
    log_chunk(i == 1 ? "stdout" : "stderr", buf, n);
    attach_broadcast(i, buf, n);
    return 1;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  close_output(i);
  return -1;
}

/* Write pending client input to the container's stdin, as much as it takes. */
static void flush_stdin(void) {
  if (sio.in >= 0 && pending_len > 0) {
    ssize_t n = write(sio.in, pending, pending_len);
    if (n > 0) {
      memmove(pending, pending + n, pending_len - n);
      pending_len -= n;
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      pending_len = 0;     /* nobody reads stdin any more (EPIPE) */
      stdin_eof = !spec.tty;
    }
  }
  if (sio.in >= 0 && stdin_eof && pending_len == 0) {
    close(sio.in);
    sio.in = -1;
  }
}

void stdin_add(const void *data, size_t len) {
  if (sio.in < 0) return;
  if (len > sizeof pending - pending_len) len = sizeof pending - pending_len;
  memcpy(pending + pending_len, data, len);
  pending_len += len;
}

int stdin_pending(void) {
  return pending_len > 0;
}

/* A client finished its input (type 5). A terminal has no "close": we type
 * ^D, the EOF character, as a user would. */
void stdin_finish(void) {
  if (spec.tty)
    stdin_add("\x04", 1);
  else
    stdin_eof = 1;
  flush_stdin();
}

/* A client's window changed size (type 4): the kernel sends SIGWINCH to the program. */
void resize_tty(unsigned short rows, unsigned short cols) {
  struct winsize ws = { .ws_row = rows, .ws_col = cols };
  if (spec.tty && sio.out[1] >= 0) ioctl(sio.out[1], TIOCSWINSZ, &ws);
}

/* The exit is recorded (or there is nowhere left to record it): the last
 * of the clean-up, then the shim ends. Reaping the init now frees its pid.
 * attach.sock stays when the container was started again meanwhile: it is
 * the new shim's. */
__attribute__((noreturn))
static void finish(int remove_socket) {
  if (remove_socket) remove_attach_socket();
  waitpid(init_pid, NULL, 0);
  init_pid = -1;
  exit(0);
}

/* The init has exited. With it the kernel killed every other process of its
 * PID namespace, and with the last of them went its mount namespace, overlay
 * included. What is left is bookkeeping, in this order: output written just
 * before the end may still sit in the pipes, so read until EOF (EAGAIN means
 * something outside the container still holds a write end, and a 1 s bound
 * keeps it from holding us up for ever); then exit.json, the die event, the
 * clients, the cgroups, the exit hook.
 *
 * The init is not reaped yet (see handle_signals): until it is, it stays a
 * zombie, and a zombie keeps two things no disk is needed for. Its pid cannot
 * be given to a new process, so a late `glass kill` of that pid hits nothing
 * else. And the kernel keeps its exit status, shown in field 52 of
 * /proc/<pid>/stat. If exit.json cannot be written, the shim keeps the code
 * too and lives on: every attach client (`wait`, `stop`, `attach`) hears the
 * exit code at once, and every second the shim tries to write the record
 * again. It ends once the record is written, or once the container's state
 * directory is gone (`rm -f` freed the space and removed it). */
static void init_exited(const siginfo_t *si) {
  int sig = si->si_code == CLD_EXITED ? 0 : si->si_status;
  int code = sig ? 128 + sig : si->si_status;
  time_t deadline = time(NULL) + 1;
  if (!started)
    read_start_result(); /* it exited right after execve(), or instead of it */
  for (int i = 1; i <= 2; i++)
    while (sio.out[i] >= 0 && read_output(i) > 0 && time(NULL) <= deadline) ;
  int recorded = write_exit_json(code, sig) == 0;
  append_event("die", code);
  record_volume_unmounts();
  fprintf(stderr, "glass-shim: container %.12s exited with %d\n", spec.id ? spec.id : "", code);
  int promised = removal_promised();
  close_clients(code);
  if (recorded) remove_attach_socket();
  remove_cgroups();
  if (!promised) run_exit_hook();
  if (recorded) finish(0); /* removed above, before the cgroups and the hook, as ever */
  exit_code = code;
  next_try = time(NULL) + 1;
  for (int i = 1; i <= 2; i++)
    if (sio.out[i] >= 0) close_output(i);
  if (sio.in >= 0) close(sio.in);
  sio.in = -1;
  pending_len = 0;
}

/* Forward signals sent to the shim (`glass kill`, `stop`) to the init.
 * SIGCHLD: did the init exit? waitid(WNOWAIT) tells how it ended but leaves
 * it a zombie, to be reaped once the exit is recorded (finish()). */
static void handle_signals(void) {
  struct signalfd_siginfo ssi;
  while (read(sig_fd, &ssi, sizeof ssi) == sizeof ssi) {
    if (ssi.ssi_signo != SIGCHLD) {
      if (init_pid > 0) kill(init_pid, ssi.ssi_signo);
      continue;
    }
    reap_exit_hook();
    siginfo_t si = { 0 };
    if (exit_code < 0 && init_pid > 0 && waitid(P_PID, init_pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        si.si_pid == init_pid)
      init_exited(&si);
  }
}

/* The exit code is known but exit.json is not written yet: clients that
 * connect hear the code at once; every second, another try. */
static void exit_pending(void) {
  close_clients(exit_code);
  if (time(NULL) < next_try) return;
  next_try = time(NULL) + 1;
  int done = retry_exit_record();
  if (done >= 0) finish(done != 2);
}

/* One poll() over everything: signals, the start-up result, the container's
 * output, stdin when it has room, and the attach socket and its clients. */
void monitor(void) {
  enum { SIG, EXEC, OUT1, OUT2, IN, NFIXED };
  for (;;) {
    size_t nattach = attach_pollfd_count();
    struct pollfd pfd[NFIXED + nattach];
    pfd[SIG] = (struct pollfd){ sig_fd, POLLIN, 0 };
    pfd[EXEC] = (struct pollfd){ sio.exec_r, POLLIN, 0 };
    pfd[OUT1] = (struct pollfd){ sio.out[1], POLLIN, 0 };
    pfd[OUT2] = (struct pollfd){ sio.out[2], POLLIN, 0 };
    pfd[IN] = (struct pollfd){ pending_len ? sio.in : -1, POLLOUT, 0 };
    attach_fill_pollfds(pfd + NFIXED, started && !pending_len);
    if (poll(pfd, NFIXED + nattach, exit_code >= 0 ? 1000 : -1) < 0) {
      if (errno == EINTR) continue;
      die_sys("poll");
    }
    /* New clients first: one that connected before the output was written
     * (as `glass run` does before "go") must not miss the first bytes. */
    attach_accept_new(pfd + NFIXED);
    if (pfd[EXEC].revents) read_start_result();
    if (pfd[OUT1].revents && sio.out[1] >= 0) read_output(1);
    if (pfd[OUT2].revents && sio.out[2] >= 0) read_output(2);
    if (pfd[IN].revents) flush_stdin();
    attach_read_frames(pfd + NFIXED, nattach);
    if (pfd[SIG].revents) handle_signals();
    if (exit_code >= 0) exit_pending();
  }
}
