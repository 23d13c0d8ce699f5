/*
 * attach.c: the attach socket, <state-dir>/attach.sock, through which clients
 * (`glass run`, `glass attach`, `glass wait`) reach the container's stdio
 * while it runs, and hear its exit code.
 *
 * A stream socket has no message boundaries, so every message is framed: an
 * 8-byte header (type, three zero bytes, payload length as a big-endian
 * uint32) then the payload. The types are listed in README.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "shim.h"

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
static int listen_fd = -1;
static char *sock_path;

/* The socket exists before clone() so the runtime can attach as soon as it
 * sees "pid", before any output is written. A unix socket path may be 107
 * bytes at most; binding the relative name from inside the state directory
 * avoids that limit. */
void create_attach_socket(void) {
  struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = "attach.sock" };
  sock_path = strf("%s/attach.sock", state_dir);
  if ((listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
    die_sys("socket");
  if (chdir(state_dir) < 0) die_sys("chdir %s", state_dir);
  unlink("attach.sock");
  if (bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0) die_sys("bind %s", sock_path);
  if (chdir("/") < 0 || listen(listen_fd, 16) < 0) die_sys("listen %s", sock_path);
}

void remove_attach_socket(void) {
  if (sock_path) unlink(sock_path);
}

static void send_frame(struct client *c, int type, const void *data, size_t len) {
  unsigned char hdr[8] = { type, 0, 0, 0, len >> 24, len >> 16, len >> 8, len };
  if (c->fd >= 0 && (write_all(c->fd, hdr, 8) < 0 || write_all(c->fd, data, len) < 0)) {
    close(c->fd); /* gone, or stopped reading for 10 s */
    c->fd = -1;
  }
}

/* Output (type 1 stdout, 2 stderr) goes to every client. */
void attach_broadcast(int type, const void *data, size_t len) {
  for (size_t i = 0; i < nclients; i++) send_frame(&clients[i], type, data, len);
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

/* The poll loop's share: the listening socket, then one slot per client. A
 * client's input is only read while the container has taken the previous
 * input (take_input), so a program that does not read stdin slows its clients
 * down instead of making the shim buffer without limit. */
size_t attach_pollfd_count(void) {
  size_t i, j;
  for (i = j = 0; i < nclients; i++) /* forget clients that are gone */
    if (clients[i].fd >= 0) clients[j++] = clients[i];
  nclients = j;
  return 1 + nclients;
}

void attach_fill_pollfds(struct pollfd *pfd, int take_input) {
  pfd[0] = (struct pollfd){ listen_fd, POLLIN, 0 };
  for (size_t i = 0; i < nclients; i++) pfd[1 + i] = (struct pollfd){ take_input ? clients[i].fd : -1, POLLIN, 0 };
}

void attach_accept_new(const struct pollfd *pfd) {
  if (pfd[0].revents)
    while (accept_client()) ;
}

/* A complete frame has arrived (its stdin payload was passed on as it came). */
static void end_frame(struct client *c) {
  unsigned short rows, cols;
  c->arg[c->arg_len] = '\0';
  if (c->hdr[0] == 4 && sscanf(c->arg, "%hu %hu", &rows, &cols) == 2) resize_tty(rows, cols);
  if (c->hdr[0] == 6) c->removes = 1;
  if (c->hdr[0] == 5) stdin_finish();
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
    if (c->hdr[0] == 0) stdin_add(buf + i, k);
    for (size_t j = 0; c->hdr[0] == 4 && j < k && c->arg_len < sizeof c->arg - 1; j++)
      c->arg[c->arg_len++] = buf[i + j];
    i += k;
    if ((c->left -= k) == 0) end_frame(c);
  }
}

/* pfd/n as filled by attach_fill_pollfds(); clients accepted since then come
 * after them and wait for the next round. */
void attach_read_frames(const struct pollfd *pfd, size_t n) {
  for (size_t i = 0; i + 1 < n; i++)
    if (pfd[1 + i].revents && clients[i].fd >= 0 && !stdin_pending()) read_client(&clients[i]);
}

/* Is a client that promised to remove the container (type 6, sent by
 * `glass run --rm` before "go") still connected? Frames it sent that the loop
 * has not read yet are read now; a client that hung up (killed, or detached
 * with Ctrl-P Ctrl-Q) no longer counts. */
int removal_promised(void) {
  int promised = 0;
  while (listen_fd >= 0 && accept_client()) ;
  for (size_t i = 0; i < nclients; i++) {
    struct pollfd pfd = { clients[i].fd, POLLIN, 0 };
    while (clients[i].fd >= 0 && poll(&pfd, 1, 0) > 0) read_client(&clients[i]);
    if (clients[i].fd >= 0 && clients[i].removes) promised = 1;
  }
  return promised;
}

/* Tell every client the exit code (type 3) and hang up; clients still waiting
 * in the listen queue are accepted first, so they hear it too. */
void close_clients(int code) {
  char text[16];
  int n = snprintf(text, sizeof text, "%d", code);
  while (listen_fd >= 0 && accept_client()) ;
  for (size_t i = 0; i < nclients; i++) {
    send_frame(&clients[i], 3, text, n);
    if (clients[i].fd >= 0) close(clients[i].fd);
  }
  nclients = 0;
}
