import type { CommandSpec } from './commands.js';

const STORE = 'files under <root>/volumes (no kernel object: a volume is a directory)';

/** `volume create|ls|inspect|rm|prune`: storage outside the containers' layers (issue 14). */
export const VOLUME_COMMANDS: CommandSpec[] = [
  {
    name: 'volume create',
    usage: 'glass volume create [OPTIONS] [VOLUME]',
    summary: 'Create a volume',
    explain:
      'Makes the directory <root>/volumes/<name>/_data and records the volume beside it. Nothing is mounted yet: a ' +
      'container that uses it (`-v name:/path`) gets it bind-mounted in its own mount namespace when it starts. Without ' +
      'a name the volume gets a random 64-character one. Creating a name that exists returns it as it is.',
    kernel: [STORE],
    flags: [
      { name: 'label', type: 'list', valueName: 'list', summary: 'Set metadata for a volume', explain: 'KEY=VALUE, repeatable; `volume ls --filter label=KEY` finds it.' },
      { name: 'driver', short: 'd', type: 'string', default: 'local', summary: 'Specify volume driver name', explain: 'Only "local" (a directory on this host), as Docker\'s default.' },
    ],
    args: [{ name: 'VOLUME', required: false }],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'volume ls',
    aliases: ['volume list'],
    usage: 'glass volume ls [OPTIONS]',
    summary: 'List volumes',
    explain: 'Lists the volumes under <root>/volumes, sorted by name, anonymous ones (64 hex characters) included.',
    kernel: [STORE],
    flags: [
      { name: 'quiet', short: 'q', type: 'bool', summary: 'Only display volume names' },
      {
        name: 'filter',
        short: 'f',
        type: 'list',
        summary: "Provide filter values (e.g. 'dangling=true')",
        explain: 'dangling=true: volumes no container (running or not) uses, the ones `volume prune` would remove; name=PART, label=KEY[=VALUE], driver=local.',
      },
      { name: 'format', type: 'string', summary: 'Pretty-print volumes using a Go template', explain: 'Fields: .Name .Driver .Mountpoint .Scope .Labels' },
    ],
    args: [],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'volume inspect',
    usage: 'glass volume inspect [OPTIONS] VOLUME [VOLUME...]',
    summary: 'Display detailed information on one or more volumes',
    explain: 'Shows the volume as Docker does; Mountpoint is where its files really are on the host, the source of every bind mount of it.',
    kernel: [STORE],
    flags: [{ name: 'format', short: 'f', type: 'string', summary: 'Format the output using the given Go template' }],
    args: [{ name: 'VOLUME', required: true, variadic: true }],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'volume rm',
    aliases: ['volume remove'],
    usage: 'glass volume rm [OPTIONS] VOLUME [VOLUME...]',
    summary: 'Remove one or more volumes',
    explain:
      'Deletes the volume\'s directory and every file in it. Refused while any container, running or stopped, uses it ' +
      '(remove the container first): its files are the one copy of that data.',
    kernel: [STORE],
    flags: [{ name: 'force', short: 'f', type: 'bool', summary: 'Force the removal of one or more volumes', explain: 'A volume that does not exist is not an error. One in use is still refused.' }],
    args: [{ name: 'VOLUME', required: true, variadic: true }],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'volume prune',
    usage: 'glass volume prune [OPTIONS]',
    summary: 'Remove all unused local volumes',
    explain: 'Removes every volume no container uses (named ones too, as Docker 20.10 does) and says how much space that freed. Asks first unless -f.',
    kernel: [STORE],
    flags: [
      { name: 'force', short: 'f', type: 'bool', summary: 'Do not prompt for confirmation' },
      { name: 'filter', type: 'list', summary: "Provide filter values (e.g. 'label=<label>')" },
    ],
    args: [],
    interspersed: true,
    group: 'system',
  },
];
