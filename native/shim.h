/*
 * glass-shim: what its files share. Each .c file holds one concept:
 *
 *   shim.c     main(): the order of the shim's steps, detach, clone
 *   spec.c     reading shim.spec (the runtime's instructions)
 *   status.c   the status pipe: "version", "step", "failed", "error" lines
 *   fds.c      which file descriptors a new process may inherit
 *   init.c     the container's first process, from clone() to execve()
 *   rootfs.c   paths resolved inside the container's root, its mounts, pivot_root
 *   user.c     the container's user, from its own /etc/passwd and /etc/group
 *   monitor.c  the poll loop: output, stdin, signals, the init's exit
 *   attach.c   the attach socket and its frames
 *   jsonlog.c  the json-file log and JSON escaping
 *   exit.c     the shim's records (shim.json, exit.json) and what it removes at exit
 *   security.c capabilities, seccomp, no_new_privs: what the container's root may do
 *   exec.c     `glass-shim exec`: another process in a running container (glass exec)
 *   nsenter.c  joining a running container's cgroups and namespaces (setns)
 *   util.c     small helpers
 *
 * The protocol is described in README.md.
 */
#ifndef GLASS_SHIM_H
#define GLASS_SHIM_H

#include <stddef.h>
#include <poll.h>
#include <sys/types.h>

/* The version of the protocol in README.md. The runtime sends it as the first
 * pair of shim.spec and the shim sends it as the first status line; each side
 * refuses the other if they differ (a shim built from older sources). */
#define SHIM_PROTOCOL_VERSION 1

#define STATUS_FD 3   /* shim -> runtime: "version", "shim", "pid", "step", "failed", "ready", "error" lines */
#define CONTROL_FD 4  /* runtime -> shim: "go\n" once the init is in its cgroups */

#define CHUNK 32768   /* bytes read at a time from the container or a client */

/* A repeated spec key (arg, env, lower, ...): a NULL-terminated array. */
struct list {
  char **v;
  size_t n;
};

/* Everything shim.spec says; see README.md for each key. */
struct spec {
  char *version, *id, *upper, *work, *merged, *hostname, *cwd, *user, *log;
  char *events, *name, *image;
  char *log_max_size, *log_max_file;   /* rotation of the log (jsonlog.c); absent: unlimited */
  int tty, open_stdin;
  struct list lower, arg, env, bind, cgroup, exit_hook;
  struct list mount;                   /* volumes, user binds and tmpfs: type\tsource\tdestination\toptions */
  struct list label;                   /* the container's labels, KEY=VALUE, for the start and die events */
  /* confinement (security.c, rootfs.c, user.c) */
  struct list cap;                     /* the capabilities the container keeps, by name (CAP_CHOWN...) */
  struct list mask, readonly;          /* paths hidden (masked) and made read-only inside the root */
  struct list group_add;               /* --group-add: more supplementary groups, by name or gid */
  char *seccomp;                       /* the resolved seccomp profile file; absent: no filter */
  char *seccomp_text;                  /* its contents, read by read_spec() (before pivot_root) */
  int no_new_privileges, privileged, rootfs_readonly;
  /* networking: --network host keeps the host's network namespace (no CLONE_NEWNET);
   * --network container:NAME joins another container's (/proc/<pid>/ns/net, by setns before clone) */
  int host_network;
  char *join_netns;
};

extern struct spec spec;
extern char *state_dir;   /* absolute path of <state-dir> */
extern pid_t init_pid;    /* the container's init, until reaped (-1 before clone and after) */

/* The child's ends of the channels the shim creates before clone(). */
struct child_io {
  int exec_w;    /* CLOEXEC pipe: error text on failure, plain EOF on successful execve */
  int pty_sock;  /* socketpair end the pty master is sent over (tty only) */
  int stdin_r;   /* read end of the stdin pipe, or -1 for /dev/null (no tty only) */
  int stdout_w, stderr_w;
};

/* The shim's ends of the same channels, which the monitor watches. */
struct shim_io {
  int exec_r;    /* start-up result, until read */
  int pty_sock;  /* receives the pty master (tty only), until received */
  int out[3];    /* [1] stdout or the pty master, [2] stderr; -1 at EOF */
  int in;        /* the container's stdin: a pipe, the pty master, or -1 */
};
extern struct shim_io sio;

/* util.c */
char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* malloc'd sprintf */
int write_all(int fd, const void *buf, size_t len);
void list_push(struct list *l, char *s);
void reset_signals(void);
void timestamp(char out[40]);                               /* RFC 3339, UTC, nanoseconds */
char *quote_argv(char *const *argv);                        /* as a shell would need it typed */

/* status.c: lines on the status pipe (README.md). A step function calls
 * begin(key) first; if it fails, the failure is reported under that key. */
void status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void begin(const char *key);
void step(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_failure(const char *message);
void close_status(void);

/* spec.c */
void read_spec(void);

/* fds.c */
int close_fds_from(unsigned first);
int cloexec_fds_from(unsigned first);

/* shim.c: start-up failed; tell the runtime, undo, exit. */
void abandon(int code, const char *msg) __attribute__((noreturn));
void die_sys(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* shim.c: steps exec mode shares with a container start. */
void close_inherited_fds(void);
void detach(void);
void open_channels(struct child_io *io);
void close_child_ends(const struct child_io *io);

/* init.c: the cloned child. fail() reports a failed step and exits. */
int init_main(void *io);
void fail(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
void fail_sys(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
const char *env_get(const char *name);
/* init.c: the init's steps that an exec'd process takes too (exec.c). */
void use_child_io(const struct child_io *child);
void wait_for_go(void);
void send_fd(int sock, int fd);
void enter_workdir(const char *cwd);
void setup_stdio(int slave);
void keep_only_stdio(void);
void exec_command(void) __attribute__((noreturn));

/* rootfs.c: paths resolved inside the container's root (shared with volumes.c). */
enum kind { DIR_, FILE_ };
extern int root_fd;                                   /* the container's root: the overlay, later "/" */
int open_confined(const char *path, int flags);       /* openat2(root_fd, path, RESOLVE_IN_ROOT) */
int resolve_in_root(const char *path, enum kind kind); /* O_PATH fd of path inside the root, created if missing */
char *fd_path(int fd);                                /* "/proc/self/fd/N" */
char *where(int fd);                                  /* where fd really is on the host, for the trace */
void mount_on(int fd, const char *src, const char *type, unsigned long flags, const char *data);
/* rootfs.c: every step that builds the container's filesystem. */
void make_mounts_private(void);
void mount_rootfs(void);
void mount_proc(void);
void mount_sys(void);
void mount_cgroup(void);
void mount_dev(void);
void make_devices(void);
void mount_devpts(void);
int open_in_dev_pts(const char *name, int flags);
void mount_shm(void);
void mount_mqueue(void);
void bind_mounts(void);
/* volumes.c: volumes, bind mounts of the user's and tmpfs mounts (the `mount` keys). */
void mount_volumes(void);
void record_volume_unmounts(void); /* the volume `unmount` events, once the container has exited */
int prefill_main(const char *state_dir); /* glass-shim prefill: fill empty volumes from the image, at create */
void mask_paths(void);
void make_paths_readonly(void);
void pivot_to_rootfs(void);
void make_workdir(const char *cwd);
void make_rootfs_readonly(void);

/* user.c */
void switch_user(void);

/* security.c: the container's confinement, from `spec`; shared by the init
 * and `glass-shim exec`. Call in this order, right before execve():
 * load_seccomp() (needs CAP_SYS_ADMIN unless no_new_privs is set, so while
 * still full root), switch_user() (keeps the permitted caps across setuid),
 * drop_capabilities(), set_no_new_privileges(). */
void load_seccomp(void);
void drop_capabilities(void);
void set_no_new_privileges(void);

/* jsonlog.c */
char *json_string(const char *s, size_t len);               /* escaped, without quotes; malloc'd */
void open_log(void);
void log_chunk(const char *stream, const char *buf, size_t len);

/* attach.c */
void create_attach_socket(void);
void remove_attach_socket(void);
size_t attach_pollfd_count(void);
void attach_fill_pollfds(struct pollfd *pfd, int take_input);
void attach_accept_new(const struct pollfd *pfd);
void attach_read_frames(const struct pollfd *pfd, size_t n);
void attach_broadcast(int type, const void *data, size_t len);
int removal_promised(void);
void close_clients(int code);

/* monitor.c */
void setup_signals(void);
void monitor(void) __attribute__((noreturn));
void read_start_result(void);
void stdin_add(const void *data, size_t len);
void stdin_finish(void);
int stdin_pending(void);
void resize_tty(unsigned short rows, unsigned short cols);

/* exit.c */
void open_exit_steps(void);
void reserve_exit_record(void);
void discard_exit_record(void);
void write_shim_record(void);
int write_exit_json(int code, int sig);                     /* 0: done with it, -1: keep the code, retry */
int retry_exit_record(void);                                /* 0: written, 1: dir gone, 2: started again, -1: not yet */
void append_event(const char *action, int code); /* lifecycle events the shim records: start, die */
void append_event_line(const char *action, const char *line); /* one JSON line, appended atomically */
void remove_cgroups(void);
void run_exit_hook(void);
void reap_exit_hook(void);

/* exec.c: `glass-shim exec <state-dir> <exec-dir>` (glass exec). exec_id is
 * NULL in a container's own shim; in an exec shim it names the exec, and the
 * shim's start and die events become exec_start and exec_die. */
extern const char *exec_id;
int exec_main(const char *container_dir, const char *exec_dir);

/* nsenter.c: the steps of entering a running container. */
struct container_ns;                      /* its namespace files, opened once */
struct container_ns *open_namespaces(pid_t pid, const char *start_time);
void enter_pid_namespace(struct container_ns *ns);
void join_cgroups(const struct list *dirs);
void enter_namespaces(struct container_ns *ns);

#endif
