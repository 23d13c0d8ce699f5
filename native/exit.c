/*
 * exit.c: the shim's own records, and what it does once the container's init
 * has exited, after the last output was read: write exit.json, append the
 * `die` event (and `start`, when the exec succeeds), remove the container's cgroups, start the exit hook.
 *
 * Two records are the shim's alone, so that no glass command has to be alive
 * (or have disk space) for them to be right:
 *
 *   shim.json   written right after clone(): "this shim, with this start time,
 *               runs this init". A CLI killed half-way through a start cannot
 *               make the engine lose a running container.
 *   exit.json   written when the init exits, into space reserved at start, so
 *               that a container that filled the disk still has its exit code.
 *
 * Nobody may be listening by then (`run -d`), so each of the exit-time steps
 * is also recorded in <state-dir>/exit-steps.jsonl, one JSON object a line,
 * for the runtime to show in a trace afterwards:
 *
 *   {"key":"cgroup-remove","command":"rmdir ...","phase":"done","time":"..."}
 *
 * with "phase":"failed" and an "error" when the kernel refused.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "shim.h"

#define RECORD_SPACE 4096  /* bytes reserved for exit.json: one block, far more than the JSON needs */

static int steps_fd = -1;
static int record_fd = -1;   /* exit.json.tmp, its space reserved at start */
static char *record;         /* the exit record's text, kept until it is on disk */
static char *record_shown;   /* ... and the shell command that would write it, for the trace */
static pid_t hook_pid = -1;  /* the exit hook, until reaped */
static char *shim_record;    /* shim.json's path, once this shim wrote it */

/* Opened (and emptied of a previous run's lines) at start-up: by the time the
 * container exits, a `glass rm` may be deleting the state directory, and a
 * file created in it then could make that fail. Appending to an open file
 * creates nothing. */
void open_exit_steps(void) {
  char *path = strf("%s/exit-steps.jsonl", state_dir);
  if ((steps_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644)) < 0)
    die_sys("open %s", path);
}

/* One line of exit-steps.jsonl; error is NULL when the step succeeded. A
 * line that does not fit (the disk is full) is skipped, never half-written:
 * the shim is the file's only writer, so cutting it back to where it was is
 * safe. */
static void exit_step(const char *key, const char *command, const char *error) {
  char now[40];
  timestamp(now);
  char *cmd = json_string(command, strlen(command));
  char *err = error ? strf(",\"error\":\"%s\"", json_string(error, strlen(error))) : "";
  char *line = strf("{\"key\":\"%s\",\"command\":\"%s\",\"phase\":\"%s\"%s,\"time\":\"%s\"}\n", key, cmd,
                    error ? "failed" : "done", err, now);
  if (steps_fd >= 0) {
    off_t end = lseek(steps_fd, 0, SEEK_END);
    if (write_all(steps_fd, line, strlen(line)) < 0 && end >= 0 && ftruncate(steps_fd, end) < 0) { /* best effort */ }
  }
  if (error) fprintf(stderr, "glass-shim: %s: %s\n", command, error);
}

/* shim.json, right after clone(): the shim's pid and start time (field 22 of
 * /proc/self/stat, clock ticks since boot: a pid can be reused once its
 * process is gone, a pid with its start time cannot) and the init's pid as
 * the host sees it. It names this run until the next start replaces it; the
 * shim never removes it, so once the shim is gone it still says which shim
 * that was. Written aside and renamed into place, so that a reader finds the
 * whole record or none. If it cannot be written the start fails: a container
 * nobody could find again must not run. */
static unsigned long long start_time(void) {
  char buf[1024];
  FILE *f = fopen("/proc/self/stat", "re");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')'); /* the end of field 2, the command name, which may hold spaces and ')' */
  for (int field = 2; p && field < 22; field++) p = strchr(p + 1, ' ');
  return p ? strtoull(p + 1, NULL, 10) : 0;
}

void write_shim_record(void) {
  begin("shim-record");
  unsigned long long start = start_time();
  if (!start) abandon(125, "read /proc/self/stat: no start time (field 22)");
  char *json = strf("{\"pid\":%d,\"startTime\":%llu,\"initPid\":%d}", (int)getpid(), start, (int)init_pid);
  char *text = strf("%s\n", json);
  char *tmp = strf("%s/shim.json.tmp", state_dir), *path = strf("%s/shim.json", state_dir);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die_sys("open %s", tmp);
  if (write_all(fd, text, strlen(text)) < 0 || close(fd) < 0) die_sys("write %s", tmp);
  if (rename(tmp, path) < 0) die_sys("rename %s to %s", tmp, path);
  shim_record = path;
  step("shim-record", "cd %s && echo '%s' > shim.json.tmp && mv shim.json.tmp shim.json", state_dir, json);
}

/* A full disk must not cost a container its exit code, and the container
 * itself can fill it: its writable layer lives on the same filesystem as
 * its state. So before the container runs, while there is still room, the
 * shim creates exit.json.tmp and has the filesystem reserve blocks for it
 * (fallocate: the space is counted as used from now on), and keeps it open.
 * At exit the record is written into that space, which needs no new block,
 * and the file is cut to the record's length, which frees some. (A
 * copy-on-write filesystem such as btrfs needs new blocks for any write;
 * there the retry in monitor.c is what saves the code.) */
void reserve_exit_record(void) {
  begin("exit-reserve");
  char *tmp = strf("%s/exit.json.tmp", state_dir);
  /* A file of its own (O_EXCL, after removing a previous run's): a shim of an
   * earlier run still waiting to write its record can tell it is not its. */
  unlink(tmp);
  if ((record_fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) die_sys("open %s", tmp);
  int err = posix_fallocate(record_fd, 0, RECORD_SPACE);
  if (err) {
    errno = err;
    die_sys("reserve %d bytes for %s (fallocate)", RECORD_SPACE, tmp);
  }
  step("exit-reserve", "fallocate -l %d %s", RECORD_SPACE, tmp);
}

/* Is exit.json.tmp still the file this shim made? A later start of the same
 * container (its shim makes its own) may have replaced it. */
static int still_mine(const char *tmp) {
  struct stat mine, there;
  if (fstat(record_fd, &mine) < 0 || stat(tmp, &there) < 0) return 1; /* gone: rename() will say so */
  return mine.st_dev == there.st_dev && mine.st_ino == there.st_ino;
}

/* Start-up failed: the container never ran, so there is no exit to record,
 * and this shim is no record of a run either: without shim.json the engine
 * sees the container as created, which is the truth. Only what this shim
 * made goes: a shim that failed before clone() (a bad spec) must not take a
 * running shim's records with it. */
void discard_exit_record(void) {
  if (shim_record) unlink(shim_record);
  shim_record = NULL;
  if (record_fd < 0) return;
  if (still_mine(strf("%s/exit.json.tmp", state_dir))) unlink(strf("%s/exit.json.tmp", state_dir));
  close(record_fd);
  record_fd = -1;
}

/* Put the record in place: write it over the start of the reserved space,
 * cut the file to its length, flush it, and rename it over exit.json.
 * rename() is atomic, so readers see no file or the whole file, never half
 * of it. 0 on success; -1 (errno set) to try again later; 1 when exit.json.tmp
 * now belongs to a later start of the container: not this shim's to write. */
static int put_record(void) {
  char *tmp = strf("%s/exit.json.tmp", state_dir), *path = strf("%s/exit.json", state_dir);
  size_t len = strlen(record);
  ssize_t n = 0;
  int ok = 0, theirs = 0;
  if (record_fd < 0) { /* removed since: make it again, if no one else has (this needs room) */
    record_fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    theirs = record_fd < 0 && errno == EEXIST;
  }
  if (record_fd >= 0 && !(theirs = !still_mine(tmp))) {
    while ((n = pwrite(record_fd, record, len, 0)) < 0 && errno == EINTR) ;
    if (n >= 0 && (size_t)n < len) errno = ENOSPC;
    ok = (size_t)n == len && ftruncate(record_fd, len) == 0 && fsync(record_fd) == 0 && rename(tmp, path) == 0;
  }
  int err = errno;
  free(tmp);
  free(path);
  if ((ok || theirs || err == ENOENT) && record_fd >= 0) { /* ENOENT: exit.json.tmp was removed: a new one next time */
    close(record_fd);
    record_fd = -1;
  }
  errno = err;
  return ok ? 0 : theirs ? 1 : -1;
}

/* The OOM killer and exit code 137. A container that passes its memory
 * limit first makes the kernel reclaim memory; when nothing more can be
 * reclaimed, the kernel's OOM killer picks a process in that cgroup and
 * sends it SIGKILL. Seen from outside, that is any `kill -9`: exit 137. The
 * only witness is the cgroup's own event counter, and the shim removes the
 * cgroup at exit, so it reads the counter first:
 *
 *   v2  memory.events       a line "oom_kill N"
 *   v1  memory.oom_control  a line "oom_kill N" (Linux 4.13 and later); on
 *                           older kernels memory.failcnt (how often the limit
 *                           was hit) is the nearest thing
 *
 * N > 0 means the OOM killer killed something in this container, which is
 * what Docker's State.OOMKilled says. -1: the file or the line is not there. */
static long cgroup_counter(const char *dir, const char *file, const char *key) {
  char *path = strf("%s/%s", dir, file), name[64];
  FILE *f = fopen(path, "re");
  long value, found = -1;
  free(path);
  if (!f) return -1;
  if (!key) { /* a file holding one number */
    if (fscanf(f, "%ld", &value) == 1) found = value;
  } else {
    while (fscanf(f, "%63s %ld", name, &value) == 2)
      if (strcmp(name, key) == 0) found = value;
  }
  fclose(f);
  return found;
}

static int oom_killed(void) {
  for (size_t i = 0; i < spec.cgroup.n; i++) {
    const char *dir = spec.cgroup.v[i];
    long n = cgroup_counter(dir, "memory.events", "oom_kill");
    if (n < 0) n = cgroup_counter(dir, "memory.oom_control", "oom_kill");
    if (n < 0 && cgroup_counter(dir, "memory.oom_control", "under_oom") >= 0) n = cgroup_counter(dir, "memory.failcnt", NULL);
    if (n >= 0) return n > 0; /* the memory controller's directory answered */
  }
  return 0;
}

/* exit.json is how the runtime learns the exit status once the shim is gone.
 * 0 when the shim is done with it (written, or no longer this shim's to
 * write); -1 if it could not be written: then the caller keeps the code
 * (monitor.c) and calls retry_exit_record() every second. */
int write_exit_json(int code, int sig) {
  char now[40];
  timestamp(now); /* when the container ended, even if the record is written later */
  char *json = strf("{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\"%s}", code, sig, now,
                    oom_killed() ? ",\"oomKilled\":true" : "");
  record = strf("%s\n", json);
  record_shown = strf("cd %s && echo '%s' | dd of=exit.json.tmp conv=notrunc,fsync status=none && "
                      "truncate -s %zu exit.json.tmp && mv exit.json.tmp exit.json", state_dir, json, strlen(record));
  switch (put_record()) {
  case 0:
    exit_step("exit-record", record_shown, NULL);
    return 0;
  case 1:
    exit_step("exit-record", record_shown, "exit.json.tmp belongs to a later start of this container: not recorded");
    return 0;
  }
  exit_step("exit-record", record_shown,
            strf("%s; the shim keeps the exit code and tries again every second", strerror(errno)));
  return -1;
}

/* Another try: 0 when the record is now on disk; 1 when there is no longer
 * anywhere to write it (the container was removed: its state directory is
 * gone); 2 when the container was started again (its state directory is the
 * new run's now); -1 when it still cannot be written. */
int retry_exit_record(void) {
  struct stat st;
  switch (put_record()) {
  case 0:
    exit_step("exit-record", record_shown, NULL);
    return 0;
  case 1:
    return 2;
  }
  return stat(state_dir, &st) < 0 && errno == ENOENT ? 1 : -1;
}

/* One attribute of an event, not yet escaped; the key is klen bytes (a label
 * arrives as "KEY=VALUE" in one spec value). */
struct attr {
  const char *key;
  size_t klen;
  const char *val;
};

/* Set key to val: a later setting of a key replaces an earlier one. */
static void set_attr(struct attr *a, size_t *n, const char *key, size_t klen, const char *val) {
  for (size_t i = 0; i < *n; i++)
    if (a[i].klen == klen && memcmp(a[i].key, key, klen) == 0) {
      a[i].val = val;
      return;
    }
  a[(*n)++] = (struct attr){ key, klen, val };
}

/* Byte order of the keys: Docker prints a Go map's keys sorted. */
static int attr_order(const void *x, const void *y) {
  const struct attr *a = x, *b = y;
  int c = memcmp(a->key, b->key, a->klen < b->klen ? a->klen : b->klen);
  return c ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

/* Actor.Attributes, in Docker's order of precedence (moby's
 * LogContainerEventWithAttributes): the event's own (exitCode), then the
 * container's labels over them, then image and name over those. With
 * with_labels 0, only the event's own, image and name. */
static char *event_attributes(int code, int with_labels) {
  struct attr *a = calloc(spec.label.n + 4, sizeof *a);
  size_t n = 0;
  if (!a) abort();
  if (code >= 0) set_attr(a, &n, "exitCode", 8, strf("%d", code));
  if (exec_id) set_attr(a, &n, "execID", 6, exec_id);
  for (size_t i = 0; with_labels && i < spec.label.n; i++) {
    const char *kv = spec.label.v[i], *eq = strchr(kv, '=');
    if (eq && eq > kv) set_attr(a, &n, kv, eq - kv, eq + 1);
  }
  set_attr(a, &n, "image", 5, spec.image ? spec.image : "");
  set_attr(a, &n, "name", 4, spec.name ? spec.name : "");
  qsort(a, n, sizeof *a, attr_order);
  char *out = strf("%s", "");
  for (size_t i = 0; i < n; i++)
    out = strf("%s%s\"%s\":\"%s\"", out, i ? "," : "", json_string(a[i].key, a[i].klen), json_string(a[i].val, strlen(a[i].val)));
  free(a);
  return out;
}

/* Docker's `start` and `die` events, for `glass events`. The runtime records
 * the other lifecycle events itself, but the shim is the one process that
 * sees the exec succeed and the container end, in that order: a command that
 * exits at once could otherwise have its `die` recorded before the runtime
 * got round to `start`. One line, one write(2) on an O_APPEND descriptor: the
 * kernel moves to the end of the file and writes in one step, so lines
 * appended at the same moment by other shims or glass commands never
 * interleave. `code` is the exit code (die only; -1 for none). The
 * container's labels (spec key "label") go into the attributes, as Docker
 * puts them there, so `glass events --filter label=k=v` finds these too. */
static char *event_line(const char *action, int code, int with_labels) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  const char *id_ = spec.id ? spec.id : "", *image_ = spec.image ? spec.image : "";
  char *id = json_string(id_, strlen(id_)), *image = json_string(image_, strlen(image_));
  return strf("{\"status\":\"%s\",\"id\":\"%s\",\"from\":\"%s\",\"Type\":\"container\",\"Action\":\"%s\","
              "\"Actor\":{\"ID\":\"%s\",\"Attributes\":{%s}},"
              "\"scope\":\"local\",\"time\":%lld,\"timeNano\":%lld}\n",
              action, id, image, action, id, event_attributes(code, with_labels), (long long)ts.tv_sec,
              (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

void append_event(const char *action, int code) {
  if (!spec.events) return;
  /* The shim of a `glass exec` (exec.c) records Docker's exec_start and
   * exec_die instead: "exec_start: <command>", with the exec's id in execID. */
  if (exec_id && strcmp(action, "start") == 0) {
    char *cmd = strf("exec_start:");
    for (size_t i = 0; i < spec.arg.n; i++) cmd = strf("%s %s", cmd, spec.arg.v[i]); /* joined with spaces, as Docker */
    action = cmd;
  } else if (exec_id) {
    action = "exec_die";
  }
  char *line = event_line(action, code, 1);
  if (strlen(line) >= 4096 && spec.label.n) {
    /* Many or long labels: the event still counts more than its labels. */
    fprintf(stderr, "glass-shim: %s event written without the container's labels: with them it is too long for one atomic append\n", action);
    line = event_line(action, code, 0);
  }
  append_event_line(action, line);
}

/* Append one event line to the events file, whole or not at all (below). */
void append_event_line(const char *action, const char *line) {
  size_t len = strlen(line);
  if (len >= 4096) {
    fprintf(stderr, "glass-shim: %s event not written: %zu bytes is too long for one atomic append\n", action, len);
    return;
  }
  /* Other processes append to this file too, so a line cut short by a full
   * disk would spoil the next one as well: with less than a block to spare
   * (root may use the blocks kept back from other users: f_bfree), the
   * event is skipped instead. Skipped or failed, the shim carries on. */
  struct statvfs fs;
  int fd = open(spec.events, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0 && fstatvfs(fd, &fs) == 0 && fs.f_bfree * fs.f_frsize < len + 4096) {
    fprintf(stderr, "glass-shim: %s event not appended to %s: the disk is full\n", action, spec.events);
  } else if (fd < 0 || write(fd, line, len) != (ssize_t)len) {
    fprintf(stderr, "glass-shim: append %s event to %s: %s\n", action, spec.events, strerror(errno));
  }
  if (fd >= 0) close(fd);
}

/* "/sys/fs/cgroup/{pids,memory}/glass/glass-ID" for the v1 hierarchies of
 * one container (the way the runtime shows their mkdir): the directories
 * differ only in the hierarchy, two levels above the container's own
 * directory (glass/ is the parent cgroup all containers share). Anything
 * else is shown as the list. */
static char *braced(const struct list *dirs) {
  char *all = strf("%s", dirs->v[0]), *inner = strf("%s", ""), *tail0 = NULL, *top0 = NULL;
  int same = dirs->n > 1;
  for (size_t i = 0; i < dirs->n; i++) {
    char *name = strf("%s", basename(strf("%s", dirs->v[i])));      /* glass-ID */
    char *parent = strf("%s", dirname(strf("%s", dirs->v[i])));     /* /sys/fs/cgroup/pids/glass */
    char *hier = strf("%s", dirname(strf("%s", parent)));           /* /sys/fs/cgroup/pids */
    char *tail = strf("%s/%s", basename(strf("%s", parent)), name); /* glass/glass-ID */
    char *top = strf("%s", dirname(strf("%s", hier)));              /* /sys/fs/cgroup */
    if (!i) tail0 = tail, top0 = top;
    same = same && strcmp(tail, tail0) == 0 && strcmp(top, top0) == 0;
    inner = strf("%s%s%s", inner, i ? "," : "", basename(hier));
    if (i) all = strf("%s %s", all, dirs->v[i]);
  }
  return same ? strf("%s/{%s}/%s", top0, inner, tail0) : all;
}

/* Is this directory entry a child cgroup? (kernfs fills in d_type; other
 * filesystems may leave it unknown, then ask.) */
static int child_cgroup(DIR *d, const struct dirent *e) {
  struct stat st;
  if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) return 0;
  if (e->d_type != DT_UNKNOWN) return e->d_type == DT_DIR;
  return fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Signal every process in a cgroup and in every cgroup below it. cgroup v2
 * (Linux 5.14+) does it with one write: cgroup.kill SIGKILLs the whole
 * subtree at once, even processes forked meanwhile. A v1 hierarchy has no
 * such file: each cgroup.procs lists its own processes, and each gets
 * SIGKILL. *what collects what was done, for the trace. */
static void kill_tree(const char *dir, char **what) {
  char *file = strf("%s/cgroup.procs", dir), *kill_file = strf("%s/cgroup.kill", dir);
  int pids[64], npids = 0, pid, children = 0;
  FILE *procs = fopen(file, "re");
  while (procs && npids < 64 && fscanf(procs, "%d", &pid) == 1) pids[npids++] = pid;
  if (procs) fclose(procs);
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) children += child_cgroup(d, e);
  int fd = npids || children ? open(kill_file, O_WRONLY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    if (write(fd, "1", 1) == 1) *what = strf("%s%secho 1 > %s", *what, **what ? "; " : "", kill_file);
    close(fd);
  } else {
    for (int i = 0; i < npids; i++)
      if (pids[i] > 0 && kill(pids[i], SIGKILL) == 0) *what = strf("%s%skill -KILL %d", *what, **what ? "; " : "", pids[i]);
    if (d) rewinddir(d);
    while (children && d && (e = readdir(d)))
      if (child_cgroup(d, e)) kill_tree(strf("%s/%s", dir, e->d_name), what);
  }
  if (d) closedir(d);
  free(file);
  free(kill_file);
}

/* rmdir a cgroup. The kernel refuses (EBUSY) while processes are in it and
 * while it has child cgroups: a container with all capabilities can mount its
 * cgroup hierarchy and mkdir some (its cgroup namespace shows its own cgroup
 * as the root). So on EBUSY the children go first, depth-first, then the
 * parent again. *removed lists what went, children before parents. */
static int rmdir_tree(const char *dir, char **removed) {
  if (rmdir(dir) == 0) goto gone;
  if (errno == ENOENT) return 0;
  if (errno != EBUSY) return -1;
  DIR *d = opendir(dir);
  struct dirent *e;
  int failed = 0;
  while (d && (e = readdir(d)))
    if (child_cgroup(d, e))
      failed |= rmdir_tree(strf("%s/%s", dir, e->d_name), removed) < 0;
  if (d) closedir(d);
  if (failed) return -1;
  if (rmdir(dir) < 0) return errno == ENOENT ? 0 : -1;
gone:
  *removed = strf("%s%s%s", *removed, **removed ? " " : "", dir);
  return 0;
}

/* glass keeps its containers' cgroups under one of its own, "glass/", in each
 * tree (runtime/kernel/cgroup/driver.ts). The last container to go removes
 * it, so a host with no container keeps no trace of glass in its cgroups.
 * rmdir is the kernel's own emptiness test: while another container's cgroup
 * is in it, it fails (EBUSY) and the parent stays. Returns what went. */
static char *remove_empty_parents(void) {
  char *removed = "";
  for (size_t i = 0; i < spec.cgroup.n; i++) {
    char *parent = strf("%s", spec.cgroup.v[i]);
    char *slash = strrchr(parent, '/');
    if (!slash) continue;
    *slash = '\0';
    const char *name = strrchr(parent, '/');
    if (!name || strcmp(name + 1, "glass") != 0) continue; /* not glass's own parent */
    if (rmdir(parent) == 0) removed = strf("%s%s%s", removed, *removed ? " " : "", parent);
  }
  return removed;
}

/* The container's cgroups outlive its processes: the runtime created them
 * and the shim removes them. Normally they are empty by now and one rmdir
 * each does it. rmdir fails with EBUSY while the kernel is still tearing down
 * the last processes, or while child cgroups the container made (and
 * processes in them) remain: then kill what is left in the whole subtree,
 * remove it children first, and retry for about a second. */
void remove_cgroups(void) {
  char *error = NULL, *killed = "", *removed = "";
  int nested = 0;
  if (spec.cgroup.n == 0) return;
  for (size_t i = 0; i < spec.cgroup.n; i++) {
    int tries = 0;
    char *gone = "";
    while (rmdir_tree(spec.cgroup.v[i], &gone) < 0) {
      if (errno != EBUSY || ++tries == 100) {
        error = strf("%s%s%s: %s", error ? error : "", error ? "; " : "", spec.cgroup.v[i], strerror(errno));
        break;
      }
      kill_tree(spec.cgroup.v[i], &killed);
      usleep(10000);
    }
    nested |= strchr(gone, ' ') != NULL; /* more than the container's own directory */
    removed = strf("%s%s%s", removed, *removed && *gone ? " " : "", gone);
  }
  /* The trace shows the usual case as one brace expression; anything more
   * as the commands, in the order they were done. */
  char *cmd = strf("rmdir %s", nested ? removed : braced(&spec.cgroup));
  if (!error) {
    char *parents = remove_empty_parents();
    if (*parents) cmd = strf("%s; rmdir %s", cmd, parents);
  }
  exit_step("cgroup-remove", *killed ? strf("%s; %s", killed, cmd) : cmd, error);
}

/* `--rm`: when no client is left to remove the container (`run -d`, or a
 * `run` whose CLI was killed or detached), the shim starts the runtime's
 * clean-up command itself, in a session of its own, and does not wait for it
 * to finish: the shim exits at once and init adopts the hook. It only waits
 * to learn that execvp() worked, the same way as for the container (a
 * close-on-exec pipe that closes with nothing written). */
void run_exit_hook(void) {
  if (spec.exit_hook.n == 0) return;
  char *cmd = quote_argv(spec.exit_hook.v);
  int p[2], err = 0;
  if (pipe2(p, O_CLOEXEC) < 0) {
    exit_step("exit-hook", cmd, strf("pipe: %s", strerror(errno)));
    return;
  }
  pid_t pid = fork();
  if (pid < 0) {
    exit_step("exit-hook", cmd, strf("fork: %s", strerror(errno)));
    return;
  }
  if (pid == 0) {
    setsid();
    reset_signals();
    cloexec_fds_from(3); /* only 0, 1 and 2 for the hook too: see fds.c */
    execvp(spec.exit_hook.v[0], spec.exit_hook.v);
    err = errno;
    write_all(p[1], &err, sizeof err);
    _exit(127);
  }
  hook_pid = pid;
  close(p[1]);
  ssize_t n;
  while ((n = read(p[0], &err, sizeof err)) < 0 && errno == EINTR) ;
  close(p[0]);
  exit_step("exit-hook", cmd, n == sizeof err ? strf("exec %s: %s", spec.exit_hook.v[0], strerror(err)) : NULL);
}

/* A shim that lives on after the exit (its record waits for room, see
 * monitor.c) is still the hook's parent: it reaps the hook when it ends. */
void reap_exit_hook(void) {
  if (hook_pid > 0 && waitpid(hook_pid, NULL, WNOHANG) == hook_pid) hook_pid = -1;
}
