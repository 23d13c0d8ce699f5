/*
 * user.c: which user the container's program runs as.
 *
 * Users are just numbers to the kernel. A name given with -u (or the image's
 * User) is looked up in the container's own /etc/passwd and /etc/group (this
 * runs after pivot_root(), so those are the image's files, never the host's),
 * the way runc does it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include "shim.h"

static int parse_id(const char *s, unsigned *id) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (!*s || *end || errno || v > UINT_MAX) return 0;
  *id = v;
  return 1;
}

/* Split a line of /etc/passwd or /etc/group into its n ':'-separated fields. */
static int split(char *line, char **f, int n) {
  int i = 0;
  line[strcspn(line, "\n")] = '\0';
  while (i < n && line) f[i++] = strsep(&line, ":");
  return i == n;
}

/* Find the entry of `file` named `name` (field 0) or, if name is NULL, with id `id` (field 2). */
static int lookup(const char *file, const char *name, unsigned id, char *line, size_t size, char **f, int n) {
  FILE *fp = fopen(file, "re");
  unsigned fid;
  int found = 0;
  while (fp && !found && fgets(line, size, fp))
    found = split(line, f, n) && (name ? strcmp(f[0], name) == 0 : parse_id(f[2], &fid) && fid == id);
  if (fp) fclose(fp);
  return found;
}

/* Supplementary groups: every /etc/group entry listing `user` as a member
 * (except `primary`, which the caller already has). */
static int member_groups(const char *user, gid_t primary, gid_t *groups, int max) {
  char line[4096], *f[4];
  unsigned gid;
  int n = 0;
  FILE *fp = fopen("/etc/group", "re");
  while (fp && n < max && fgets(line, sizeof line, fp))
    for (char *m = split(line, f, 4) && parse_id(f[2], &gid) ? f[3] : NULL; m && n < max;)
      if (strcmp(strsep(&m, ","), user) == 0 && gid != primary) groups[n++] = gid;
  if (fp) fclose(fp);
  return n;
}

/* --group-add: a group name (looked up in the container's /etc/group) or a gid. */
static gid_t added_group(const char *g) {
  char line[4096], *f[4];
  unsigned gid;
  if (parse_id(g, &gid)) return gid;
  if (!lookup("/etc/group", g, 0, line, sizeof line, f, 4) || !parse_id(f[2], &gid))
    fail(125, "unable to find group %s: no matching entries in group file", g);
  return gid;
}

/* `user` is "", name, uid, name:group or uid:gid. setgroups and setgid must
 * come before setuid: once we are no longer root we would not be allowed to
 * change them.
 *
 * setuid() from root to another user normally empties the permitted and
 * effective capability sets. PR_SET_KEEPCAPS keeps the permitted set across
 * it (as runc does), so that drop_capabilities() (security.c), which runs
 * next, can still cut the bounding set and then set exactly the container's
 * capabilities. The flag is cleared again at once: execve() clears it anyway. */
void switch_user(void) {
  char *u = strf("%s", spec.user ? spec.user : ""), *g = strchr(u, ':');
  char pwline[4096], grline[4096], *pw[7], *gr[4], groups_text[512] = "--clear-groups";
  unsigned uid = 0, gid = 0;
  begin("user");
  if (g) *g++ = '\0';
  if (!*u) u = "0";
  int numeric = parse_id(u, &uid);
  int known = lookup("/etc/passwd", numeric ? NULL : u, uid, pwline, sizeof pwline, pw, 7);
  if (!known && !numeric)
    fail(125, "unable to find user %s: no matching entries in passwd file", u);
  if (known && (!parse_id(pw[2], &uid) || !parse_id(pw[3], &gid)))
    fail(125, "bad /etc/passwd entry for %s", u);
  if (g && *g && !parse_id(g, &gid)) {
    if (!lookup("/etc/group", g, 0, grline, sizeof grline, gr, 4) || !parse_id(gr[2], &gid))
      fail(125, "unable to find group %s: no matching entries in group file", g);
  }
  /* Like runc: the primary group first, then every group listing the user. */
  gid_t groups[64] = { gid };
  int n = 1 + (known ? member_groups(pw[0], gid, groups + 1, 63) : 0);
  for (size_t i = 0; i < spec.group_add.n && n < 64; i++) groups[n++] = added_group(spec.group_add.v[i]);
  for (int i = 0, len = 0; i < n; i++)
    len += snprintf(groups_text + len, sizeof groups_text - len, "%s%u", i ? "," : "--groups=", groups[i]);
  if (setgroups(n, groups) < 0) fail_sys("setgroups");
  if (setgid(gid) < 0) fail_sys("setgid %u", gid);
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail_sys("prctl(PR_SET_KEEPCAPS)");
  if (setuid(uid) < 0) fail_sys("setuid %u", uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) fail_sys("prctl(PR_SET_KEEPCAPS)");
  if (!env_get("HOME")) list_push(&spec.env, strf("HOME=%s", known && *pw[5] ? pw[5] : "/"));
  step("user", "setpriv --reuid=%u --regid=%u %s", uid, gid, groups_text);
}
