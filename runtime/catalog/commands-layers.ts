import type { CommandSpec } from './commands.js';

/** `diff`, `commit` and `history`: a container's layer, and images made of layers (issue 14). */
export const LAYER_COMMANDS: CommandSpec[] = [
  {
    name: 'diff',
    usage: 'glass diff CONTAINER',
    summary: "Inspect changes to files or directories on a container's filesystem",
    explain:
      "Lists what the container changed against its image: A added, C changed, D deleted. glass reads the container's " +
      'upperdir, its writable overlay layer, straight from the host (the container may run or have stopped): a deleted ' +
      'file is a character device 0/0 there (a whiteout), and a directory deleted and made again carries the extended ' +
      'attribute trusted.overlay.opaque=y. Every directory above a change shows as C.',
    kernel: ['overlayfs (upperdir, whiteouts, opaque directories)', 'extended attributes (getfattr)'],
    flags: [],
    args: [{ name: 'CONTAINER', required: true }],
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'commit',
    usage: 'glass commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
    summary: "Create a new image from a container's changes",
    explain:
      "Packs the container's upperdir as a new layer tar (whiteouts become .wh.NAME files, opaque directories get a " +
      ".wh..wh..opq inside, as the OCI image format writes them) and stores an image made of the old image's layers, shared, " +
      "not copied, plus this one. The new config keeps the container's command, environment, working directory and user; " +
      'its history gains one entry. glass prints the new image ID.',
    kernel: ['overlayfs (upperdir)', 'cgroup freezer (--pause)', 'tar'],
    flags: [
      {
        name: 'author',
        short: 'a',
        type: 'string',
        summary: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")',
        explain: "Recorded as the image's Author (glass inspect -f '{{.Author}}') and in its history entry.",
      },
      {
        name: 'change',
        short: 'c',
        type: 'list',
        summary: 'Apply Dockerfile instruction to the created image',
        explain:
          "Changes the new image's config with a Dockerfile instruction, e.g. -c 'CMD [\"cat\",\"/a\"]' or -c 'ENV MODE=prod': " +
          'CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR. Repeat it for several.',
      },
      {
        name: 'message',
        short: 'm',
        type: 'string',
        summary: 'Commit message',
        explain: "The new history entry's COMMENT, as `glass history` shows it.",
      },
      {
        name: 'pause',
        short: 'p',
        type: 'bool',
        default: true,
        summary: 'Pause container during commit',
        explain:
          "A running container is frozen (its cgroup's freezer) while its upperdir is read and packed, so no file is caught half " +
          'written, and thawed at once after. --pause=false leaves it running.',
        kernel: 'cgroup freezer',
      },
    ],
    args: [
      { name: 'CONTAINER', required: true },
      { name: 'REPOSITORY[:TAG]', required: false },
    ],
    interspersed: true,
    group: 'containers',
  },
  {
    name: 'history',
    usage: 'glass history [OPTIONS] IMAGE',
    summary: 'Show the history of an image',
    explain:
      "One row per entry of the image's history, newest first: what made it (CREATED BY), when, and the size of the layer " +
      'it added (0B for an entry that only changed the config). The rows are the image\'s layers, bottom to top as they are ' +
      'stacked as overlay lowerdirs; an ID shows for the image and the images it was committed on, <missing> for layers ' +
      'that came from elsewhere.',
    kernel: [],
    flags: [
      {
        name: 'format',
        type: 'string',
        summary: 'Pretty-print images using a Go template',
        explain: 'Fields: .ID .CreatedSince .CreatedAt .CreatedBy .Size .Comment; start with "table " for aligned columns with headers.',
      },
      {
        name: 'human',
        short: 'H',
        type: 'bool',
        default: true,
        summary: 'Print sizes and dates in human readable format',
        explain: '--human=false prints CREATED AT as an RFC 3339 time and SIZE in bytes.',
      },
      { name: 'no-trunc', type: 'bool', summary: "Don't truncate output", explain: 'Full image IDs and the whole CREATED BY command (else cut to 45 characters with "…").' },
      { name: 'quiet', short: 'q', type: 'bool', summary: 'Only show image IDs' },
    ],
    args: [{ name: 'IMAGE', required: true }],
    interspersed: true,
    group: 'images',
  },
];
