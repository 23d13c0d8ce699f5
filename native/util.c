/*
 * util.c: small helpers every part of the shim uses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "shim.h"

/* write() may take less than asked (a pipe that is nearly full): loop. */
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

/* The signal mask and ignored signals survive execve(): a program started by
 * the shim must not inherit the shim's blocked signals or its SIG_IGN SIGPIPE
 * and SIGXFSZ. */
void reset_signals(void) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGXFSZ, SIG_DFL);
}

void timestamp(char out[40]) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, 40 - n, ".%09ldZ", ts.tv_nsec);
}

/* "a b 'c d' 'it'\''s'": each argument as a shell would need it typed, for
 * the commands shown in the explain trace. */
char *quote_argv(char *const *argv) {
  static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%";
  size_t size = 1;
  for (size_t i = 0; argv[i]; i++) size += 4 * strlen(argv[i]) + 3;
  char *out = malloc(size), *o = out;
  if (!out) abort();
  for (size_t i = 0; argv[i]; i++) {
    const char *s = argv[i];
    int plain = *s && strspn(s, safe) == strlen(s);
    if (i) *o++ = ' ';
    if (!plain) *o++ = '\'';
    for (; *s; s++) {
      if (*s == '\'') {
        memcpy(o, "'\\''", 4); /* end quote, escaped quote, reopen */
        o += 4;
      } else {
        *o++ = *s;
      }
    }
    if (!plain) *o++ = '\'';
  }
  *o = '\0';
  return out;
}
