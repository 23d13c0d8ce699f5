/*
 * jsonlog.c: the container's output log, in Docker's json-file format, and
 * the JSON string escaping the shim's other records use too.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "shim.h"



static int log_fd = -1;

/* JSON string escaping; bytes >= 0x80 (UTF-8) pass through unchanged. `out`
 * needs room for 6 bytes per input byte (\u00XX). */
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
  *o = '\0';
  return o - out;
}

char *json_string(const char *s, size_t len) {
  char *out = malloc(6 * len + 1);
  if (!out) abort();
  json_escape(out, s, len);
  return out;
}

void open_log(void) {
  if (spec.log && (log_fd = open(spec.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) < 0)
    die_sys("open %s", spec.log);
}

/* Docker's json-file log: one JSON object per line of output, each with its
 * stream and the time it was read, so `logs` can show, interleave and filter
 * them later. A chunk's last piece without '\n' becomes an entry of its own. */
void log_chunk(const char *stream, const char *buf, size_t len) {
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
