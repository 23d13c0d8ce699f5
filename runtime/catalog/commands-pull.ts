import type { CommandSpec } from './commands.js';

/** `pull`: images from a registry (issue 12). */
export const PULL_COMMANDS: CommandSpec[] = [
  {
    name: 'pull',
    usage: 'glass pull [OPTIONS] NAME[:TAG|@DIGEST]',
    summary: 'Pull an image or a repository from a registry',
    explain:
      'Downloads an image from the registry its name starts with (alpine is docker.io/library/alpine:latest, served by ' +
      'registry-1.docker.io; 127.0.0.1:5000/me/app comes from 127.0.0.1:5000) over the OCI distribution API: the manifest ' +
      "for the tag (from an index, this machine's platform), the config, then the layer blobs, three at a time, each checked " +
      'against its sha256 and size while it streams in, and skipped when the store has it ("Already exists"). ' +
      'Each layer is unpacked once into its own directory, its .wh. deletion marks turned into overlay whiteouts, and ' +
      'containers stack these read-only with overlayfs (lowerdir); nothing is stored unless everything checks out. ' +
      'Credentials come from `glass login`; plain HTTP only to 127.0.0.0/8, ::1, localhost and config.json\'s insecure-registries.',
    kernel: ['overlayfs (lower layers)'],
    flags: [
      {
        name: 'quiet',
        short: 'q',
        type: 'bool',
        summary: 'Suppress verbose output',
        explain: 'Prints only the full name pulled (docker.io/library/alpine:latest) instead of the per-layer progress.',
      },
      {
        name: 'platform',
        type: 'string',
        valueName: 'string',
        summary: 'Set platform if server is multi-platform capable',
        explain:
          'os/arch[/variant], e.g. linux/arm64 or linux/arm/v7: which image of a multi-platform index to pull instead ' +
          "of this machine's. An image built for another CPU cannot run here without an emulator, but you can look inside it.",
      },
    ],
    args: [{ name: 'NAME[:TAG|@DIGEST]', required: true }],
    interspersed: true,
    group: 'images',
  },
];
