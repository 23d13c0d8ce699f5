/*
 * jsonlog.c: the container's output log, in Docker's json-file format, with
 * Docker's rotation; and the JSON string escaping the shim's other records
 * use too.
 *
 * Why rotate? A container that writes for ever (`yes`, a chatty server, a
 * loop printing its progress) would otherwise grow its log until the disk is
 * full, and a full disk breaks far more than that one container. Rotation
 * bounds it: once the current file would grow past `log-max-size` bytes, it
 * is renamed out of the way and a fresh, empty one is started. At most
 * `log-max-file` files are kept, the current one included; the oldest is
 * deleted. With max-size 10m and max-file 3 the log never takes more than
 * about 30 MB, and `glass logs` still shows the most recent 20 to 30 MB.
 *
 *   <id>-json.log      the current file, the only one written to
 *   <id>-json.log.1    the one before it
 *   <id>-json.log.2    older still, ... up to .<max-file - 1>
 *
 * Rotating is a handful of rename()s, newest name last:
 *
 *   rm   <id>-json.log.2                 (only when max-file files exist)
 *   mv   <id>-json.log.1 <id>-json.log.2
 *   mv   <id>-json.log   <id>-json.log.1
 *   open <id>-json.log   (O_CREAT | O_TRUNC: a new, empty file)
 *
 * rename() is atomic: at every moment each file has exactly one name, and the
 * names sorted by number (highest first, then the current file) are in the
 * order the output was written. A reader holding a file open keeps reading
 * it whatever its name becomes, even once it is deleted; `glass logs -f`
 * notices the rename (the current name now points at another inode) and
 * moves on to the next file. With max-file 1 there is nothing to keep: the
 * current file is unlinked (a reader that has it open still reads it to the
 * end) and a new one is started.
 *
 * A full disk must not take the container down with it: a write that fails
 * (ENOSPC, EIO, EFBIG) drops those entries, counts the bytes, and the next
 * output tries again; the output still reaches attached clients. The shim's
 * own log (shim.log) says when writes started failing and how much was lost
 * once they work again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "shim.h"

static int log_fd = -1;
static unsigned long long log_size;      /* bytes in the current file: whole entries only */
static unsigned long long max_size;      /* rotate before the file would grow past this; 0: never */
static unsigned long long max_file = 1;  /* files kept, the current one included */
static unsigned long long dropped;       /* bytes lost since writes started failing */

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

/* A spec number; absent or unreadable: `otherwise`. The runtime has checked
 * the user's values already (a huge one is simply very large). */
static unsigned long long spec_number(const char *value, unsigned long long otherwise) {
  char *end;
  if (!value || !*value) return otherwise;
  errno = 0;
  unsigned long long n = strtoull(value, &end, 10);
  return *end || (errno && n != ULLONG_MAX) ? otherwise : n;
}

/* `<log>.<n>`, the n-th rotated file (1 is the newest). */
static const char *rotated_name(unsigned long long n) {
  static char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s.%llu", spec.log, n);
  return path;
}

/* Open the current file for appending (O_APPEND: every write lands at its
 * end) and learn its size; `flags` adds O_TRUNC after a rotation. */
static int open_current(int flags) {
  struct stat st;
  log_fd = open(spec.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | flags, 0640);
  if (log_fd < 0) return -1;
  log_size = fstat(log_fd, &st) == 0 ? (unsigned long long)st.st_size : 0;
  return 0;
}

void open_log(void) {
  if (!spec.log) return;
  max_size = spec_number(spec.log_max_size, 0);
  max_file = spec_number(spec.log_max_file, 1);
  if (max_file < 1) max_file = 1;
  if (open_current(0) < 0) die_sys("open %s", spec.log);
}

/* Writes fail (the disk is full): count what is lost, say so once. */
static void drop(size_t len, int err) {
  if (!dropped)
    fprintf(stderr, "glass-shim: writing the log %s failed (%s): dropping output until a write works again\n",
            spec.log, strerror(err));
  dropped += len;
}

/* Append whole entries to the current file. A write cut short by a full disk
 * would leave half an entry that the next one would be glued to, so the file
 * is cut back to its last whole entry (shrinking a file needs no free space). */
static void append(const char *buf, size_t len) {
  if (len == 0) return;
  if (log_fd < 0 && open_current(0) < 0) {
    drop(len, errno);
    return;
  }
  if (write_all(log_fd, buf, len) < 0) {
    int err = errno;
    struct stat st;
    if (ftruncate(log_fd, log_size) < 0 && fstat(log_fd, &st) == 0) log_size = st.st_size;
    drop(len, err);
    return;
  }
  log_size += len;
  if (dropped) {
    fprintf(stderr, "glass-shim: writing the log %s works again; %llu bytes of output were dropped\n",
            spec.log, dropped);
    dropped = 0;
  }
}

/* How many rotated files there are now: .1, .2, ... without a gap. */
static unsigned long long count_rotated(void) {
  unsigned long long n = 0;
  while (n + 1 < max_file && access(rotated_name(n + 1), F_OK) == 0) n++;
  return n;
}

/* Docker's rotation (see the top of this file). A rename that fails loses
 * that file's place but never stops the logging: the new current file is
 * opened with O_TRUNC whatever happened, so the bound holds. */
static void rotate(void) {
  if (log_fd >= 0) close(log_fd);
  log_fd = -1;
  if (max_file < 2) {
    if (unlink(spec.log) < 0 && errno != ENOENT)
      fprintf(stderr, "glass-shim: rotating the log: unlink %s: %s\n", spec.log, strerror(errno));
  } else {
    unsigned long long n = count_rotated();
    if (n == max_file - 1 && unlink(rotated_name(n--)) < 0 && errno != ENOENT)
      fprintf(stderr, "glass-shim: rotating the log: unlink %s: %s\n", rotated_name(n + 1), strerror(errno));
    for (; n >= 1; n--) {
      char from[PATH_MAX + 32];
      snprintf(from, sizeof from, "%s", rotated_name(n));
      if (rename(from, rotated_name(n + 1)) < 0)
        fprintf(stderr, "glass-shim: rotating the log: rename %s: %s\n", from, strerror(errno));
    }
    if (rename(spec.log, rotated_name(1)) < 0 && errno != ENOENT)
      fprintf(stderr, "glass-shim: rotating the log: rename %s: %s\n", spec.log, strerror(errno));
  }
  if (open_current(O_TRUNC) < 0) log_size = 0; /* append() tries again */
}

/* Docker's json-file log: one JSON object per line of output, each with its
 * stream and the time it was read, so `logs` can show, interleave and filter
 * them later. A chunk's last piece without '\n' becomes an entry of its own.
 * Entries are gathered in `out` and written together; when the next entry
 * would take the current file past max-size, what is gathered is written
 * and the file rotated first (a file starts with at least one entry, so an
 * entry bigger than max-size still gets a file of its own). */
void log_chunk(const char *stream, const char *buf, size_t len) {
  static char out[6 * CHUNK + 256];
  char now[40];
  size_t o = 0, pending = 0, start = 0; /* out[pending, o) is not written yet */
  if (!spec.log) return;
  timestamp(now);
  while (start < len) {
    const char *nl = memchr(buf + start, '\n', len - start);
    size_t end = nl ? (size_t)(nl - buf) + 1 : len;
    if (o + 6 * (end - start) + 128 > sizeof out) {
      append(out + pending, o - pending);
      o = pending = 0;
    }
    size_t entry = o;
    o += sprintf(out + o, "{\"log\":\"");
    o += json_escape(out + o, buf + start, end - start);
    o += sprintf(out + o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, now);
    unsigned long long before = log_size + (entry - pending); /* the file's size once out[pending, entry) is in */
    if (max_size && before > 0 && before + (o - entry) > max_size) {
      append(out + pending, entry - pending);
      rotate();
      pending = entry;
    }
    start = end;
  }
  append(out + pending, o - pending);
}
