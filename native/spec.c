/*
 * spec.c: reading <state-dir>/shim.spec, the runtime's instructions for one
 * start of a container (every key is described in README.md).
 *
 * The file is a flat list of key\0value\0 pairs. NUL is the one byte that
 * cannot occur in a path, an argument or an environment variable, so values
 * need no quoting at all: `tr '\0' '\n' < shim.spec` shows it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "shim.h"

struct spec spec;

/* Where each key goes: a string, a repeated list, or a 0/1 flag. Unknown keys
 * are ignored, so a newer runtime may send optional extras. */
static const struct { const char *key; char **str; struct list *list; int *flag; } keys[] = {
  { "version", &spec.version, 0, 0 },
  { "id", &spec.id, 0, 0 },         { "lower", 0, &spec.lower, 0 },   { "upper", &spec.upper, 0, 0 },
  { "work", &spec.work, 0, 0 },     { "merged", &spec.merged, 0, 0 }, { "hostname", &spec.hostname, 0, 0 },
  { "arg", 0, &spec.arg, 0 },       { "env", 0, &spec.env, 0 },       { "cwd", &spec.cwd, 0, 0 },
  { "user", &spec.user, 0, 0 },     { "tty", 0, 0, &spec.tty },       { "stdin", 0, 0, &spec.open_stdin },
  { "log", &spec.log, 0, 0 },       { "bind", 0, &spec.bind, 0 },     { "cgroup", 0, &spec.cgroup, 0 },
  { "exit-hook", 0, &spec.exit_hook, 0 },
  { "events", &spec.events, 0, 0 }, { "name", &spec.name, 0, 0 },     { "image", &spec.image, 0, 0 },
  { "label", 0, &spec.label, 0 },
  { "log-max-size", &spec.log_max_size, 0, 0 },                       { "log-max-file", &spec.log_max_file, 0, 0 },
  { "cap", 0, &spec.cap, 0 },       { "mask", 0, &spec.mask, 0 },     { "readonly", 0, &spec.readonly, 0 },
  { "group-add", 0, &spec.group_add, 0 },                             { "seccomp", &spec.seccomp, 0, 0 },
  { "no-new-privileges", 0, 0, &spec.no_new_privileges },             { "privileged", 0, 0, &spec.privileged },
  { "rootfs-readonly", 0, 0, &spec.rootfs_readonly },
  { "mount", 0, &spec.mount, 0 },
  { "host-network", 0, 0, &spec.host_network },                       { "join-netns", &spec.join_netns, 0, 0 },
};

static char *read_file(const char *path, size_t *len) {
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) < 0) die_sys("open %s", path);
  char *buf = calloc(1, st.st_size + 2); /* two NULs: a cut-off last pair still ends */
  if (!buf) abort();
  if (read(fd, buf, st.st_size) != st.st_size) die_sys("read %s", path);
  close(fd);
  *len = st.st_size;
  return buf;
}

/* Both halves of the protocol come from the same checkout, but a shim built
 * before a `git pull` would misread a newer spec in silent, confusing ways.
 * The first pair names the protocol version; a mismatch stops here, saying
 * how to fix it. */
static void check_version(const char *path, const char *first_key) {
  char *want = strf("%d", SHIM_PROTOCOL_VERSION);
  if (strcmp(first_key, "version") != 0 || !spec.version)
    abandon(125, strf("%s has no protocol version (its first pair must be \"version\"), this glass-shim speaks "
                      "version %s: rebuild glass (npm run build) so that the runtime and the shim match",
                      path, want));
  if (strcmp(spec.version, want) != 0)
    abandon(125, strf("%s is protocol version %s, this glass-shim speaks version %s: rebuild glass "
                      "(npm run build) so that the runtime and the shim match",
                      path, spec.version, want));
}

void read_spec(void) {
  char *path = strf("%s/shim.spec", state_dir);
  size_t len;
  char *buf = read_file(path, &len), *p = buf, *end = buf + len;
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
  check_version(path, buf);
  const char *missing = !spec.merged ? "merged" : !spec.upper ? "upper" : !spec.work ? "work"
                      : !spec.lower.n ? "lower" : NULL;
  if (missing) abandon(125, strf("%s: no \"%s\"", path, missing));
  if (!spec.arg.n) abandon(125, "no command specified");
  /* Read now: the filter is loaded after pivot_root(), when the host's files are out of reach. */
  if (spec.seccomp && *spec.seccomp) spec.seccomp_text = read_file(spec.seccomp, &len);
}
