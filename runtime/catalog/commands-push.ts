import type { CommandSpec } from './commands.js';

/** `push`, `login` and `logout`: sharing images through a registry (issue 12). */
export const PUSH_COMMANDS: CommandSpec[] = [
  {
    name: 'push',
    usage: 'glass push [OPTIONS] NAME[:TAG]',
    summary: 'Push an image or a repository to a registry',
    explain:
      'Copies an image to the registry its name starts with (127.0.0.1:5000/me/app goes to 127.0.0.1:5000; a name ' +
      'without a host goes to Docker Hub), speaking the OCI distribution API over HTTP: for each layer a HEAD asks ' +
      'whether the registry already has that sha256 ("Layer already exists"), a mount links it from another repository ' +
      'of the same registry ("Mounted from"), or a POST opens an upload and a PUT (or PATCH chunks, for big layers) ' +
      'sends it ("Pushed"); then the config, and last the manifest, byte for byte, so the registry\'s digest is the ' +
      'one glass has. No tag means :latest (Docker 20.10). Credentials come from `glass login`. Nothing in the kernel ' +
      'changes: it only reads the image store.',
    kernel: [],
    flags: [
      {
        name: 'all-tags',
        short: 'a',
        type: 'bool',
        summary: 'Push all tagged images in the repository',
        explain: 'Pushes every local tag of NAME, one after the other; layers they share go up once.',
      },
      {
        name: 'quiet',
        short: 'q',
        type: 'bool',
        summary: 'Suppress verbose output',
        explain: 'Prints only the full name pushed (docker.io/library/app:latest) instead of the per-layer progress.',
      },
    ],
    args: [{ name: 'NAME[:TAG]', required: true }],
    interspersed: true,
    group: 'images',
  },
  {
    name: 'login',
    usage: 'glass login [OPTIONS] [SERVER]',
    summary: 'Log in to a Docker registry',
    explain:
      'Checks a user name and password against the registry (GET /v2/, then the answer to its challenge: Basic, or a ' +
      'token asked from its token server) and, only if it accepts them, keeps them in config.json in your glass config ' +
      'directory ($GLASS_CONFIG, else ~/.glass of the user who ran sudo), mode 0600, in Docker\'s "auths" shape. ' +
      'The password is base64-encoded there, not encrypted (glass has no credential helpers), and is never printed ' +
      'or traced. Without SERVER: Docker Hub.',
    kernel: [],
    flags: [
      {
        name: 'username',
        short: 'u',
        type: 'string',
        summary: 'Username',
        explain: 'The registry account. Without it (and without a password) glass asks on the terminal.',
      },
      {
        name: 'password',
        short: 'p',
        type: 'string',
        summary: 'Password',
        explain:
          'The password on the command line: it lands in your shell history and in the process list, so glass warns; ' +
          'prefer --password-stdin.',
      },
      {
        name: 'password-stdin',
        type: 'bool',
        summary: 'Take the password from stdin',
        explain: 'Reads the password from standard input (echo "$PW" | glass login -u me --password-stdin HOST); needs --username.',
      },
    ],
    args: [{ name: 'SERVER', required: false }],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'logout',
    usage: 'glass logout [SERVER]',
    summary: 'Log out from a Docker registry',
    explain:
      'Removes the credentials stored for SERVER (Docker Hub without one) from config.json; every other entry of the ' +
      'file stays. Nothing is sent to the registry.',
    kernel: [],
    flags: [],
    args: [{ name: 'SERVER', required: false }],
    interspersed: true,
    group: 'system',
  },
];
