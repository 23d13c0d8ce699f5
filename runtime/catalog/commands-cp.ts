import type { CommandSpec, FlagSpec } from './commands.js';

const force: FlagSpec = {
  name: 'force',
  short: 'f',
  type: 'bool',
  summary: 'Do not prompt for confirmation',
  explain: 'Without it glass asks "Are you sure you want to continue? [y/N]" and reads the answer from stdin; anything but y (or no answer at all) removes nothing.',
};

const pruneFilter = (example: string, keys: string): FlagSpec => ({
  name: 'filter',
  type: 'list',
  valueName: 'filter',
  summary: `Provide filter values (e.g. '${example}')`,
  explain: keys,
});

/** `cp` and the clean-up commands: container prune, image prune, system df, system prune (issue 14). */
export const CP_COMMANDS: CommandSpec[] = [
  {
    name: 'cp',
    usage: 'glass cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tglass cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
    summary: 'Copy files/folders between a container and the local filesystem',
    explain:
      "Copies as a tar stream between the host and the container's root, running or stopped. The container's side runs " +
      "chrooted into that root (a running container's /proc/<pid>/root; a stopped one's overlay mounted in a private mount " +
      'namespace that ends with the copy), so every path and symlink in the container resolves inside it: `/x -> /etc` is the ' +
      "container's /etc, never the host's. SRC/. copies a directory's contents; - reads or writes a tar stream.",
    kernel: ['chroot', 'mount namespaces', 'overlayfs', '/proc/<pid>/root'],
    flags: [
      {
        name: 'archive',
        short: 'a',
        type: 'bool',
        summary: 'Archive mode (copy all uid/gid information)',
        explain:
          "Keeps the source's owners (uid and gid numbers). Without it, files copied into a container belong to its root (0:0) " +
          'and files copied out belong to the user glass runs as.',
      },
      {
        name: 'follow-link',
        short: 'L',
        type: 'bool',
        summary: 'Always follow symbol link in SRC_PATH',
        explain: 'If SRC_PATH itself is a symlink, copy what it points to (resolved inside the container for a container path), under the name you gave.',
      },
    ],
    args: [
      { name: 'SRC', required: true },
      { name: 'DEST', required: true },
    ],
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'container prune',
    usage: 'glass container prune [OPTIONS]',
    summary: 'Remove all stopped containers',
    explain:
      "Removes every container that is not running (created or exited), as `glass rm` would: its writable layer (the overlay " +
      'upperdir), its log and its state directory. It prints their IDs and the space their writable layers took.',
    kernel: ['overlayfs (upperdir)'],
    flags: [force, pruneFilter('until=<timestamp>', 'until=TIMESTAMP (created before: 24h, 2006-01-02T15:04:05, Unix seconds), label=KEY[=VALUE], label!=KEY[=VALUE]; repeatable.')],
    args: [],
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'image prune',
    usage: 'glass image prune [OPTIONS]',
    summary: 'Remove unused images',
    explain:
      'Removes dangling images (no name, used by no container), or with -a every image no container uses. A layer ' +
      'directory and blob go only when no image left uses them: layers shared with a kept image stay.',
    kernel: ['overlayfs (lower layers)'],
    flags: [
      { name: 'all', short: 'a', type: 'bool', summary: 'Remove all unused images, not just dangling ones', explain: 'Every image no container (in any state) was created from, named or not.' },
      force,
      pruneFilter('until=<timestamp>', 'until=TIMESTAMP (created before), label=KEY[=VALUE], label!=KEY[=VALUE]; repeatable.'),
    ],
    args: [],
    interspersed: true,
    group: 'images',
  },
  {
    name: 'system df',
    usage: 'glass system df [OPTIONS]',
    summary: 'Show glass disk usage',
    explain:
      'Counts what the state root holds: images (each layer once, however many images share it), containers (the bytes ' +
      'of their writable layers, the overlay upperdirs), local volumes and build cache, and how much of it a prune could reclaim.',
    kernel: ['overlayfs (upperdir, lower layers)'],
    flags: [{ name: 'verbose', short: 'v', type: 'bool', summary: 'Show detailed information on space usage', explain: 'One table per kind: each image with its shared and unique size, each container, each volume.' }],
    args: [],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'system prune',
    usage: 'glass system prune [OPTIONS]',
    summary: 'Remove unused data',
    explain:
      'container prune, then image prune (dangling images; all unused ones with -a), and with --volumes volume prune, in ' +
      "Docker's order and with its confirmation. Running containers and what they use are never touched.",
    kernel: ['overlayfs'],
    flags: [
      { name: 'all', short: 'a', type: 'bool', summary: 'Remove all unused images not just dangling ones' },
      force,
      pruneFilter('label=<key>=<value>', 'until=TIMESTAMP, label=KEY[=VALUE], label!=KEY[=VALUE]: given to each prune.'),
      { name: 'volumes', type: 'bool', summary: 'Prune volumes', explain: 'Also remove the volumes no container uses (volume prune).' },
    ],
    args: [],
    interspersed: true,
    group: 'system',
  },
];
