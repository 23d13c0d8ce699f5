import type { CommandSpec } from './commands.js';

/** `save` and `load`: images out of the store into one tar, and back (issue 12). */
export const ARCHIVE_COMMANDS: CommandSpec[] = [
  {
    name: 'save',
    usage: 'glass save [OPTIONS] IMAGE [IMAGE...]',
    summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    explain:
      'Writes images as one tar that docker load, podman load and skopeo read: manifest.json (which config and layer ' +
      'tars make each image), the config (its sha256 is the image ID, kept as is), each layer as a plain tar named by ' +
      'its diff_id, and the same blobs as an OCI image layout (index.json, blobs/sha256/). A name without a tag saves ' +
      'every tag of that repository. Nothing in the kernel changes: it only reads the store.',
    kernel: [],
    flags: [
      {
        name: 'output',
        short: 'o',
        type: 'string',
        summary: 'Write to a file, instead of STDOUT',
        explain:
          'The archive is written to a temporary file beside FILE and renamed over it at the end, so FILE is never half ' +
          'written. Without -o the archive goes to standard output, which must not be a terminal.',
      },
    ],
    args: [{ name: 'IMAGE', required: true, variadic: true }],
    interspersed: true,
    group: 'images',
  },
  {
    name: 'load',
    usage: 'glass load [OPTIONS]',
    summary: 'Load an image from a tar archive or STDIN',
    explain:
      'Reads an archive written by docker save, podman save, skopeo or glass save: the docker-archive format ' +
      '(manifest.json) or an OCI image layout (oci-layout, index.json), plain or gzip-compressed. Every blob is checked ' +
      "against its digest and every layer against the config's diff_ids before anything is stored; each layer is " +
      'unpacked into a directory that overlayfs stacks as a read-only lower layer, its whiteouts turned into overlay ones.',
    kernel: ['overlayfs (lower layers)', 'overlay whiteouts (mknod c 0 0, trusted.overlay.opaque)'],
    flags: [
      {
        name: 'input',
        short: 'i',
        type: 'string',
        summary: 'Read from tar archive file, instead of STDIN',
        explain: 'The archive to load. Without it, glass reads the archive from standard input (glass load < FILE).',
      },
      {
        name: 'quiet',
        short: 'q',
        type: 'bool',
        summary: 'Suppress the load output',
        explain: 'Prints nothing on success (errors still go to standard error).',
      },
    ],
    args: [],
    interspersed: true,
    group: 'images',
  },
];
