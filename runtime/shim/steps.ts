import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Step } from '../kernel/step.js';

/**
 * What each step the native shim reports means. The shim sends a key and the
 * exact command it ran; the title and the why live here, next to the rest of
 * the explain trace. test/unit/native-steps.test.ts keeps these keys and the
 * ones in native/*.c in sync.
 */
export const NATIVE_STEPS: Record<string, { title: string; why: string }> = {
  'close-fds': {
    title: 'Close the file descriptors the shim inherited',
    why: 'Whatever started glass may have had files open (a shell\'s `exec 300</etc`); an open descriptor is a way into the host that pivot_root cannot take away, so the shim keeps only stdin, stdout, stderr and its two protocol pipes.',
  },
  detach: {
    title: 'Detach the shim from the CLI',
    why: 'The shim forks and calls setsid() so it outlives this command: it keeps the container\'s stdio, log and exit code while nobody is attached.',
  },
  pty: {
    title: 'Allocate a pseudo-terminal inside the container',
    why: 'With -t the process gets a terminal from the container\'s own /dev/pts, so line editing, job control and `tty` work; the shim holds the other end.',
  },
  'exit-reserve': {
    title: 'Reserve disk space for the exit record',
    why: 'The container\'s writable layer shares a filesystem with its state, so the container can fill the disk. The shim reserves exit.json\'s space now (fallocate) and keeps the file open: at exit the code is written into that space, which needs no new block, so a full disk cannot lose it.',
  },
  clone: {
    title: 'Create the container process in new namespaces',
    why: 'clone() with CLONE_NEW* flags gives the child its own view of process IDs, mounts, hostname, IPC and network: it will see itself as PID 1 and none of the host\'s processes.',
  },
  'shim-record': {
    title: 'Record the shim and the init in shim.json',
    why: 'The shim writes its own pid and start time (a pid alone can be reused) and the init\'s pid as soon as the init exists, before the runtime hears of it: if the glass command that started the container is killed, the container can still be found as running and is never started twice.',
  },
  'wait-go': {
    title: 'Wait until the runtime has finished host-side set-up',
    why: 'The child blocks on a pipe so the runtime can put it in its cgroup before it runs anything: nothing it forks can escape the cgroup.',
  },
  cgroupns: {
    title: 'Enter a new cgroup namespace',
    why: 'Unsharing the cgroup namespace after joining the container\'s cgroup makes that cgroup the root of its view: /proc/self/cgroup shows "/" and the host\'s tree stays hidden.',
  },
  'mount-private': {
    title: 'Make every mount private',
    why: 'The new mount namespace starts as a copy of the host\'s; marking it private stops the container\'s mounts from propagating back to the host (and the host\'s into it).',
  },
  'mount-overlay': {
    title: 'Mount the overlay root filesystem',
    why: 'overlayfs stacks the read-only image layers (lowerdir) under the container\'s own writable directory (upperdir): writes land in upperdir, the image is never changed, and the mount exists only in the container\'s namespace.',
  },
  'mount-proc': {
    title: 'Mount /proc for the new PID namespace',
    why: 'A fresh procfs shows only the processes of the container\'s PID namespace, so ps inside lists just its own.',
  },
  'mount-sys': {
    title: 'Mount /sys read-only',
    why: 'Programs expect /sys; read-only so the container cannot reconfigure the host\'s devices and kernel. (--privileged mounts it read-write: the command shows rw.)',
  },
  'mount-cgroup': {
    title: 'Mount the container\'s own cgroup at /sys/fs/cgroup',
    why: 'On cgroup v2 the container sees its limits where programs look for them (cat /sys/fs/cgroup/memory.max). Its cgroup namespace makes its own cgroup the root of this mount, so nothing of the host\'s tree shows; read-only, so it can read its limits but not raise them (--privileged: rw).',
  },
  'mount-dev': {
    title: 'Mount a private /dev',
    why: 'A small tmpfs replaces the host\'s /dev so the container sees only the handful of safe devices created next. It is mounted nodev (like the overlay root): the kernel refuses to open any device node on it, so a node for the host\'s disk made with mknod is useless.',
  },
  mknod: {
    title: 'Create the standard device nodes',
    why: 'null, zero, full, random, urandom and tty are the character devices every program may use; the host\'s disks and other devices are left out. The container\'s /dev is nodev, so each is the host\'s own node bind-mounted onto an empty file (a bind mount keeps the host /dev\'s flags). This is glass\'s device defence on cgroup v1 and v2 alike: v2 has no devices cgroup, and glass needs no BPF program for it. --privileged gets a node for every host device instead.',
  },
  'mount-devpts': {
    title: 'Mount a new devpts instance on /dev/pts',
    why: 'A new devpts instance numbers the container\'s terminals from 0 and hides the host\'s.',
  },
  'mount-shm': {
    title: 'Mount /dev/shm',
    why: 'POSIX shared memory lives in a tmpfs at /dev/shm, private to this container\'s IPC namespace.',
  },
  'mount-mqueue': {
    title: 'Mount /dev/mqueue',
    why: 'POSIX message queues of the container\'s own IPC namespace.',
  },
  bind: {
    title: 'Bind-mount a host file into the container',
    why: 'A bind mount shows one host file or directory at a second place; here the runtime\'s generated /etc files appear inside the container. The mount point is looked up inside the container\'s root (openat2 RESOLVE_IN_ROOT), so a symlink in the image cannot send it to the host.',
  },
  'volume-copy': {
    title: 'Copy the image\'s files into the empty volume',
    why: 'A volume that is still empty when a container is created with it gets what the image has at that path (Docker\'s copy-up), so `-v /etc` shows the image\'s /etc rather than an empty directory, even in a container that never runs. cp -a keeps owners, modes, times, symlinks, hard links, device nodes and extended attributes; it reads the image\'s directory through the descriptor resolved inside the container\'s root, so a symlink in the image cannot make it copy the host\'s files. `--mount ...,volume-nocopy` skips it.',
  },
  'volume-bind': {
    title: 'Bind-mount a volume or host directory into the container',
    why: 'A volume is a directory outside the container\'s layers (<root>/volumes/<name>/_data); a bind mount shows it, or a host path you chose, at a path inside. Writes go straight to that directory, so they outlive the container. The mount is made in the container\'s own mount namespace (it vanishes with it) and its target is resolved inside the container\'s root, so a symlink in the image cannot lead it onto the host.',
  },
  'volume-remount': {
    title: 'Set the bind mount\'s own flags (read-only, nodev)',
    why: 'A new bind mount carries its source\'s flags; a remount changes those of this mount only: `:ro` makes it read-only here while the source stays writable on the host, and nodev keeps glass\'s device defence (no device node on it can be opened). Flags the source already had (nosuid, noexec) are kept.',
  },
  'volume-tmpfs': {
    title: 'Mount a tmpfs',
    why: 'A tmpfs is a filesystem in memory: fast scratch space, never written to disk, gone when the container stops. By default nosuid, nodev and noexec, as Docker mounts it.',
  },
  mask: {
    title: 'Mask the host kernel\'s files in /proc and /sys',
    why: '/proc and /sys show the host\'s kernel, not just the container: /proc/kcore is its memory, /proc/keys its keyrings, /proc/timer_list and /proc/sched_debug its tasks, /sys/firmware its firmware. /dev/null is bound over each file and an empty read-only tmpfs over each directory, as Docker does.',
  },
  readonly: {
    title: 'Make /proc/sys and friends read-only',
    why: 'Writing /proc/sys changes the host\'s kernel settings (sysctl) and /proc/sysrq-trigger can crash or reboot the machine. Each path is bind-mounted onto itself and that mount remounted read-only: readable, never writable.',
  },
  hostname: {
    title: 'Set the container\'s hostname',
    why: 'In its own UTS namespace the container can have its own hostname without changing the host\'s.',
  },
  loopback: {
    title: 'Bring up the loopback interface',
    why: 'A new network namespace has only `lo`, and it starts down; raising it lets programs talk to 127.0.0.1 inside the container.',
  },
  'pivot-root': {
    title: 'Switch the root filesystem with pivot_root',
    why: 'pivot_root makes the overlay the new / and moves the host\'s root aside, then it is unmounted: unlike chroot, no path leads back to the host\'s files.',
  },
  user: {
    title: 'Switch to the container\'s user',
    why: 'The user is looked up in the container\'s own /etc/passwd and /etc/group; setgroups, setgid and setuid then drop root if a user was asked for.',
  },
  'rootfs-readonly': {
    title: 'Make the root filesystem read-only (--read-only)',
    why: 'The overlay root is remounted read-only: the container cannot change its own files, so a compromised program cannot plant anything. /dev, /dev/shm, /proc and the bind mounts are mounts of their own and stay writable.',
  },
  seccomp: {
    title: 'Load the seccomp filter',
    why: 'A BPF program in the kernel now checks every system call before it runs: the ~350 ordinary ones pass, the rest fail with EPERM (reboot, kexec, module loading, the keyring, mount and unshare without CAP_SYS_ADMIN, clone with namespace flags...). It is inherited by every child and can never be removed. It is loaded while the init is still full root: without no_new_privs, loading a filter needs CAP_SYS_ADMIN.',
  },
  capabilities: {
    title: 'Drop capabilities',
    why: 'Root\'s power is ~41 separate capabilities, each checked by the kernel for its own operations. The container keeps Docker\'s 14 (chown, kill, setuid, bind low ports, mknod...), and the bounding set is cut so nothing it runs, not even a setuid binary, can get the others back: no SYS_ADMIN means mount, unshare and setns are refused; no SYS_MODULE, no kernel modules; no SYS_TIME, no clock changes. A non-root user\'s program starts with none at all.',
  },
  'no-new-privileges': {
    title: 'Set no_new_privs',
    why: 'A one-way switch, inherited by every child: execve() never grants more than the caller had, so setuid binaries (su, sudo) and file capabilities stop working as ways up.',
  },
  cwd: {
    title: 'Change to the working directory',
    why: 'The process starts in the image\'s WorkingDir or -w; it is created if missing (inside the container\'s root, even through a symlink), as Docker does.',
  },
  stdio: {
    title: 'Connect stdin, stdout and stderr',
    why: 'File descriptors 0, 1 and 2 become the pseudo-terminal, or the pipes the shim reads and writes (stdin is /dev/null unless -i), so the program\'s input and output flow through the shim to the log and attached clients.',
  },
  'cloexec-fds': {
    title: 'Mark every other file descriptor close-on-exec',
    why: 'Only 0, 1 and 2 may reach the container\'s program: the shim\'s pipes and anything else still open are closed by the kernel at execve, so no descriptor leads back to the host.',
  },
  exec: {
    title: 'Execute the container\'s command',
    why: 'execve replaces the prepared child with the requested program: the container\'s PID 1, or with glass exec one more process beside it.',
  },
  // glass exec (native/exec.c, nsenter.c): joining a running container.
  'ns-open': {
    title: 'Open the container\'s namespaces',
    why: 'Each namespace of a process is a file in /proc/<pid>/ns/. The exec shim opens those of the container\'s init (checking it is still the same process) and keeps the descriptors: a descriptor holds the namespace, whatever happens to the pid.',
  },
  'setns-pid': {
    title: 'Join the container\'s PID namespace (for the next child)',
    why: 'setns() into a PID namespace only decides where the caller\'s future children are born (a process never changes its own pid), so the shim joins it and then forks: the new process gets a pid inside the container and appears in its `ps`. The shim itself stays outside the container.',
  },
  fork: {
    title: 'Fork the process that will run the command',
    why: 'A plain fork(), not clone() with CLONE_NEW* flags: this process gets no namespace of its own. It is born in the container\'s PID namespace and joins the others itself; the shim stays its parent to relay its stdio and record its exit code.',
  },
  'non-dumpable': {
    title: 'Hide the entering process from the container until it execs',
    why: 'Until execve() the process exec forks still runs the host\'s glass-shim and holds host files open; inside the container\'s PID namespace, /proc/<pid>/exe and /proc/<pid>/fd would hand them to the container (CVE-2019-5736, CVE-2024-21626). A non-dumpable process\'s /proc entries need CAP_SYS_PTRACE, which the container lacks; execve() of the container\'s program makes it dumpable again.',
  },
  'cgroup-join': {
    title: 'Join the container\'s cgroups',
    why: 'Writing a pid into cgroup.procs moves that process into the cgroup: from now on the exec\'d process and everything it starts count against the container\'s limits, are frozen by pause and killed when the container stops.',
  },
  'setns-user': {
    title: 'Join the container\'s user namespace',
    why: 'The container has user IDs of its own; joining its user namespace first gives the rights over the namespaces it owns, which the next setns() calls need.',
  },
  'setns-ipc': {
    title: 'Join the container\'s IPC namespace',
    why: 'setns() moves the process into the container\'s System V IPC and POSIX message queues: it shares them with the container\'s processes and no longer sees the host\'s.',
  },
  'setns-uts': {
    title: 'Join the container\'s UTS namespace',
    why: 'The hostname belongs to the UTS namespace: after setns() `hostname` prints the container\'s name.',
  },
  'setns-net': {
    title: 'Join the container\'s network namespace',
    why: 'The process now has the container\'s network stack: its interfaces, addresses, routes and ports, not the host\'s.',
  },
  'setns-cgroup': {
    title: 'Join the container\'s cgroup namespace',
    why: 'Its view of the cgroup tree is the container\'s: /proc/self/cgroup shows "/", as it does for the container\'s own processes.',
  },
  'setns-mnt': {
    title: 'Join the container\'s mount namespace',
    why: 'setns() into a mount namespace also moves the root and working directory to that namespace\'s root: the container\'s overlay, since its init did pivot_root(). From here on the process sees only the container\'s files; the host\'s are out of reach.',
  },
  'exit-record': {
    title: 'Record the exit code in exit.json',
    why: 'The shim writes the exit status into the space it reserved at start (exit.json.tmp), cuts the file to length and renames it over exit.json: rename is atomic, so `ps`, `wait` and `inspect` read the whole record or none, even after the shim is gone. If it still cannot be written, the shim keeps the code, tells every client that attaches, and tries again each second.',
  },
  'cgroup-remove': {
    title: 'Remove the container\'s cgroups',
    why: 'A cgroup directory can only be removed once no process is left in it and no child cgroup below it (a container may mount its cgroup hierarchy and make some). The shim removes it once the init is gone; if the kernel says busy, it kills what is left in the whole subtree and removes children before parents, retrying while the kernel finishes tearing the processes down.',
  },
  'exit-hook': {
    title: 'Start the --rm clean-up',
    why: 'A container started with --rm is removed when it exits; when no attached glass is left to do it (run -d, or a killed CLI), the shim starts the removal command itself, in a session of its own.',
  },
};

/** Title and why of a step key (the key itself for one this runtime does not know). */
export function nativeStep(key: string): { title: string; why: string } {
  return NATIVE_STEPS[key] ?? { title: key, why: '' };
}

/** One line of <state-dir>/exit-steps.jsonl, as native/exit.c writes it. */
interface ExitStepRecord {
  key: string;
  command: string;
  phase: 'done' | 'failed';
  error?: string;
  time: string;
}

/**
 * The shim's exit-time steps (exit.json, cgroup removal, the --rm hook), which
 * it records in <state-dir>/exit-steps.jsonl because nobody may be listening
 * when a container exits. The file is complete once the shim has exited
 * (exit.json appears first, the other steps a moment later). Lines that do
 * not parse (a shim killed mid-write) are skipped.
 */
export function readExitSteps(stateDir: string): Step[] {
  let text: string;
  try {
    text = readFileSync(join(stateDir, 'exit-steps.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const steps: Step[] = [];
  for (const line of text.split('\n')) {
    let r: ExitStepRecord;
    try {
      r = JSON.parse(line) as ExitStepRecord;
    } catch {
      continue;
    }
    if (typeof r?.key !== 'string') continue;
    const at = new Date(r.time);
    steps.push({
      ...nativeStep(r.key),
      command: r.command ?? '',
      by: 'shim',
      phase: r.phase === 'failed' ? 'failed' : 'done',
      ...(r.phase === 'failed' ? { error: r.error ?? '' } : {}),
      at: Number.isNaN(at.getTime()) ? new Date(0) : at,
    });
  }
  return steps;
}
