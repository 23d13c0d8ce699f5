/**
 * Every Dockerfile instruction as data: its forms, what it does in a build
 * (glass follows Docker's classic builder), whether it adds a layer, and what
 * its cache key is. The language server shows these when a learner hovers an
 * instruction in a Dockerfile; lesson 12 teaches them.
 */

export interface InstructionFlagSpec {
  name: string;
  usage: string;
  explain: string;
}

export interface InstructionSpec {
  name: string;
  /** The forms, one per line, as Docker's reference writes them. */
  usage: string[];
  summary: string;
  /** Plain language: what the builder does with it. */
  explain: string;
  /** What the step leaves in the image: a new filesystem layer, or only a config change (an empty layer in `history`). */
  layer: 'layer' | 'config' | 'stage' | 'none';
  /** What the cache compares for this step (besides the parent image). */
  cache: string;
  /** Does the builder expand $VARIABLES in it (Docker's list)? */
  expands: boolean;
  flags?: InstructionFlagSpec[];
}

export const DOCKERFILE_LESSON = '12-build-cache';

const SHELL_FORM =
  'Shell form runs through the image\'s shell (/bin/sh -c, or what SHELL set), so $VARS, pipes and && work; the JSON exec form ' +
  '["prog", "arg"] runs the program directly, with no shell in between.';

export const DOCKERFILE_INSTRUCTIONS: InstructionSpec[] = [
  {
    name: 'FROM',
    usage: ['FROM [--platform=<platform>] <image>[:<tag>|@<digest>] [AS <name>]', 'FROM scratch'],
    summary: 'Start a build stage from a base image',
    explain:
      'Every later step builds on this image: its layers are the lower layers of every build container. An image that is not ' +
      'present is pulled. `scratch` is the empty image (no layers at all). `AS name` names the stage, for `COPY --from=name` and ' +
      '`--target`; ARGs declared before the first FROM may be used here, and only here.',
    layer: 'stage',
    cache: 'The image ID the name resolves to: a new `busybox:latest` changes every step after it.',
    expands: true,
    flags: [{ name: 'platform', usage: '--platform=linux/amd64', explain: 'Which platform of a multi-platform image to use (glass builds for the host).' }],
  },
  {
    name: 'RUN',
    usage: ['RUN <command>', 'RUN ["executable", "param1", "param2"]'],
    summary: 'Run a command in a build container and keep what it changed',
    explain:
      'A container is created from the current image and started; the command runs inside it with the runtime\'s own isolation ' +
      '(namespaces, cgroups, an overlay filesystem). When it exits 0 the container\'s upper directory — every file it wrote — is ' +
      'committed as a new layer and the container removed. A non-zero exit stops the build: ' +
      "`The command '/bin/sh -c false' returned a non-zero code: 1`. " +
      SHELL_FORM,
    layer: 'layer',
    cache: 'The command text exactly (and the build args in scope, as `|1 KEY=VALUE`): never the files it reads or what it downloads.',
    expands: false,
  },
  {
    name: 'CMD',
    usage: ['CMD ["executable", "param1"]', 'CMD ["param1", "param2"]   (arguments for ENTRYPOINT)', 'CMD command param1'],
    summary: 'The default command of a container of this image',
    explain:
      'Stored in the image config (Config.Cmd); nothing runs at build time. `glass run IMAGE args` replaces it. With an ENTRYPOINT, ' +
      'CMD becomes its default arguments. Only the last CMD counts. ' +
      SHELL_FORM,
    layer: 'config',
    cache: 'The instruction text.',
    expands: false,
  },
  {
    name: 'ENTRYPOINT',
    usage: ['ENTRYPOINT ["executable", "param1"]', 'ENTRYPOINT command param1'],
    summary: 'The program every container of this image runs',
    explain:
      'Stored in Config.Entrypoint; the container runs ENTRYPOINT followed by CMD (or by the arguments given to `glass run`). ' +
      'The shell form ignores CMD and run arguments, since /bin/sh -c takes only its one string. `--entrypoint` replaces it.',
    layer: 'config',
    cache: 'The instruction text.',
    expands: false,
  },
  {
    name: 'ENV',
    usage: ['ENV <key>=<value> [<key>=<value>...]', 'ENV <key> <value>'],
    summary: 'Set environment variables in the image (and for the following steps)',
    explain:
      'Stored in Config.Env, so every container of the image has them, and every later RUN sees them. Later instructions may use ' +
      'them as $KEY. Quotes group words: `ENV GREETING="hello world"`.',
    layer: 'config',
    cache: 'The instruction with its variables expanded.',
    expands: true,
  },
  {
    name: 'ARG',
    usage: ['ARG <name>[=<default value>] [<name>[=<default value>]...]'],
    summary: 'Declare a build argument (--build-arg) for the following steps',
    explain:
      'A variable for the build only: RUN sees it in its environment, but it is not stored in the image\'s Env. `--build-arg NAME=v` ' +
      'sets it; otherwise the default. Declared before the first FROM, it may be used in FROM lines; a stage must declare it again ' +
      'to use it inside.',
    layer: 'config',
    cache: 'The declaration; and every later RUN carries the args\' values in its key, so changing a --build-arg re-runs those RUNs.',
    expands: true,
  },
  {
    name: 'LABEL',
    usage: ['LABEL <key>=<value> [<key>=<value>...]'],
    summary: 'Add metadata to the image',
    explain: 'Key-value pairs stored in Config.Labels (`glass inspect` shows them; containers of the image inherit them). Later labels with the same key win.',
    layer: 'config',
    cache: 'The instruction with its variables expanded.',
    expands: true,
  },
  {
    name: 'MAINTAINER',
    usage: ['MAINTAINER <name>'],
    summary: 'The image author (deprecated: use LABEL maintainer=...)',
    explain: 'Stored as the image\'s Author field.',
    layer: 'config',
    cache: 'The instruction text.',
    expands: false,
  },
  {
    name: 'EXPOSE',
    usage: ['EXPOSE <port>[/<protocol>] [<port>[/<protocol>]...]'],
    summary: 'Document the ports the container listens on',
    explain:
      'Stored in Config.ExposedPorts (tcp unless /udp or /sctp), which `glass inspect` shows. It publishes nothing by itself: in ' +
      'Docker, `run -p` publishes a port and `-P` every exposed one (glass publishes ports once its networking lands).',
    layer: 'config',
    cache: 'The ports, expanded and sorted.',
    expands: true,
  },
  {
    name: 'COPY',
    usage: ['COPY [--chown=<user>:<group>] [--from=<stage|image>] <src>... <dest>', 'COPY [--chown=<user>:<group>] ["<src>",... "<dest>"]'],
    summary: 'Copy files from the build context (or another stage) into the image',
    explain:
      'Sources are paths in the context (after .dockerignore), with * ? [ ] wildcards; a directory copies its contents. A source ' +
      'can never leave the context: ".." that climbs out is refused, and symlinks are followed only inside it. The files are written ' +
      'into a build container\'s upper directory and committed as a new layer, owned by root unless --chown. A dest ending in "/" ' +
      'is a directory; a relative dest is under WORKDIR.',
    layer: 'layer',
    cache: 'A checksum of every file copied — name, mode, owner, size, content; not the modification time (`COPY file:<sha> in /app`).',
    expands: true,
    flags: [
      { name: 'chown', usage: '--chown=<user>[:<group>]', explain: 'Owner of the copied files; names are looked up in the image\'s /etc/passwd and /etc/group.' },
      { name: 'from', usage: '--from=<stage|index|image>', explain: 'Copy from an earlier stage (by name or number) or any image instead of the context: how a multi-stage build keeps only its artefact.' },
      { name: 'chmod', usage: '--chmod=<perms>', explain: 'BuildKit only: Docker\'s classic builder (and glass) refuses it.' },
    ],
  },
  {
    name: 'ADD',
    usage: ['ADD [--chown=<user>:<group>] <src>... <dest>', 'ADD [--chown=<user>:<group>] ["<src>",... "<dest>"]'],
    summary: 'COPY, plus: unpack local tar archives, fetch URLs',
    explain:
      'Like COPY, but a local tar archive (plain, gzip, bzip2, xz) is unpacked at dest — every member checked to stay inside — and an ' +
      'http(s) URL is downloaded as a file. Prefer COPY unless you want one of those.',
    layer: 'layer',
    cache: 'As COPY; for a URL, the checksum of the downloaded content.',
    expands: true,
    flags: [{ name: 'chown', usage: '--chown=<user>[:<group>]', explain: 'Owner of the added files.' }],
  },
  {
    name: 'VOLUME',
    usage: ['VOLUME ["/data"]', 'VOLUME /data [/more...]'],
    summary: 'Mark a directory as a volume',
    explain:
      'Stored in Config.Volumes: every container of the image gets an anonymous volume mounted there. Changes a later RUN makes ' +
      'under that path are not kept in the image.',
    layer: 'config',
    cache: 'The paths, expanded.',
    expands: true,
  },
  {
    name: 'USER',
    usage: ['USER <user>[:<group>]', 'USER <UID>[:<GID>]'],
    summary: 'The user later RUN steps and the containers run as',
    explain: 'Stored in Config.User. The name is looked up in the image\'s /etc/passwd when a container starts.',
    layer: 'config',
    cache: 'The user, expanded.',
    expands: true,
  },
  {
    name: 'WORKDIR',
    usage: ['WORKDIR /path/to/workdir'],
    summary: 'The working directory of later steps and of the containers',
    explain: 'Stored in Config.WorkingDir; made if it does not exist. A relative path is relative to the previous WORKDIR.',
    layer: 'config',
    cache: 'The path, expanded.',
    expands: true,
  },
  {
    name: 'ONBUILD',
    usage: ['ONBUILD <INSTRUCTION>'],
    summary: 'An instruction to run later, in builds FROM this image',
    explain:
      'Stored in Config.OnBuild; nothing runs now. A build whose FROM is this image runs the triggers first, right after its FROM. ' +
      'ONBUILD ONBUILD, ONBUILD FROM and ONBUILD MAINTAINER are refused.',
    layer: 'config',
    cache: 'The instruction text.',
    expands: false,
  },
  {
    name: 'STOPSIGNAL',
    usage: ['STOPSIGNAL <signal>'],
    summary: 'The signal `glass stop` sends first',
    explain: 'Stored in Config.StopSignal (SIGTERM when not set): `stop` sends it, waits, then SIGKILL.',
    layer: 'config',
    cache: 'The signal, expanded.',
    expands: true,
  },
  {
    name: 'HEALTHCHECK',
    usage: ['HEALTHCHECK [--interval=30s] [--timeout=30s] [--start-period=0s] [--retries=3] CMD <command>', 'HEALTHCHECK NONE'],
    summary: 'A command that tells whether the container still works',
    explain:
      'Stored in Config.Healthcheck (durations in nanoseconds), as Docker stores it; `glass inspect` shows it. glass keeps the ' +
      'check with the image but does not run health checks yet (Docker runs it in the container every interval). NONE turns off ' +
      'a check inherited from the base image.',
    layer: 'config',
    cache: 'The instruction text.',
    expands: false,
    flags: [
      { name: 'interval', usage: '--interval=<duration>', explain: 'Time between checks (Go durations: 30s, 1m30s).' },
      { name: 'timeout', usage: '--timeout=<duration>', explain: 'A check that takes longer failed.' },
      { name: 'start-period', usage: '--start-period=<duration>', explain: 'Failures during this start-up time do not count.' },
      { name: 'retries', usage: '--retries=<n>', explain: 'Consecutive failures before the container is unhealthy (at least 1).' },
    ],
  },
  {
    name: 'SHELL',
    usage: ['SHELL ["executable", "parameters"]'],
    summary: 'The shell that runs the shell form of RUN, CMD and ENTRYPOINT',
    explain: 'Default ["/bin/sh", "-c"]. JSON form only. Stored in the image (Config.Shell) for builds FROM it.',
    layer: 'config',
    cache: 'The instruction text.',
    expands: false,
  },
];

export function findInstruction(name: string): InstructionSpec | undefined {
  const upper = name.toUpperCase();
  return DOCKERFILE_INSTRUCTIONS.find((i) => i.name === upper);
}
