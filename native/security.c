/*
 * security.c: what a container's root may still do. Namespaces decide what a
 * process can *see*; this file decides what it can *do*. Three layers, each a
 * step of its own, the way Docker (runc) sets them up:
 *
 *   load_seccomp()            a filter in the kernel that answers every system
 *                             call before it runs: allowed, or refused (EPERM)
 *   drop_capabilities()       root's powers are ~41 separate capabilities; the
 *                             container keeps Docker's 14 harmless ones
 *   set_no_new_privileges()   (optional) no setuid binary or file capability
 *                             can give a process more than its parent had
 *
 * They work from the global `spec` (shim.spec: `cap`, `privileged`,
 * `seccomp`, `no-new-privileges`), so the container's init (init.c) and
 * `glass-shim exec` apply exactly the same confinement. Call them in this
 * order, after the filesystem is ready (pivot_root) and just before execve():
 *
 *   load_seccomp();          needs CAP_SYS_ADMIN (or no_new_privs), so first
 *   switch_user();           user.c: setgroups/setgid/setuid, keeping caps
 *   drop_capabilities();     the container's set, for root and non-root alike
 *   set_no_new_privileges();
 *
 * Every syscall made after load_seccomp() must be one the profile allows:
 * Docker's default profile allows all of the ones used here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <seccomp.h>
#include "shim.h"

/* ---- capabilities --------------------------------------------------------- */

/* The kernel numbers capabilities; people name them. Index = number. */
static const char *const cap_names[] = {
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
  "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
  "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
  "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
  "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
  "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};
#define NCAPS (int)(sizeof cap_names / sizeof *cap_names)

/* The highest capability this kernel knows (newer kernels add some). */
static int last_cap(void) {
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int n = NCAPS - 1;
  if (f) {
    if (fscanf(f, "%d", &n) != 1) n = NCAPS - 1;
    fclose(f);
  }
  return n;
}

/* "CAP_CHOWN" or "CHOWN" -> 0; -1 if unknown. */
static int cap_number(const char *name) {
  if (strncmp(name, "CAP_", 4) == 0) name += 4;
  for (int i = 0; i < NCAPS; i++)
    if (strcmp(cap_names[i], name) == 0) return i;
  return -1;
}

/* The set the spec asks for, as a 64-bit mask (bit n = capability n). */
static unsigned long long wanted_caps(void) {
  unsigned long long set = 0;
  if (spec.privileged) return ~0ULL;
  for (size_t i = 0; i < spec.cap.n; i++) {
    int n = cap_number(spec.cap.v[i]);
    if (n < 0) fail(125, "unknown capability %s in shim.spec", spec.cap.v[i]);
    set |= 1ULL << n;
  }
  return set;
}

/* capset(2) takes the permitted, effective and inheritable sets in two 32-bit halves. */
static int set_caps(unsigned long long permitted, unsigned long long effective, unsigned long long inheritable) {
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2] = {
    { (unsigned)effective, (unsigned)permitted, (unsigned)inheritable },
    { (unsigned)(effective >> 32), (unsigned)(permitted >> 32), (unsigned)(inheritable >> 32) },
  };
  return syscall(SYS_capset, &h, d);
}

static unsigned long long permitted_now(void) {
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) < 0) fail_sys("capget");
  return d[0].permitted | (unsigned long long)d[1].permitted << 32;
}

/*
 * Root is not one power but a bag of capabilities: CAP_SYS_ADMIN (mount,
 * unshare, and much more), CAP_SYS_MODULE (load kernel code), CAP_SYS_TIME,
 * CAP_NET_ADMIN... The kernel checks the one each operation needs. Docker
 * keeps 14 that a normal program may use on its own files and processes
 * (chown, kill, bind port 80, mknod...) and drops the rest, so root in the
 * container cannot reconfigure the host's kernel.
 *
 * A process has five sets. The *bounding* set caps what it and its children
 * can ever gain (even through a setuid-root binary), so it is cut first;
 * dropping from it needs CAP_SETPCAP, which is why switch_user() kept the
 * permitted set across setuid (PR_SET_KEEPCAPS) and we raise effective again
 * first. Then permitted and effective become exactly the container's set,
 * inheritable and ambient become empty (as Docker 20.10 does since
 * CVE-2022-24769), so a non-root user's program starts with no capabilities
 * at all: execve() gives a non-root process only what ambient (empty) and its
 * file's capabilities allow.
 */
void drop_capabilities(void) {
  begin("capabilities");
  /* A process cannot give what it does not have: a shim itself run without
   * some capability (inside another container) leaves that one out. */
  unsigned long long keep = wanted_caps() & permitted_now();
  int last = last_cap();
  char kept[1024] = "", bset[1024] = "";
  size_t k = 0, b = 0;
  for (int c = 0; c <= last && c < NCAPS; c++) {
    if (!(keep >> c & 1)) continue;
    k += snprintf(kept + k, sizeof kept - k, "%s%s", k ? ", " : "", cap_names[c]);
    b += snprintf(bset + b, sizeof bset - b, ",+%s", cap_names[c]);
  }
  for (char *p = bset; *p; p++) /* setpriv spells them in lower case */
    if (*p >= 'A' && *p <= 'Z') *p += 'a' - 'A';
  if (spec.privileged) {
    step("capabilities", "true   # --privileged: keep every capability (%d of them), SYS_ADMIN included", last + 1);
    return;
  }
  if (set_caps(permitted_now(), permitted_now(), 0) < 0) fail_sys("capset (raise the effective set)");
  for (int c = 0; c <= last; c++)
    if (!(keep >> c & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
      fail_sys("prctl(PR_CAPBSET_DROP, %s)", c < NCAPS ? cap_names[c] : "?");
  if (set_caps(keep, keep, 0) < 0) fail_sys("capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    fail_sys("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  step("capabilities", "setpriv --bounding-set=-all%s --inh-caps=-all --ambient-caps=-all   # keep %s%s",
       bset, *kept ? kept : "none",
       keep >> CAP_SYS_ADMIN & 1 ? " (SYS_ADMIN kept: mount is allowed)" : " (no SYS_ADMIN: mount is refused)");
}

/*
 * no_new_privs: a one-way switch (prctl PR_SET_NO_NEW_PRIVS) inherited by
 * every child. From then on execve() never grants more than the caller had:
 * setuid-root binaries (su, sudo) stay the caller's uid and file capabilities
 * are ignored. Asked for with --security-opt no-new-privileges.
 */
void set_no_new_privileges(void) {
  if (!spec.no_new_privileges) return;
  begin("no-new-privileges");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail_sys("prctl(PR_SET_NO_NEW_PRIVS)");
  step("no-new-privileges", "prctl(PR_SET_NO_NEW_PRIVS, 1)   # setpriv --no-new-privs");
}

/* ---- seccomp --------------------------------------------------------------- */

/* An action word of the profile file: allow, errno=N, kill, kill-process, trap, log. */
static int parse_action(const char *w, uint32_t *act) {
  if (strcmp(w, "allow") == 0) *act = SCMP_ACT_ALLOW;
  else if (strncmp(w, "errno=", 6) == 0) *act = SCMP_ACT_ERRNO(atoi(w + 6));
  else if (strcmp(w, "kill") == 0) *act = SCMP_ACT_KILL_THREAD;
  else if (strcmp(w, "kill-process") == 0) *act = SCMP_ACT_KILL_PROCESS;
  else if (strcmp(w, "trap") == 0) *act = SCMP_ACT_TRAP;
  else if (strcmp(w, "log") == 0) *act = SCMP_ACT_LOG;
  else return -1;
  return 0;
}

static int parse_op(const char *w, enum scmp_compare *op) {
  static const struct { const char *name; enum scmp_compare op; } ops[] = {
    { "ne", SCMP_CMP_NE }, { "lt", SCMP_CMP_LT }, { "le", SCMP_CMP_LE }, { "eq", SCMP_CMP_EQ },
    { "ge", SCMP_CMP_GE }, { "gt", SCMP_CMP_GT }, { "masked_eq", SCMP_CMP_MASKED_EQ },
  };
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
    if (strcmp(w, ops[i].name) == 0) return *op = ops[i].op, 0;
  return -1;
}

/* One rule line: "<action> <syscall> [<arg>:<op>:<a>[:<b>]]...". Conditions
 * on one line must all hold (AND); the runtime writes alternatives (OR) as
 * separate lines. A name this architecture does not have (arm_fadvise64_64
 * on x86_64) is skipped, as runc does. */
static void add_rule(scmp_filter_ctx ctx, char *line, const char *path, int lineno) {
  char *save, *w = strtok_r(line, " ", &save), *name = strtok_r(NULL, " ", &save);
  uint32_t act;
  struct scmp_arg_cmp cmp[6];
  unsigned n = 0;
  if (!name || parse_action(w, &act) < 0) fail(125, "%s:%d: bad rule \"%s\"", path, lineno, w);
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return;
  for (char *a; (a = strtok_r(NULL, " ", &save)) && n < 6; n++) {
    char *f[4] = { 0 };
    for (int i = 0; i < 4; i++) f[i] = strsep(&a, ":");
    if (!f[2] || parse_op(f[1], &cmp[n].op) < 0) fail(125, "%s:%d: bad condition on %s", path, lineno, name);
    cmp[n].arg = atoi(f[0]);
    cmp[n].datum_a = strtoull(f[2], NULL, 0);
    cmp[n].datum_b = f[3] ? strtoull(f[3], NULL, 0) : 0;
  }
  int rc = seccomp_rule_add_array(ctx, act, nr, n, cmp);
  if (rc < 0 && rc != -EEXIST) {
    errno = -rc;
    fail_sys("%s:%d: seccomp_rule_add %s", path, lineno, name);
  }
}

/*
 * seccomp (secure computing) lets a process give the kernel a small BPF
 * program that runs before each of its system calls and returns a verdict.
 * The filter is inherited by every child and can never be removed. Docker's
 * default profile allows about 350 ordinary calls and refuses (EPERM) the rest:
 * those that reach the whole machine (reboot, kexec_load, init_module, swapon,
 * settimeofday, the kernel keyring, bpf, perf_event_open...) and those that
 * would hand out namespaces (unshare, clone with CLONE_NEW*, mount) unless the
 * container was given the matching capability. Where a capability already
 * guards the call, the filter is a second wall, for the day a kernel bug
 * skips the capability check.
 *
 * The runtime has already resolved the profile (Docker's JSON: which rules
 * apply to this architecture and this set of capabilities) into a plain file,
 * one rule a line, so this code only reads it and hands each rule to
 * libseccomp, which writes the BPF program. (read_spec() read the file while
 * the host's files were still in reach: this runs after pivot_root().)
 *
 *   default errno=1
 *   arch x86_64
 *   allow read
 *   allow personality 0:eq:8
 *   allow clone 0:masked_eq:2114060288:0
 *
 * Loading a filter needs CAP_SYS_ADMIN or no_new_privs (so that an
 * unprivileged process cannot confuse a setuid program with one). libseccomp
 * sets no_new_privs by itself unless told not to: Docker sets it only when
 * asked, so we tell libseccomp not to, and load the filter while the init is
 * still full root, before drop_capabilities().
 */
void load_seccomp(void) {
  if (!spec.seccomp || !*spec.seccomp) return;
  begin("seccomp");
  char *text = strf("%s", spec.seccomp_text ? spec.seccomp_text : ""), *line, *rest = text;
  int lineno = 0, rules = 0, allowed = 0;
  char deflt[64] = "";
  scmp_filter_ctx ctx = NULL;
  while ((line = strsep(&rest, "\n"))) {
    lineno++;
    if (!*line || *line == '#') continue;
    if (strncmp(line, "default ", 8) == 0) {
      uint32_t act;
      if (ctx || parse_action(line + 8, &act) < 0) fail(125, "%s:%d: bad default \"%s\"", spec.seccomp, lineno, line);
      if (!(ctx = seccomp_init(act))) fail(125, "seccomp_init failed");
      snprintf(deflt, sizeof deflt, "%s", line + 8);
      /* no_new_privs only when asked for (set_no_new_privileges) */
      seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
      continue;
    }
    if (!ctx) fail(125, "%s:%d: the first line must be \"default <action>\"", spec.seccomp, lineno);
    if (strncmp(line, "arch ", 5) == 0) {
      uint32_t arch = seccomp_arch_resolve_name(line + 5);
      int rc = arch ? seccomp_arch_add(ctx, arch) : -EINVAL;
      if (rc < 0 && rc != -EEXIST) fail(125, "%s:%d: architecture %s: %s", spec.seccomp, lineno, line + 5, strerror(-rc));
      continue;
    }
    rules++;
    allowed += strncmp(line, "allow ", 6) == 0;
    add_rule(ctx, line, spec.seccomp, lineno);
  }
  free(text);
  if (!ctx) fail(125, "%s: empty seccomp profile", spec.seccomp);
  int rc = seccomp_load(ctx);
  if (rc < 0) {
    errno = -rc;
    fail_sys("seccomp_load");
  }
  seccomp_release(ctx);
  step("seccomp", "seccomp(SECCOMP_SET_MODE_FILTER, ...)   # %d rules from %s (%d allow); any other syscall: %s",
       rules, spec.seccomp, allowed, strcmp(deflt, "errno=1") == 0 ? "fails with EPERM" : deflt);
}
