/*
 * exit.c: what the shim does once the container's init has exited, after
 * the last output was read: write exit.json, append the `die` event, remove
 * the container's cgroups, start the exit hook.
 *
 * Nobody may be listening by then (`run -d`), so each of these exit-time
 * steps is also recorded in <state-dir>/exit-steps.jsonl, one JSON object a
 * line, for the runtime to show in a trace afterwards:
 *
 *   {"key":"cgroup-remove","command":"rmdir ...","phase":"done","time":"..."}
 *
 * with "phase":"failed" and an "error" when the kernel refused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "shim.h"

static int steps_fd = -1;

/* Opened (and emptied of a previous run's lines) at start-up: by the time the
 * container exits, a `glass rm` may be deleting the state directory, and a
 * file created in it then could make that fail. Appending to an open file
 * creates nothing. */
void open_exit_steps(void) {
  char *path = strf("%s/exit-steps.jsonl", state_dir);
  if ((steps_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644)) < 0)
    die_sys("open %s", path);
}

/* One line of exit-steps.jsonl; error is NULL when the step succeeded. */
static void exit_step(const char *key, const char *command, const char *error) {
  char now[40];
  timestamp(now);
  char *cmd = json_string(command, strlen(command));
  char *err = error ? strf(",\"error\":\"%s\"", json_string(error, strlen(error))) : "";
  char *line = strf("{\"key\":\"%s\",\"command\":\"%s\",\"phase\":\"%s\"%s,\"time\":\"%s\"}\n", key, cmd,
                    error ? "failed" : "done", err, now);
  if (steps_fd >= 0) write_all(steps_fd, line, strlen(line));
  if (error) fprintf(stderr, "glass-shim: %s: %s\n", command, error);
}

/* exit.json is how the runtime learns the exit status once the shim is gone.
 * Written to a temporary file and renamed over: rename() is atomic, so readers
 * see no file or the whole file, never half of it. */
void write_exit_json(int code, int sig) {
  char now[40];
  timestamp(now);
  char *json = strf("{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\"}", code, sig, now);
  char *text = strf("%s\n", json);
  int fd;
  char *tmp = strf("%s/exit.json.tmp", state_dir), *path = strf("%s/exit.json", state_dir);
  const char *error = NULL;
  if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
      write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0)
    error = strerror(errno);
  exit_step("exit-record", strf("cd %s && echo '%s' > exit.json.tmp && sync exit.json.tmp && "
                                "mv exit.json.tmp exit.json", state_dir, json), error);
}

/* Docker's `die` event, for `glass events`: the runtime records the other
 * lifecycle events itself, but only the shim is sure to see a detached
 * container end. One line, one write(2) on an O_APPEND descriptor: the kernel
 * moves to the end of the file and writes in one step, so lines appended at
 * the same moment by other shims or glass commands never interleave. */
void append_die_event(int code) {
  if (!spec.events) return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  const char *id_ = spec.id ? spec.id : "", *image_ = spec.image ? spec.image : "", *name_ = spec.name ? spec.name : "";
  char *id = json_string(id_, strlen(id_)), *image = json_string(image_, strlen(image_));
  char *name = json_string(name_, strlen(name_));
  char *line = strf("{\"status\":\"die\",\"id\":\"%s\",\"from\":\"%s\",\"Type\":\"container\",\"Action\":\"die\","
                    "\"Actor\":{\"ID\":\"%s\",\"Attributes\":{\"exitCode\":\"%d\",\"image\":\"%s\",\"name\":\"%s\"}},"
                    "\"scope\":\"local\",\"time\":%lld,\"timeNano\":%lld}\n",
                    id, image, id, code, image, name, (long long)ts.tv_sec,
                    (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  size_t len = strlen(line);
  if (len >= 4096) {
    fprintf(stderr, "glass-shim: die event not written: %zu bytes is too long for one atomic append\n", len);
    return;
  }
  int fd = open(spec.events, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, line, len) != (ssize_t)len)
    fprintf(stderr, "glass-shim: append die event to %s: %s\n", spec.events, strerror(errno));
  if (fd >= 0) close(fd);
}

/* "/sys/fs/cgroup/{pids,memory}/glass-ID" for the v1 hierarchies of one
 * container (the way the runtime shows their mkdir), else the list. */
static char *braced(const struct list *dirs) {
  char *first = strf("%s", dirs->v[0]), *name = strf("%s", basename(first));
  char *top = strf("%s", dirname(dirname(first)));
  char *all = strf("%s", dirs->v[0]), *inner = strf("%s", "");
  int same = dirs->n > 1;
  for (size_t i = 0; i < dirs->n; i++) {
    char *d = strf("%s", dirs->v[i]), *b = strf("%s", basename(d)), *parent = strf("%s", dirname(d));
    char *ctl = strf("%s", basename(parent)), *grand = strf("%s", dirname(parent));
    same = same && strcmp(b, name) == 0 && strcmp(grand, top) == 0;
    inner = strf("%s%s%s", inner, i ? "," : "", ctl);
    if (i) all = strf("%s %s", all, dirs->v[i]);
  }
  return same ? strf("%s/{%s}/%s", top, inner, name) : all;
}

/* The container's cgroups outlive its processes: the runtime created them
 * and the shim removes them, now empty. rmdir on a cgroup fails with EBUSY
 * while the kernel is still tearing down the last processes in it, so retry
 * for about a second. */
void remove_cgroups(void) {
  char *error = NULL;
  if (spec.cgroup.n == 0) return;
  for (size_t i = 0; i < spec.cgroup.n; i++) {
    int tries = 0;
    while (rmdir(spec.cgroup.v[i]) < 0 && errno != ENOENT) {
      if (errno != EBUSY || ++tries == 100) {
        error = strf("%s%s%s: %s", error ? error : "", error ? "; " : "", spec.cgroup.v[i], strerror(errno));
        break;
      }
      usleep(10000);
    }
  }
  exit_step("cgroup-remove", strf("rmdir %s", braced(&spec.cgroup)), error);
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
  close(p[1]);
  ssize_t n;
  while ((n = read(p[0], &err, sizeof err)) < 0 && errno == EINTR) ;
  close(p[0]);
  exit_step("exit-hook", cmd, n == sizeof err ? strf("exec %s: %s", spec.exit_hook.v[0], strerror(err)) : NULL);
}
