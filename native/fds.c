/*
 * fds.c: which open files a new process inherits.
 *
 * A file descriptor is a process's handle on an open file, directory, pipe or
 * socket. fork() and clone() copy every one of them, and execve() keeps every
 * one that is not marked close-on-exec (FD_CLOEXEC). Whoever started the
 * shim may have had descriptors open: a shell's `exec 300</etc`, or something
 * Node.js passed on. Such a descriptor reaching the container would be a hole
 * in its walls: a directory fd opened on the host stays a way into the host's
 * files even after pivot_root(), since openat(fd, "..") and /proc/self/fd/N
 * work on the file the fd already points to, not on a path. So:
 *
 *   - the shim closes everything but its protocol descriptors first thing
 *     (0, 1, 2, and the status and control pipes 3 and 4), and
 *   - the container's init marks every descriptor from 3 up close-on-exec just
 *     before execve(), so the program starts with 0, 1 and 2 only. (The shim's
 *     exit hook gets the same treatment.)
 *
 * close_range(2) (Linux 5.9; the CLOSE_RANGE_CLOEXEC flag 5.11) does it in
 * one call. Older kernels say ENOSYS (or EINVAL for the flag); then we walk
 * /proc/self/fd, which lists the descriptors we have open.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include "shim.h"

/* Close, or mark close-on-exec, every descriptor >= first, one by one. */
static int walk_fds(unsigned first, int cloexec) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  if (!d) return -1;
  while ((e = readdir(d))) {
    char *end;
    long fd = strtol(e->d_name, &end, 10);
    if (*end || e->d_name[0] == '.' || fd < (long)first || fd == dirfd(d)) continue;
    if (cloexec)
      fcntl(fd, F_SETFD, FD_CLOEXEC);
    else
      close(fd);
  }
  closedir(d);
  return 0;
}

static int fds_from(unsigned first, int cloexec) {
  if (syscall(SYS_close_range, first, ~0U, cloexec ? CLOSE_RANGE_CLOEXEC : 0) == 0) return 0;
  if (errno != ENOSYS && errno != EINVAL) return -1;
  return walk_fds(first, cloexec);
}

int close_fds_from(unsigned first) {
  return fds_from(first, 0);
}

int cloexec_fds_from(unsigned first) {
  return fds_from(first, 1);
}
