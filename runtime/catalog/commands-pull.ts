import type { CommandSpec } from './commands.js';

/** `pull`: images from a registry (issue 12). */
export const PULL_COMMANDS: CommandSpec[] = [
  {
    name: 'pull',
    usage: 'glass pull [OPTIONS] NAME[:TAG|@DIGEST]',
    summary: 'Pull an image or a repository from a registry',
    explain:
      'Downloads an image from the registry its name starts with (alpine means docker.io/library/alpine:latest, ' +
      'served by registry-1.docker.io; 127.0.0.1:5000/me/app comes from 127.0.0.1:5000), speaking the OCI ' +
      'distribution API over HTTP: GET the manifest for the tag (an index of platforms: the one for this machine is ' +
      'picked), GET the config, then GET each layer blob, three at a time. Every blob is checked against the sha256 and ' +
      'size the manifest gives while it streams in; a layer the store already has is skipped ("Already exists"). Each ' +
      'layer is unpacked once into its own directory, which containers stack read-only with overlayfs (its lowerdir), ' +
      'after its deletion marks (.wh. files) became overlay whiteouts. Nothing is stored unless everything checks out. ' +
      'A registry that wants a login gets the credentials `glass login` stored. Plain HTTP only to 127.0.0.0/8, ::1, ' +
      'localhost and the insecure-registries of config.json; HTTPS everywhere else.',
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
