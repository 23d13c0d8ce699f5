/**
 * The command catalog: every glass command and flag, described once, as data.
 *
 * The parser (parse.ts), `glass help` (help.ts), the lesson runner and the
 * language server all read this file, so a flag added here is parsed, shown in
 * help, hovered and completed everywhere at once. Summaries follow Docker's
 * meaning (so habits carry over); `explain` and `kernel` are what glass adds:
 * what the command or flag makes the kernel do, in plain language.
 */

import { ARCHIVE_COMMANDS } from './commands-archive.js';
import { PUSH_COMMANDS } from './commands-push.js';
import { PULL_COMMANDS } from './commands-pull.js';
import { VOLUME_COMMANDS } from './commands-volumes.js';
import { LAYER_COMMANDS } from './commands-layers.js';
import { CP_COMMANDS } from './commands-cp.js';
import { LINK_FLAGS, NETWORK_COMMANDS } from './commands-networks.js';
import { PORT_COMMANDS, PORT_FLAGS } from './commands-ports.js';
import { NET_FLAGS } from './commands-net-flags.js';
import { BUILD_COMMANDS } from './commands-build.js';

export type FlagType = 'bool' | 'string' | 'list' | 'int' | 'duration';

export interface FlagSpec {
  /** Long name without the leading `--`. */
  name: string;
  /** One-letter shorthand without the leading `-`. */
  short?: string;
  type: FlagType;
  /** Placeholder shown in help after the flag; defaults to the type, as Docker shows it. */
  valueName?: string;
  /** Value when the flag is not given; omitted means the type's zero value. Durations are Go strings ("10s"). */
  default?: string | number | boolean;
  /** One line, Docker-like. */
  summary: string;
  /** Plain language for learners (hovers, lessons). */
  explain?: string;
  /** The kernel feature this flag touches, e.g. 'UTS namespace'. */
  kernel?: string;
}

export interface ArgSpec {
  name: string;
  required: boolean;
  /** Takes all remaining positionals (only the last arg may be variadic). */
  variadic?: boolean;
}

export type CommandGroup = 'containers' | 'images' | 'system';

export interface CommandSpec {
  name: string;
  aliases?: string[];
  /** Full usage line, e.g. "glass run [OPTIONS] IMAGE [COMMAND] [ARG...]". */
  usage: string;
  /** One line, Docker-like. */
  summary: string;
  /** 2-4 sentences, plain language: what happens in the kernel. */
  explain: string;
  /** Kernel features touched. */
  kernel: string[];
  flags: FlagSpec[];
  args: ArgSpec[];
  /**
   * Whether flags may appear after positionals. False for run/create: flags
   * stop at the image, and everything after it is the container's command
   * (`glass run busybox ls -l` must not read `-l` as a glass flag).
   */
  interspersed: boolean;
  group: CommandGroup;
}

// ---------------------------------------------------------------------------
// Global flags: accepted before the command and among any command's flags.

export const GLOBAL_FLAGS: FlagSpec[] = [
  {
    name: 'root',
    type: 'string',
    summary: 'State directory (default $GLASS_ROOT or /var/lib/glass)',
    explain:
      'Images, containers and logs live under this one directory. Tests and demos point it somewhere ' +
      'private so they never touch the real store. glass makes it if needed and marks it with glass-root.json; ' +
      'it refuses /, the kernel\'s own trees (/proc, /sys, /dev) and anyone else\'s non-empty directory, since ' +
      'it creates and deletes freely in its root. A relative path is taken from the current directory.',
  },
  {
    name: 'explain',
    type: 'bool',
    summary: 'Print each kernel step as it happens',
    explain:
      'Shows every action glass takes in the kernel (a mount, a namespace, a cgroup write) with why a ' +
      'container needs it and the shell command you could type to do the same by hand.',
  },
  {
    name: 'help',
    short: 'h',
    type: 'bool',
    summary: 'Print usage',
    explain: "Prints the command's usage, options and what it does in the kernel, then exits.",
  },
  {
    name: 'no-color',
    type: 'bool',
    summary: 'Print without colours',
    explain: 'Plain output, for logs, pipes and terminals without colour.',
  },
];

// ---------------------------------------------------------------------------
// Flags shared by several commands, described once.

const detach: FlagSpec = {
  name: 'detach',
  short: 'd',
  type: 'bool',
  summary: 'Run container in background and print container ID',
  explain:
    'glass returns as soon as the container has started. The shim, a small monitor process in its own ' +
    'session, stays behind as the container\'s parent: it keeps the output in the log and records the exit code.',
  kernel: 'sessions (setsid)',
};

const interactive: FlagSpec = {
  name: 'interactive',
  short: 'i',
  type: 'bool',
  summary: 'Keep STDIN open even if not attached',
  explain:
    "Connects your terminal's input to the container's standard input through a pipe held by the shim, so " +
    'the process can read what you type.',
  kernel: 'pipes (file descriptor 0)',
};

const tty: FlagSpec = {
  name: 'tty',
  short: 't',
  type: 'bool',
  summary: 'Allocate a pseudo-TTY',
  explain:
    'Gives the container a pseudo-terminal instead of plain pipes, so shells show a prompt, editors work ' +
    'and Ctrl-C arrives as a signal. The terminal is a pair of devices from /dev/pts.',
  kernel: 'pseudo-terminals (devpts)',
};

const rm: FlagSpec = {
  name: 'rm',
  type: 'bool',
  summary: 'Automatically remove the container when it exits',
  explain:
    "When the process exits, glass deletes the container's writable layer, its state and its log, as if you " +
    'ran `glass rm` straight away. (Its overlay filesystem needs no unmounting: it was mounted only in the ' +
    "container's own mount namespace, and the kernel unmounts it when the container's last process exits.)",
  kernel: 'mount namespaces',
};

const name: FlagSpec = {
  name: 'name',
  type: 'string',
  summary: 'Assign a name to the container',
  explain: 'A name you can use instead of the container ID in every other command. Without one, glass picks a random name.',
};

const hostname: FlagSpec = {
  name: 'hostname',
  short: 'h',
  type: 'string',
  summary: 'Container host name',
  explain:
    'The container has its own UTS namespace, so sethostname() inside it changes only its own name. ' +
    'By default the name is the first 12 characters of the container ID.',
  kernel: 'UTS namespace',
};

const env: FlagSpec = {
  name: 'env',
  short: 'e',
  type: 'list',
  summary: 'Set environment variables',
  explain:
    'Each KEY=VALUE is added to the environment handed to execve() when the container process starts. ' +
    'A bare KEY copies the value from your own environment. Repeat the flag for more variables.',
  kernel: 'process environment (execve)',
};

const envFile: FlagSpec = {
  name: 'env-file',
  type: 'list',
  summary: 'Read in a file of environment variables',
  explain:
    'Reads KEY=VALUE lines from a file on the host (blank lines and # comments are skipped) and adds them like -e. ' +
    'As in Docker, a line may be at most 64 KiB; the file is read as a stream, so one without line ends ' +
    '(/dev/zero) is refused at once.',
  kernel: 'process environment (execve)',
};

const workdir: FlagSpec = {
  name: 'workdir',
  short: 'w',
  type: 'string',
  summary: 'Working directory inside the container',
  explain:
    "The directory the process starts in, inside the container's filesystem: the path is resolved after " +
    'pivot_root, so it names a directory of the image, not of the host.',
  kernel: 'mount namespace (chdir after pivot_root)',
};

const user: FlagSpec = {
  name: 'user',
  short: 'u',
  type: 'string',
  summary: 'Username or UID (format: <name|uid>[:<group|gid>])',
  explain:
    "Runs the process as another user. Names are looked up in the image's /etc/passwd and /etc/group, then " +
    'setgroups(), setgid() and setuid() drop root just before exec.',
  kernel: 'user and group IDs (setuid/setgid)',
};

const entrypoint: FlagSpec = {
  name: 'entrypoint',
  type: 'string',
  summary: 'Overwrite the default ENTRYPOINT of the image',
  explain:
    "Replaces the program the image says to start. The command after the image name becomes this program's arguments.",
};

const logDriver: FlagSpec = {
  name: 'log-driver',
  type: 'string',
  summary: 'Logging driver for the container',
  explain:
    'Where the shim keeps what the container prints. glass has one driver, json-file (Docker\'s default): one JSON ' +
    'line per line of output, with its stream and time, in a file under the container\'s state directory. Any ' +
    'other name is refused.',
};

const logOpt: FlagSpec = {
  name: 'log-opt',
  type: 'list',
  summary: 'Log driver options',
  explain:
    'key=value options of the json-file driver. max-size=10m starts a new file once the current one would grow ' +
    'past 10 MB (k, m, g are powers of 1000, as in Docker; plain numbers are bytes); max-file=3 keeps at most three ' +
    'files, the oldest deleted. This is rotation: a container that prints for ever must not fill the disk. Docker ' +
    'keeps everything unless told otherwise; glass defaults to max-size=10m and max-file=3 (at most about 30 MB per ' +
    'container, the values Docker\'s documentation suggests), and `glass inspect` shows them under HostConfig.LogConfig.',
  kernel: 'files (rename, O_APPEND)',
};

const label: FlagSpec = {
  name: 'label',
  short: 'l',
  type: 'list',
  summary: 'Set meta data on a container',
  explain:
    'KEY=VALUE (or a bare KEY for an empty value), repeatable: a note that glass keeps with the container in its ' +
    'config.json, merged over the image\'s own labels. Nothing in the kernel sees it; it is there to find containers ' +
    'by: `glass ps --filter label=KEY=VALUE`, `glass events --filter label=KEY`, and `glass inspect` shows them under Config.Labels.',
};

const labelFile: FlagSpec = {
  name: 'label-file',
  type: 'list',
  summary: 'Read in a line delimited file of labels',
  explain:
    'Reads KEY=VALUE lines from a file on the host (blank lines and # comments are skipped, as in an env file) and adds ' +
    'them like -l; a -l with the same KEY wins. Like -l, they are only glass\'s own metadata in the container\'s config.json.',
};

const stopTime: FlagSpec = {
  name: 'time',
  short: 't',
  type: 'int',
  default: 10,
  summary: 'Seconds to wait for stop before killing it',
  explain:
    'glass first sends SIGTERM so the process can clean up, waits this many seconds, then sends SIGKILL, ' +
    'which no process can catch.',
  kernel: 'signals (SIGTERM, then SIGKILL)',
};

const noTrunc: FlagSpec = {
  name: 'no-trunc',
  type: 'bool',
  summary: "Don't truncate output",
  explain: 'Shows full 64-character IDs and whole commands instead of shortening them to fit the table.',
};

// Confinement (runtime/engine/containers/security.ts; native/security.c): what root in the container may do.

const capAdd: FlagSpec = {
  name: 'cap-add',
  type: 'list',
  summary: 'Add Linux capabilities',
  explain:
    "Root's power is split into ~40 capabilities, each checked by the kernel for its own operations. A container keeps " +
    "Docker's 14 (CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, " +
    'NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE); --cap-add gives one more (NET_ADMIN, SYS_TIME, with or without ' +
    'CAP_, any case) or ALL. Adding one also opens the seccomp rules that go with it (SYS_ADMIN: mount, unshare, setns). ' +
    'Read the result in /proc/self/status (CapEff).',
  kernel: 'capabilities (capset, PR_CAPBSET_DROP)',
};

const capDrop: FlagSpec = {
  name: 'cap-drop',
  type: 'list',
  summary: 'Drop Linux capabilities',
  explain:
    'Removes a capability from the default set (or ALL of them: then only --cap-add ones are kept). The shim cuts the ' +
    'bounding set too, so nothing the container runs, not even a setuid-root binary, can get it back. --cap-drop CHOWN: ' +
    'even root cannot chown.',
  kernel: 'capabilities (capset, PR_CAPBSET_DROP)',
};

const securityOpt: FlagSpec = {
  name: 'security-opt',
  type: 'list',
  summary: 'Security Options',
  explain:
    'seccomp=unconfined runs without a seccomp filter; seccomp=PROFILE.json uses your own profile (Docker\'s JSON format; ' +
    'read when the container is created). By default the container gets Docker\'s profile: a BPF filter in the kernel ' +
    'that refuses (EPERM) the ~100 system calls an ordinary program never needs (reboot, kexec_load, init_module, ' +
    'keyctl, and mount/unshare/clone with namespace flags without CAP_SYS_ADMIN). no-new-privileges sets no_new_privs: ' +
    'setuid binaries and file capabilities can no longer raise privileges.',
  kernel: 'seccomp (BPF filter), no_new_privs (prctl)',
};

const privileged: FlagSpec = {
  name: 'privileged',
  type: 'bool',
  summary: 'Give extended privileges to this container',
  explain:
    'Lifts the confinement: every capability (SYS_ADMIN, SYS_MODULE...), no seccomp filter, /sys and /proc writable, no ' +
    'masked paths, and a node for every host device in /dev. Root in such a container is root on the host: it can mount ' +
    'the host\'s disk and read or change anything. Meant for tools that manage the machine, never for untrusted code.',
  kernel: 'capabilities, seccomp, device nodes',
};

const readOnly: FlagSpec = {
  name: 'read-only',
  type: 'bool',
  summary: "Mount the container's root filesystem as read only",
  explain:
    'The overlay root is remounted read-only after it is set up, so the container cannot change its own files; /dev, ' +
    '/dev/shm, /proc and the /etc/hosts-style bind mounts are separate mounts and stay writable.',
  kernel: 'mount flags (MS_RDONLY remount)',
};

const groupAdd: FlagSpec = {
  name: 'group-add',
  type: 'list',
  summary: 'Add additional groups to join',
  explain:
    "A group name (looked up in the image's /etc/group) or a gid, added to the process's supplementary groups with " +
    'setgroups() before it starts; `id` shows it. Repeat for more.',
  kernel: 'supplementary groups (setgroups)',
};

// Resource limits (runtime/engine/containers/limits.ts; runtime/kernel/cgroup/v1, v2): each is a number
// glass writes into a file of the container's cgroup before its process runs.

const memory: FlagSpec = {
  name: 'memory',
  short: 'm',
  type: 'string',
  valueName: 'bytes',
  summary: 'Memory limit',
  explain:
    'The most RAM the container may use: a number with b, k, m or g (powers of 1024, at least 6m). glass writes it to ' +
    'the cgroup\'s memory.limit_in_bytes (v1) or memory.max (v2). At the limit the kernel first reclaims page cache, ' +
    'then its OOM killer kills a process of this container only: exit code 137 and `inspect` shows State.OOMKilled true. ' +
    'Without --memory-swap the container may also swap as much as -m (Docker\'s default).',
  kernel: 'cgroups: memory controller (memory.limit_in_bytes / memory.max)',
};

const memorySwap: FlagSpec = {
  name: 'memory-swap',
  type: 'string',
  valueName: 'bytes',
  summary: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
  explain:
    'Memory and swap together (not swap alone), so it must be at least -m; -1 lets the container swap without limit. ' +
    'On v1 it is memory.memsw.limit_in_bytes (only on kernels with swap accounting); on v2 memory.swap.max gets the ' +
    'difference, --memory-swap minus -m.',
  kernel: 'cgroups: memory controller (memory.memsw.limit_in_bytes / memory.swap.max)',
};

const memoryReservation: FlagSpec = {
  name: 'memory-reservation',
  type: 'string',
  valueName: 'bytes',
  summary: 'Memory soft limit',
  explain:
    'A soft limit: nothing happens while the host has memory to spare; when it runs short, the kernel reclaims from ' +
    'containers above their reservation first. memory.soft_limit_in_bytes on v1, memory.low on v2.',
  kernel: 'cgroups: memory controller (memory.soft_limit_in_bytes / memory.low)',
};

const oomKillDisable: FlagSpec = {
  name: 'oom-kill-disable',
  type: 'bool',
  summary: 'Disable OOM Killer',
  explain:
    'At the memory limit, the container\'s processes wait for memory instead of one of them being killed (v1 ' +
    'memory.oom_control). Use it only with -m, or a runaway container can hang the host. cgroup v2 has no such switch: ' +
    'there it is dropped with a warning, as Docker does.',
  kernel: 'cgroups: memory controller (memory.oom_control)',
};

const cpuShares: FlagSpec = {
  name: 'cpu-shares',
  short: 'c',
  type: 'int',
  summary: 'CPU shares (relative weight)',
  explain:
    'A weight against other containers, used only while they compete for a CPU: 512 gets half the time of the default ' +
    '1024. An idle CPU is still used in full. v1 writes cpu.shares; v2 converts it to cpu.weight the way runc does ' +
    '(1 + (shares - 2) × 9999 / 262142).',
  kernel: 'cgroups: cpu controller (cpu.shares / cpu.weight)',
};

const cpus: FlagSpec = {
  name: 'cpus',
  type: 'string',
  valueName: 'decimal',
  summary: 'Number of CPUs',
  explain:
    'A hard cap on CPU time: --cpus 0.5 lets the container run 50 ms in every 100 ms, then the scheduler holds it until ' +
    'the next period, even if the CPU is idle. glass writes cpu.cfs_period_us 100000 and cpu.cfs_quota_us 50000 (v1) or ' +
    'cpu.max "50000 100000" (v2). At most the host\'s CPU count.',
  kernel: 'cgroups: cpu controller, CFS bandwidth (cpu.cfs_quota_us / cpu.max)',
};

const cpuQuota: FlagSpec = {
  name: 'cpu-quota',
  type: 'int',
  summary: 'Limit CPU CFS (Completely Fair Scheduler) quota',
  explain: 'Microseconds of CPU time the container may use per period (at least 1000; -1 = no limit). --cpus is the simpler way to say the same.',
  kernel: 'cgroups: cpu controller (cpu.cfs_quota_us / cpu.max)',
};

const cpuPeriod: FlagSpec = {
  name: 'cpu-period',
  type: 'int',
  summary: 'Limit CPU CFS (Completely Fair Scheduler) period',
  explain: 'The length of the period the quota refills in, in microseconds (1000 to 1000000; the kernel\'s default is 100000). Cannot be combined with --cpus.',
  kernel: 'cgroups: cpu controller (cpu.cfs_period_us / cpu.max)',
};

const cpusetCpus: FlagSpec = {
  name: 'cpuset-cpus',
  type: 'string',
  summary: 'CPUs in which to allow execution (0-3, 0,1)',
  explain: 'Pins the container to these CPUs: the scheduler never runs its processes anywhere else. Written to cpuset.cpus; the CPUs must exist on the host.',
  kernel: 'cgroups: cpuset controller (cpuset.cpus)',
};

const pidsLimit: FlagSpec = {
  name: 'pids-limit',
  type: 'int',
  summary: 'Tune container pids limit (set -1 for unlimited)',
  explain:
    'The most processes and threads the container may have at once (pids.max). Past it fork() fails with "Resource ' +
    'temporarily unavailable", so a fork bomb stays inside the container and the host keeps working.',
  kernel: 'cgroups: pids controller (pids.max)',
};

/** The limit flags of run and create; update takes the same but --oom-kill-disable. */
const LIMIT_FLAGS: FlagSpec[] = [memory, memorySwap, memoryReservation, oomKillDisable, cpuShares, cpus, cpuQuota, cpuPeriod, cpusetCpus, pidsLimit];

// Storage from outside the container's layers (volumes, binds, tmpfs): native/volumes.c mounts them.
const volume: FlagSpec = {
  name: 'volume',
  short: 'v',
  type: 'list',
  valueName: 'list',
  summary: 'Bind mount a volume',
  explain:
    '`-v /path`: a new anonymous volume at /path; `-v name:/path`: the named volume (made on first use); `-v /host/dir:/path`: ' +
    'your own host directory or file. Add `:ro` for read-only. A volume is a directory glass keeps in <root>/volumes/<name>/_data, ' +
    'outside every layer, so its files survive `rm`; an empty one is first filled with what the image has at that path. ' +
    'It is bind-mounted in the container\'s own mount namespace, at a path resolved inside its root.',
  kernel: 'bind mounts (mount --bind, remount ro/nodev)',
};

const mount: FlagSpec = {
  name: 'mount',
  type: 'list',
  valueName: 'mount',
  summary: 'Attach a filesystem mount to the container',
  explain:
    'The long form of -v: `type=volume|bind|tmpfs,source=...,target=...[,readonly][,volume-nocopy]`. Unlike -v, a bind source ' +
    'that does not exist is an error instead of a new directory; volume-nocopy skips filling an empty volume from the image.',
  kernel: 'bind mounts, tmpfs',
};

const tmpfs: FlagSpec = {
  name: 'tmpfs',
  type: 'list',
  valueName: 'list',
  summary: 'Mount a tmpfs directory',
  explain: '`--tmpfs /run[:size=64m,mode=1777]`: a filesystem in memory at that path, noexec, nosuid and nodev, gone when the container stops.',
  kernel: 'tmpfs',
};

const volumesFrom: FlagSpec = {
  name: 'volumes-from',
  type: 'list',
  valueName: 'list',
  summary: 'Mount volumes from the specified container(s)',
  explain: '`--volumes-from CONTAINER[:ro]`: every volume and bind mount of that container, at the same paths (read-only with :ro), so two containers share files.',
  kernel: 'bind mounts',
};

const STORAGE_FLAGS: FlagSpec[] = [volume, mount, tmpfs, volumesFrom];

const RUN_ARGS: ArgSpec[] = [
  { name: 'IMAGE', required: true },
  { name: 'COMMAND', required: false },
  { name: 'ARG', required: false, variadic: true },
];

const CONTAINER_KERNEL = [
  'overlayfs',
  'mount namespace',
  'PID namespace',
  'UTS namespace',
  'IPC namespace',
  'network namespace',
  'cgroups',
  'pivot_root',
];

const containers = (required = true): ArgSpec[] => [{ name: 'CONTAINER', required, variadic: true }];

// ---------------------------------------------------------------------------
// Commands. The lesson that first teaches each command and flag: lessons.ts.

export const COMMANDS: CommandSpec[] = [
  {
    name: 'run',
    usage: 'glass run [OPTIONS] IMAGE [COMMAND] [ARG...]',
    summary: 'Run a command in a new container',
    explain:
      "glass stacks the image's read-only layers under a fresh writable layer with an overlay mount, then " +
      'starts your command with clone() in new mount, PID, UTS, IPC and network namespaces, inside its own ' +
      "cgroup. pivot_root makes the overlay the process's /, so it sees only the image's files and is PID 1 " +
      'in its own process tree. A small monitor (the shim) stays as its parent to hold its output and record its exit code.',
    kernel: CONTAINER_KERNEL,
    flags: [detach, interactive, tty, rm, name, hostname, env, envFile, workdir, user, entrypoint, logDriver, logOpt, label, labelFile, capAdd, capDrop, securityOpt, privileged, readOnly, groupAdd, ...LIMIT_FLAGS, ...STORAGE_FLAGS, ...LINK_FLAGS, ...PORT_FLAGS, ...NET_FLAGS],
    args: RUN_ARGS,
    interspersed: false,
    group: 'containers',
  },
  {
    name: 'create',
    usage: 'glass create [OPTIONS] IMAGE [COMMAND] [ARG...]',
    summary: 'Create a new container',
    explain:
      'Prepares a container without starting it: glass records its configuration and makes its writable ' +
      'layer on disk, but no process, namespace or cgroup exists yet. `glass start` later creates those. ' +
      'This is the "Created" state you see in `glass ps -a`.',
    kernel: ['overlayfs (writable layer prepared on disk)'],
    flags: [interactive, tty, rm, name, hostname, env, envFile, workdir, user, entrypoint, logDriver, logOpt, label, labelFile, capAdd, capDrop, securityOpt, privileged, readOnly, groupAdd, ...LIMIT_FLAGS, ...STORAGE_FLAGS, ...LINK_FLAGS, ...PORT_FLAGS, ...NET_FLAGS],
    args: RUN_ARGS,
    interspersed: false,
    group: 'containers',
  },
  {
    name: 'start',
    usage: 'glass start [OPTIONS] CONTAINER [CONTAINER...]',
    summary: 'Start one or more stopped containers',
    explain:
      "Mounts the container's overlay filesystem and launches its command in new namespaces and a cgroup, " +
      'exactly as `run` does, reusing the writable layer it already has, so files changed in an earlier run are still there.',
    kernel: CONTAINER_KERNEL,
    flags: [
      {
        name: 'attach',
        short: 'a',
        type: 'bool',
        summary: 'Attach STDOUT/STDERR and forward signals',
        explain: "Stays connected to the container's output until it exits, and passes signals you receive (Ctrl-C) on to it.",
        kernel: 'signals',
      },
      { ...interactive, summary: "Attach container's STDIN" },
    ],
    args: containers(),
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'stop',
    usage: 'glass stop [OPTIONS] CONTAINER [CONTAINER...]',
    summary: 'Stop one or more running containers',
    explain:
      "Sends SIGTERM to the container's PID 1 and waits for it to exit. PID 1 in a PID namespace ignores " +
      'signals it has no handler for, so many programs do not stop on SIGTERM: after the timeout glass sends ' +
      'SIGKILL, which the kernel always delivers. When PID 1 dies, the kernel kills every other process in the namespace.',
    kernel: ['signals (SIGTERM, SIGKILL)', 'PID namespace'],
    flags: [stopTime],
    args: containers(),
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'kill',
    usage: 'glass kill [OPTIONS] CONTAINER [CONTAINER...]',
    summary: 'Kill one or more running containers',
    explain:
      "Sends one signal to the container's PID 1 with kill(), SIGKILL unless you choose another. There is no " +
      'grace period; a process cannot catch or ignore SIGKILL.',
    kernel: ['signals (kill)', 'PID namespace'],
    flags: [
      {
        name: 'signal',
        short: 's',
        type: 'string',
        default: 'KILL',
        summary: 'Signal to send to the container',
        explain: 'A name (KILL, TERM, HUP, with or without SIG) or a number (9, 15, 1).',
        kernel: 'signals',
      },
    ],
    args: containers(),
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'restart',
    usage: 'glass restart [OPTIONS] CONTAINER [CONTAINER...]',
    summary: 'Restart one or more containers',
    explain:
      'A stop followed by a start: SIGTERM, then SIGKILL after the timeout, then a new process in fresh ' +
      'namespaces on the same writable layer. The container keeps its ID, name and files, but gets a new PID.',
    kernel: ['signals (SIGTERM, SIGKILL)', ...CONTAINER_KERNEL],
    flags: [stopTime],
    args: containers(),
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'rm',
    usage: 'glass rm [OPTIONS] CONTAINER [CONTAINER...]',
    summary: 'Remove one or more containers',
    explain:
      "Deletes the container's writable layer (the overlay's upperdir), its cgroup directory, its log and its " +
      'state. Whatever the container wrote is gone; the image it came from is untouched. There is nothing to ' +
      "unmount: the overlay existed only in the container's mount namespace, which the kernel tore down when " +
      'its last process exited.',
    kernel: ['cgroups (rmdir)', 'overlayfs upperdir'],
    flags: [
      {
        name: 'force',
        short: 'f',
        type: 'bool',
        summary: 'Force the removal of a running container (uses SIGKILL)',
        explain: 'Kills a running container with SIGKILL first instead of refusing to remove it.',
        kernel: 'signals (SIGKILL)',
      },
      {
        name: 'volumes',
        short: 'v',
        type: 'bool',
        summary: 'Remove anonymous volumes associated with the container',
        explain: 'Its anonymous volumes (from `-v /path` or the image\'s VOLUME) go too, unless another container uses them. Named volumes are never removed with a container: `glass volume rm` does that.',
        kernel: 'files (rm -rf <root>/volumes/<id>)',
      },
    ],
    args: containers(),
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'ps',
    usage: 'glass ps [OPTIONS]',
    summary: 'List containers',
    explain:
      'Reads the state glass keeps for each container and asks the kernel whether its monitor (the shim) is ' +
      'still alive, by reading /proc/<pid>/stat and comparing the process start time, so a recycled pid is ' +
      'never mistaken for it. A container is only a process plus some kernel objects, so "Up" means that ' +
      'process exists.',
    kernel: ['/proc/<pid>/stat'],
    flags: [
      { name: 'all', short: 'a', type: 'bool', summary: 'Show all containers (default shows just running)' },
      {
        name: 'last',
        short: 'n',
        type: 'int',
        default: -1,
        summary: 'Show n last created containers (includes all states)',
      },
      {
        name: 'format',
        type: 'string',
        summary: 'Pretty-print containers using a Go template',
        explain: 'e.g. --format \'{{.Names}}\\t{{.Status}}\'; start it with "table " for aligned columns with headers. Fields: .ID .Image .Command .CreatedAt .RunningFor .Ports .Status .State .Names .Labels (k=v,k2=v2), and {{.Label "KEY"}} for one label\'s value.',
      },
      {
        name: 'filter',
        short: 'f',
        type: 'list',
        summary: 'Filter output based on conditions provided',
        explain:
          'KEY=VALUE, repeatable: id=PREFIX, name=REGEXP, status=created|running|exited, exited=CODE, ancestor=IMAGE, ' +
          'label=KEY or label=KEY=VALUE, volume=NAME or a mount path. Values of one key are alternatives, except label: every label filter must hold. ' +
          'Different keys must all match. A status filter looks at stopped containers too.',
      },
      { name: 'latest', short: 'l', type: 'bool', summary: 'Show the latest created container (includes all states)' },
      noTrunc,
      { name: 'quiet', short: 'q', type: 'bool', summary: 'Only display container IDs' },
    ],
    args: [],
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'logs',
    usage: 'glass logs [OPTIONS] CONTAINER',
    summary: 'Fetch the logs of a container',
    explain:
      "The shim holds the other end of the container's stdout and stderr pipes and writes every line to a " +
      'JSON log file with the stream it came from and a timestamp; a full file is rotated (renamed to .1, .2, and ' +
      'the oldest deleted, see --log-opt). `logs` reads the files back oldest first, stdout lines to your stdout ' +
      'and stderr lines to your stderr, streaming them, so a log of any size prints.',
    kernel: ['pipes (stdout, stderr)'],
    flags: [
      {
        name: 'follow',
        short: 'f',
        type: 'bool',
        summary: 'Follow log output',
        explain:
          'Keeps printing new lines as the container writes them, until it exits. When the shim rotates the file, ' +
          'glass notices that the name now points at a new file (another inode) and moves on to it, no line lost or repeated.',
      },
      {
        name: 'tail',
        short: 'n',
        type: 'string',
        default: 'all',
        summary: 'Number of lines to show from the end of the logs',
        explain: 'Reads the log backwards from its end, block by block (into older rotated files if needed), so the last lines of a huge log come at once.',
      },
      {
        name: 'timestamps',
        short: 't',
        type: 'bool',
        summary: 'Show timestamps',
        explain: 'Prefixes each line with the time the shim received it, in RFC 3339 with nanoseconds.',
      },
    ],
    args: [{ name: 'CONTAINER', required: true }],
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'wait',
    usage: 'glass wait CONTAINER [CONTAINER...]',
    summary: 'Block until one or more containers stop, then print their exit codes',
    explain:
      "Waits for the container's process to exit. The shim is its parent, so the shim collects the exit status " +
      'with waitpid() and records it; a status of 128+N means the process was killed by signal N (137 = SIGKILL).',
    kernel: ['waitpid', 'signals'],
    flags: [],
    args: containers(),
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'rename',
    usage: 'glass rename CONTAINER NEW_NAME',
    summary: 'Rename a container',
    explain:
      'Gives the container another name. A name is only glass bookkeeping (a file under <root>/names holding ' +
      "the container's ID), so nothing changes in the kernel: the process, its namespaces and its hostname stay as they are.",
    kernel: [],
    flags: [],
    args: [
      { name: 'CONTAINER', required: true },
      { name: 'NEW_NAME', required: true },
    ],
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'attach',
    usage: 'glass attach [OPTIONS] CONTAINER',
    summary: "Attach local standard input, output, and error streams to a running container",
    explain:
      "Connects your terminal to the container's stdio, which the shim has held since it started, over a unix " +
      'socket. Detaching leaves the container running, because its parent is the shim, not your shell.',
    kernel: ['unix sockets', 'pipes or pseudo-terminal'],
    flags: [
      { name: 'no-stdin', type: 'bool', summary: 'Do not attach STDIN' },
      {
        name: 'sig-proxy',
        type: 'bool',
        default: true,
        summary: 'Proxy all received signals to the process',
        explain: 'Signals sent to glass (Ctrl-C is SIGINT) are passed on to the container process.',
        kernel: 'signals',
      },
    ],
    args: [{ name: 'CONTAINER', required: true }],
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'exec',
    usage: 'glass exec [OPTIONS] CONTAINER COMMAND [ARG...]',
    summary: 'Run a command in a running container',
    explain:
      'A container is only a set of namespaces and cgroups its processes share, so another process can join it: ' +
      'a small exec shim opens /proc/<init pid>/ns/*, writes the new process into the container\'s cgroup.procs and ' +
      'calls setns() for each namespace (pid, ipc, uts, net, cgroup, mnt: `nsenter --target <pid> ...`), then forks; ' +
      'the child takes the container\'s user, environment, capabilities and seccomp filter and runs your command. It ' +
      'sees the container\'s processes, hostname and files, and when it exits the container runs on.',
    kernel: ['setns (namespaces)', 'PID namespace', 'mount namespace', 'cgroups (cgroup.procs)', 'capabilities', 'seccomp', 'pseudo-terminals (devpts)'],
    flags: [
      {
        name: 'detach',
        short: 'd',
        type: 'bool',
        summary: 'Detached mode: run command in the background',
        explain:
          'glass returns as soon as the command has started. Its exec shim, in a session of its own, stays its parent ' +
          'and records its exit code; nothing of its output is kept (exec output is not in the container\'s log).',
        kernel: 'sessions (setsid)',
      },
      {
        name: 'detach-keys',
        type: 'string',
        summary: 'Override the key sequence for detaching a container',
        explain: 'With -it, this key sequence (default ctrl-p,ctrl-q) leaves the session and lets the command run on; its shim keeps the terminal.',
      },
      env,
      envFile,
      { ...interactive, explain: "Connects your terminal's input to the command's standard input through a pipe (or its terminal with -t) held by its exec shim." },
      {
        name: 'privileged',
        type: 'bool',
        summary: 'Give extended privileges to the command',
        explain:
          'The command keeps every capability of root (CAP_SYS_ADMIN too) instead of the container\'s reduced set, as ' +
          'Docker does; the container\'s seccomp filter and no-new-privileges still apply.',
        kernel: 'capabilities',
      },
      { ...tty, explain: "Gives the command a pseudo-terminal from the container's own /dev/pts (so `tty` prints /dev/pts/N), sized like yours." },
      { ...user, explain: "Runs the command as another user, looked up in the container's own /etc/passwd and /etc/group. Default: the container's user." },
      { ...workdir, explain: "The directory the command starts in, inside the container (it must exist). Default: the container's working directory." },
    ],
    args: [
      { name: 'CONTAINER', required: true },
      { name: 'COMMAND', required: true },
      { name: 'ARG', required: false, variadic: true },
    ],
    interspersed: false,
    group: 'containers',
  },
  {
    name: 'export',
    usage: 'glass export [OPTIONS] CONTAINER',
    summary: "Export a container's filesystem as a tar archive",
    explain:
      "Writes the container's whole filesystem as seen through its overlay mount (image layers plus its own " +
      'changes, merged into one tree) as a tar archive. Metadata such as the command and environment is not included.',
    kernel: ['overlayfs'],
    flags: [
      {
        name: 'output',
        short: 'o',
        type: 'string',
        summary: 'Write to a file, instead of STDOUT',
      },
    ],
    args: [{ name: 'CONTAINER', required: true }],
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'top',
    usage: 'glass top CONTAINER [ps OPTIONS]',
    summary: 'Display the running processes of a container',
    explain:
      "Lists the processes in the container's cgroup, which holds every process the container made, even ones " +
      "that forked away from its init. glass reads the cgroup's cgroup.procs and runs the host's own ps for those " +
      'PIDs (ps -ef unless you give other ps options, such as aux or -o pid,comm), so the PIDs are the host\'s: ' +
      'inside the container the same processes have other numbers, starting at 1.',
    kernel: ['cgroups (cgroup.procs)', 'PID namespace', '/proc'],
    flags: [],
    args: [
      { name: 'CONTAINER', required: true },
      { name: 'ps OPTIONS', required: false, variadic: true },
    ],
    interspersed: false,
    group: 'containers',
  },
  {
    name: 'stats',
    usage: 'glass stats [OPTIONS] [CONTAINER...]',
    summary: 'Display a live stream of container(s) resource usage statistics',
    explain:
      "Reads each container's cgroup counters once a second: the CPU time its processes used (cpuacct.usage on " +
      'cgroup v1, cpu.stat on v2), the memory charged to it less the file cache the kernel can drop at once ' +
      '(memory.usage_in_bytes or memory.current, less inactive_file), its limit, the bytes it read and wrote on ' +
      'block devices and its number of tasks. CPU % compares two readings with the whole machine\'s CPU time ' +
      'from /proc/stat, as Docker does: 100% is one CPU kept busy. NET I/O counts its interfaces other than ' +
      "loopback (read in its network namespace from /proc/<pid>/net/dev: its eth0's received / sent bytes).",
    kernel: ['cgroups (cpuacct/cpu, memory, pids, blkio/io)', '/proc/stat', '/proc/<pid>/net/dev'],
    flags: [
      {
        name: 'all',
        short: 'a',
        type: 'bool',
        summary: 'Show all containers (default shows just running)',
        explain: 'Stopped containers are listed too, with zeros: a stopped container has no cgroup and uses nothing.',
      },
      {
        name: 'format',
        type: 'string',
        summary: 'Pretty-print stats using a Go template',
        explain:
          'e.g. --format \'{{.Name}}: {{.CPUPerc}} {{.MemUsage}}\'; start it with "table " for aligned columns with headers. ' +
          'Fields: .Container (the name or ID you gave) .Name .ID .CPUPerc .MemUsage .MemPerc .NetIO .BlockIO .PIDs.',
      },
      {
        name: 'no-stream',
        type: 'bool',
        summary: 'Disable streaming stats and only pull the first result',
        explain: 'Takes two readings a second apart (CPU % is a rate: it needs two) and prints one table instead of redrawing every second.',
      },
      { ...noTrunc, explain: 'Shows the full 64-character container IDs.' },
    ],
    args: [{ name: 'CONTAINER', required: false, variadic: true }],
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'xray',
    usage: 'glass xray [OPTIONS] CONTAINER',
    summary: 'Show a running container as the kernel sees it, beside the host',
    explain:
      'Everything that makes a process a container, read from the kernel\'s own files: its processes with their host and ' +
      'container PIDs (NSpid in /proc/<pid>/status), each namespace against the host\'s (/proc/<pid>/ns/* beside ' +
      '/proc/1/ns/*: a different inode is a namespace of its own), its cgroup with the limits written there and what it uses now, ' +
      'its capabilities decoded from CapEff and CapBnd, its seccomp mode and no_new_privs, its mount table ' +
      '(/proc/<pid>/mountinfo: the overlay\'s layers, masked and read-only paths) and its network interfaces. ' +
      'It only reads: nothing in the container changes.',
    kernel: ['namespaces (/proc/<pid>/ns)', 'cgroups', 'capabilities', 'seccomp', 'mount namespace (mountinfo)', 'network namespace'],
    flags: [
      {
        name: 'format',
        short: 'f',
        type: 'string',
        summary: 'Print as json for notebooks and tools',
        explain: '--format json prints the same as one JSON object (processes, namespaces, cgroup, capabilities, seccomp, mounts, network), for notebooks and the VS Code extension.',
      },
    ],
    args: [{ name: 'CONTAINER', required: true }],
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'update',
    usage: 'glass update [OPTIONS] CONTAINER [CONTAINER...]',
    summary: 'Update configuration of one or more containers',
    explain:
      'Changes the resource limits of a container. They are numbers in files of its cgroup, so for a running container ' +
      'glass simply writes the new values there (echo 64m worth of bytes > memory.limit_in_bytes) and the kernel applies ' +
      'them at once, without a restart; they are also kept in its config for the next start. The same checks as at create.',
    kernel: ['cgroups: memory, cpu, cpuset and pids controllers'],
    flags: LIMIT_FLAGS.filter((f) => f.name !== 'oom-kill-disable'),
    args: containers(),
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'pause',
    usage: 'glass pause CONTAINER [CONTAINER...]',
    summary: 'Pause all processes within one or more containers',
    explain:
      'Freezes every process of the container with the cgroup freezer (v1: echo FROZEN > freezer.state; v2: echo 1 > ' +
      'cgroup.freeze). No signal is sent: the processes simply stop being scheduled, mid-instruction, and cannot notice. ' +
      'Memory stays as it is; `glass ps` shows "(Paused)". Stop, kill and rm -f still work on a paused container.',
    kernel: ['cgroups: freezer'],
    flags: [],
    args: containers(),
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'unpause',
    usage: 'glass unpause CONTAINER [CONTAINER...]',
    summary: 'Unpause all processes within one or more containers',
    explain: 'Thaws the frozen processes (freezer.state THAWED, or cgroup.freeze 0): they carry on from exactly where they stopped, as if no time had passed for them.',
    kernel: ['cgroups: freezer'],
    flags: [],
    args: containers(),
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'images',
    usage: 'glass images [OPTIONS] [REPOSITORY[:TAG]]',
    summary: 'List images',
    explain:
      'Lists the images in the local store. An image is a stack of read-only filesystem layers plus a small ' +
      'config (command, environment, working directory); containers use the layers as the lower directories of their overlay mount.',
    kernel: ['overlayfs (lower layers)'],
    flags: [
      {
        name: 'all',
        short: 'a',
        type: 'bool',
        summary: 'Show all images (default hides intermediate images)',
        explain:
          'Also lists the intermediate images `glass build` keeps: one per Dockerfile step, untagged (<none> <none>), each the parent of the next. ' +
          'They are the build cache: a rebuild reuses a step whose parent image and instruction match one of them. Without -a, an untagged image that is ' +
          'the parent of another is hidden; one that is nobody\'s parent (dangling) is shown.',
      },
      {
        name: 'digests',
        type: 'bool',
        summary: 'Show digests',
        explain:
          'Adds a DIGEST column: the sha256 of the manifest (or, for a multi-platform image, of the index) the registry ' +
          'served when the image was pulled, the digest `glass pull NAME@sha256:...` fetches exactly. <none> for images ' +
          'made here (import, commit, busybox) until they are pushed or pulled.',
      },
      noTrunc,
      { name: 'quiet', short: 'q', type: 'bool', summary: 'Only show image IDs' },
      {
        name: 'format',
        type: 'string',
        summary: 'Pretty-print images using a Go template',
        explain: 'e.g. --format \'{{.Repository}}:{{.Tag}}\'; start it with "table " for aligned columns with headers. Fields: .ID .Repository .Tag .Digest .CreatedSince .CreatedAt .Size .Containers.',
      },
    ],
    args: [{ name: 'REPOSITORY[:TAG]', required: false }],
    interspersed: true,
    group: 'images',
  },
  {
    name: 'tag',
    usage: 'glass tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
    summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
    explain:
      'Adds a second name for the same image. Nothing is copied: both names point to the same image ID, ' +
      'so the layers exist once on disk.',
    kernel: [],
    flags: [],
    args: [
      { name: 'SOURCE_IMAGE[:TAG]', required: true },
      { name: 'TARGET_IMAGE[:TAG]', required: true },
    ],
    interspersed: true,
    group: 'images',
  },
  {
    name: 'rmi',
    usage: 'glass rmi [OPTIONS] IMAGE [IMAGE...]',
    summary: 'Remove one or more images',
    explain:
      'Removes an image name, and when no name or container uses the image any more, deletes its layers from ' +
      'disk. A layer still used as the lower directory of a container cannot be deleted. An image other images were ' +
      'built on keeps existing (untagged) while they do; deleting a built image also deletes the intermediate images of ' +
      'its build (one per Dockerfile step, its build cache) that nothing else uses, each with a Deleted: line.',
    kernel: ['overlayfs (lower layers)'],
    flags: [
      {
        name: 'force',
        short: 'f',
        type: 'bool',
        summary: 'Force removal of the image',
        explain: 'Removes the image even if it has several names or stopped containers still refer to it.',
      },
    ],
    args: [{ name: 'IMAGE', required: true, variadic: true }],
    interspersed: true,
    group: 'images',
  },
  {
    name: 'import',
    usage: 'glass import [OPTIONS] FILE|- [REPOSITORY[:TAG]]',
    summary: 'Import the contents from a tarball to create a filesystem image',
    explain:
      'Unpacks a tar archive of a root filesystem (from a file, or stdin with -) as a single image layer. ' +
      'Any directory tree can become an image this way; the layer is what a container later mounts read-only under its overlay.',
    kernel: ['overlayfs (lower layers)'],
    flags: [
      {
        name: 'change',
        short: 'c',
        type: 'list',
        summary: 'Apply Dockerfile instruction to the created image',
        explain: 'Sets image config with Dockerfile syntax, e.g. -c \'CMD ["sh"]\' or -c "ENV PATH=/bin".',
      },
      { name: 'message', short: 'm', type: 'string', summary: 'Set commit message for imported image' },
    ],
    args: [
      { name: 'FILE|-', required: true },
      { name: 'REPOSITORY[:TAG]', required: false },
    ],
    interspersed: true,
    group: 'images',
  },
  {
    name: 'inspect',
    usage: 'glass inspect [OPTIONS] NAME|ID [NAME|ID...]',
    summary: 'Return low-level information on glass objects',
    explain:
      'Prints everything glass knows about a container or image as JSON: its configuration, its state ' +
      '(the host PID of its process, when it started, its exit code) and where its files live on the host.',
    kernel: [],
    flags: [
      {
        name: 'format',
        short: 'f',
        type: 'string',
        summary: 'Format the output using the given Go template',
        explain: 'Prints one field instead of the whole JSON, e.g. -f \'{{.State.Pid}}\' for the host PID of the container\'s process. Supports {{.Field}}, {{json .Field}} and {{join .Field "sep"}}.',
      },
      {
        name: 'type',
        type: 'string',
        summary: 'Return JSON for specified type',
        explain: 'container or image; only needed when a container and an image share a name.',
      },
    ],
    args: [{ name: 'NAME|ID', required: true, variadic: true }],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'events',
    usage: 'glass events [OPTIONS]',
    summary: 'Get real time events from the engine',
    explain:
      'Prints what happens to containers and images as it happens: create, attach, start, kill, stop, die, destroy, rename. ' +
      'The engine records each event as it acts, except `start` and `die`: the shim records those, because it is the process that sees the command exec and the container exit, in that order. ' +
      'Each event is one line of JSON in <root>/events.jsonl, added with a single write(2) to a file opened O_APPEND, which the kernel ' +
      "never interleaves with another process's: that is how a second terminal can follow what the first one does. " +
      'Without --until it keeps following until you press Ctrl-C.',
    kernel: ['append-only writes (O_APPEND)'],
    flags: [
      {
        name: 'filter',
        short: 'f',
        type: 'list',
        valueName: 'filter',
        summary: 'Filter output based on conditions provided',
        explain:
          'KEY=VALUE, repeatable: container=NAME|ID (a prefix is enough), event=ACTION (e.g. die), image=NAME|ID, ' +
          'type=container|image, label=KEY[=VALUE]. Values of one key are alternatives; different keys must all match.',
      },
      {
        name: 'format',
        type: 'string',
        summary: 'Format the output using the given Go template',
        explain:
          "e.g. --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}', or '{{json .}}' for one JSON object a line. " +
          'Fields: .Type .Action .Actor.ID .Actor.Attributes .Scope .Time .TimeNano, and the older .Status .ID .From.',
      },
      {
        name: 'since',
        type: 'string',
        summary: 'Show all events created since timestamp',
        explain:
          'First prints the events already recorded from then on. A duration back from now (10m, 1h30m), ' +
          'a date and time (2006-01-02T15:04:05, a date alone, Z or +01:00 for a zone; local time otherwise) or Unix seconds (1700000000.5).',
      },
      {
        name: 'until',
        type: 'string',
        summary: 'Stream events until this timestamp',
        explain: 'Stops at that time, at once if it has passed; the same forms as --since (0s means now).',
      },
    ],
    args: [],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'learn',
    usage: 'glass learn [OPTIONS] [LESSON]',
    summary: 'Take a lesson: explanations, commands to run, checks and what the kernel did',
    explain:
      'Without a lesson, lists the lessons with your progress. With one (its number or id), walks you through it ' +
      'in the terminal: each step explains an idea, suggests a command (Enter runs it, or type your own), checks ' +
      'that you did it, and shows the explain trace of what you ran. Progress is kept in your XDG state directory; ' +
      "Ctrl-C leaves a lesson, removes its containers, and the next 'glass learn N' resumes at that step.",
    kernel: [],
    flags: [
      {
        name: 'auto',
        type: 'bool',
        summary: 'Run every step unattended (setup, solve, check, cleanup) and report; what CI runs',
        explain:
          'Runs each step as CI does: the check must fail before the step is done and pass after its solve. ' +
          'Without a LESSON, runs every lesson that is not coming. Exits 1 if any step failed.',
      },
      {
        name: 'present',
        type: 'bool',
        summary: 'Presenter mode: type each command out, advance on a key, a large under-the-hood panel',
        explain: 'For an instructor in front of a class: the screen is cleared for each step, commands are typed at a human pace, and nothing moves until you press a key.',
      },
      {
        name: 'restart',
        type: 'bool',
        summary: 'Start the lesson from its first step, forgetting saved progress',
      },
      {
        name: 'lessons',
        type: 'string',
        valueName: 'DIR',
        summary: "Read lessons from DIR (default: this glass's lessons/ folder)",
      },
    ],
    args: [{ name: 'LESSON', required: false }],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'version',
    usage: 'glass version',
    summary: 'Show the glass version information',
    explain:
      'Prints the glass, Node.js and kernel versions and whether the host uses cgroup v1 or v2, which ' +
      'decides how glass sets resource limits.',
    kernel: ['cgroups (version detection)'],
    flags: [],
    args: [],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'help',
    usage: 'glass help [COMMAND [SUBCOMMAND]]',
    summary: 'Show help for a command',
    explain: 'Prints what a command does, its options, and what it makes the kernel do. It touches nothing itself.',
    kernel: [],
    flags: [],
    args: [
      { name: 'COMMAND', required: false },
      { name: 'SUBCOMMAND', required: false },
    ],
    interspersed: true,
    group: 'system',
  },
  ...ARCHIVE_COMMANDS,
  ...PUSH_COMMANDS,
  ...PULL_COMMANDS,
  ...LAYER_COMMANDS,
  ...VOLUME_COMMANDS,
  ...CP_COMMANDS,
  ...NETWORK_COMMANDS,
  ...PORT_COMMANDS,
  ...BUILD_COMMANDS,
];

/**
 * Docker commands glass leaves out on purpose, and why. The CLI and the
 * language server say so, instead of "not yet".
 */
export const LEFT_OUT: Record<string, string> = {
  search:
    "Docker Hub's search API is not part of the OCI distribution protocol glass speaks; search on hub.docker.com, " +
    'or list a registry of your own with curl http://HOST/v2/_catalog',
};

/** Look a command up by name or alias. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}
