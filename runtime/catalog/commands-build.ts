import type { CommandSpec } from './commands.js';

/** `build`: an image from a Dockerfile, with Docker's classic builder and its layer cache (issue 15). */
export const BUILD_COMMANDS: CommandSpec[] = [
  {
    name: 'build',
    usage: 'glass build [OPTIONS] PATH | -',
    summary: 'Build an image from a Dockerfile',
    explain:
      "Runs the Dockerfile of the context (PATH less what .dockerignore excludes, or a tar or a lone Dockerfile on stdin with -) " +
      "one instruction at a time, as Docker's classic builder does, each step on the image the step before made: RUN in a real " +
      "build container whose overlay upperdir is committed as a new layer, COPY and ADD written into a created container's " +
      'upperdir the same way, ENV, CMD, LABEL and the other metadata steps as an image that only changes the config (an empty ' +
      'layer in `history`). Every step\'s image is kept, untagged, as the cache: a step is taken from it when an image whose ' +
      'parent is the current image was made by the same instruction (for COPY and ADD, files with the same checksums and ' +
      'metadata), and once one step misses, every later step runs. With several stages (FROM ... AS name) only the stages the ' +
      'target needs are built, and Step N/M counts their instructions; glass --explain build says why each step hit or missed the cache.',
    kernel: ['overlayfs (one layer per RUN, COPY and ADD)', 'namespaces and cgroups (RUN containers)', 'tar (the context, ADD archives)'],
    flags: [
      {
        name: 'tag',
        short: 't',
        type: 'list',
        summary: 'Name and optionally a tag in the \'name:tag\' format',
        explain:
          'The names the finished image gets (repeat -t for several); without a tag, :latest. They are applied only when every ' +
          'step succeeded, so a failed build never moves a tag. Without -t the image is listed as <none>.',
      },
      {
        name: 'file',
        short: 'f',
        type: 'string',
        summary: "Name of the Dockerfile (Default is 'PATH/Dockerfile')",
        explain:
          'Which file holds the instructions: a path inside the context, a path elsewhere on the host, or - to read the ' +
          'Dockerfile from stdin while PATH stays the context.',
      },
      {
        name: 'build-arg',
        type: 'list',
        summary: 'Set build-time variables',
        explain:
          'KEY=VALUE for an ARG of the Dockerfile (KEY alone takes the value from your environment). RUN steps see it as an ' +
          'environment variable, but it is not stored in the image\'s Env; since the value changes what RUN does, it is part of ' +
          "RUN's cache key (the |1 KEY=VALUE prefix you see in `history`).",
      },
      {
        name: 'no-cache',
        type: 'bool',
        summary: 'Do not use cache when building the image',
        explain: 'Runs every step again instead of taking its image from the cache; the new images do not replace the old ones as cache.',
      },
      {
        name: 'target',
        type: 'string',
        summary: 'Set the target build stage to build.',
        explain:
          'Stops at this stage (FROM ... AS name, or its index) and makes it the result: handy for a test or debug stage. ' +
          'Stages the target does not need (through FROM name or COPY --from) are not built.',
      },
      {
        name: 'quiet',
        short: 'q',
        type: 'bool',
        summary: 'Suppress the build output and print image ID on success',
        explain: 'Prints only the image ID (sha256:...), for scripts: IMG=$(glass build -q .). If the build fails, everything it would have printed goes to stderr.',
      },
      {
        name: 'label',
        type: 'list',
        summary: 'Set metadata for an image',
        explain: "KEY=VALUE labels added to the final image's config (after the Dockerfile's own LABELs), as `glass inspect -f '{{.Config.Labels}}'` shows.",
      },
      {
        name: 'pull',
        type: 'bool',
        summary: 'Always attempt to pull a newer version of the image',
        explain: 'Pulls every FROM image from its registry even when the store has one; without it an image is pulled only when missing.',
      },
      {
        name: 'rm',
        type: 'bool',
        default: true,
        summary: 'Remove intermediate containers after a successful build',
        explain:
          'Each RUN, COPY and ADD step works in a build container that is committed and then removed ("Removing intermediate ' +
          'container"). --rm=false keeps them (glass ps -a shows them) so you can look at what a step did.',
      },
      {
        name: 'force-rm',
        type: 'bool',
        summary: 'Always remove intermediate containers',
        explain: 'Removes the build container of a step that failed too (by default it is removed as well; with --rm=false it is kept, unless --force-rm).',
      },
      {
        name: 'network',
        type: 'string',
        default: 'default',
        summary: 'Set the networking mode for the RUN instructions during build',
        explain:
          'The network RUN containers join: by default the default bridge, as `docker build` does (a veth into the build ' +
          'container\'s network namespace, NAT out through the host, so a RUN step can download); none gives it only ' +
          'loopback, host the host\'s own network stack, and a user network\'s name puts it there.',
        kernel: 'network namespace',
      },
      {
        name: 'progress',
        type: 'string',
        default: 'auto',
        summary: 'Set type of progress output (auto, plain, tty). Use plain to show container output',
        explain:
          'plain prints Docker\'s classic lines (Step N/M, ---> Running in, the output, ---> ID); tty redraws one line per step ' +
          'in place and shows a running step\'s last lines of output; auto picks tty on a terminal and plain otherwise. ' +
          'With --explain the output is always plain: the kernel steps it prints would break a redrawn display.',
      },
      {
        name: 'iidfile',
        type: 'string',
        summary: 'Write the image ID to the file',
        explain: 'Writes the final image ID (sha256:...) to this file once the build succeeded; a stale file is removed first, so a failed build leaves none.',
      },
    ],
    args: [{ name: 'PATH | -', required: true }],
    interspersed: true,
    group: 'images',
  },
];
