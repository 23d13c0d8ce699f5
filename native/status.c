/*
 * status.c: the status pipe (fd 3), the shim's running commentary to the
 * runtime. One line per event, in the order things happen:
 *
 *   version 1 / shim <pid> / pid <pid> / step <key>\t<command> /
 *   failed <key>\t<error> / ready / error <code> <message>
 *
 * The shim and the container's init both write here (the init inherited the
 * descriptor through clone()), so the runtime sees one ordered story.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include "shim.h"

static int status_fd = STATUS_FD;  /* -1 once "ready" or "error" was sent */
static const char *current;        /* the step under way, blamed if something fails */

/* One line. Lines stay under PIPE_BUF bytes, so each write() is atomic: the
 * shim's and the init's lines never interleave. */
void status(const char *fmt, ...) {
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

/* Every step function starts with begin("key"): should it fail, the runtime
 * is told which step it was ("failed <key>\t<error>"), not just the error. */
void begin(const char *key) {
  current = key;
}

/* "step <key>\t<command>": the step is done, for the runtime's explain trace.
 * The runtime holds the title and the why of each key (runtime/shim/steps.ts). */
void step(const char *key, const char *fmt, ...) {
  char cmd[PIPE_BUF];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof cmd, fmt, ap);
  va_end(ap);
  for (char *c = cmd; *c; c++)
    if (*c == '\t' || *c == '\n') *c = ' ';
  status("step %s\t%s", key, cmd);
  current = NULL;
}

/* "failed <key>\t<error>" for the step under way, if there is one. */
void report_failure(const char *message) {
  if (current) status("failed %s\t%s", current, message);
  current = NULL;
}

/* After "ready" or "error" nobody reads any more: closing our end tells the
 * runtime that start-up is over, and the shim no longer holds it open. */
void close_status(void) {
  if (status_fd >= 0) close(status_fd);
  status_fd = -1;
}
