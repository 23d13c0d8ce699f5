/*
 * glass-shim: what the monitor (shim.c) and the container's first process
 * (container.c) share. The protocol is described in README.md.
 */
#ifndef GLASS_SHIM_H
#define GLASS_SHIM_H

#include <stddef.h>

#define STATUS_FD 3   /* shim -> runtime: "shim", "pid", "step", "ready", "error" lines */
#define CONTROL_FD 4  /* runtime -> shim: "go\n" once the init is in its cgroups */

/* A repeated spec key (arg, env, lower, ...): a NULL-terminated array. */
struct list {
  char **v;
  size_t n;
};

/* Everything shim.spec says; see README.md for each key. */
struct spec {
  char *id, *upper, *work, *merged, *hostname, *cwd, *user, *log;
  int tty, open_stdin;
  struct list lower, arg, env, bind, cgroup, exit_hook;
};

extern struct spec spec;

/* The child's ends of the channels the shim creates before clone(). */
struct child_io {
  int exec_w;    /* CLOEXEC pipe: error text on failure, plain EOF on successful execve */
  int pty_sock;  /* socketpair end the pty master is sent over (tty only) */
  int stdin_r;   /* read end of the stdin pipe, or -1 for /dev/null (no tty only) */
  int stdout_w, stderr_w;
};

/* container.c: the cloned child, from "wait for go" to execve. */
int container_main(void *io);

/* shim.c helpers the child uses too. */
void step(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* malloc'd sprintf */
void reset_signals(void);
void list_push(struct list *l, char *s);
int write_all(int fd, const void *buf, size_t len);

#endif
