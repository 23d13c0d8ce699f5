import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { packDirectory } from '../../kernel/archive.js';
import { report, step, type Tracer } from '../../kernel/step.js';
import { GlassError } from '../errors.js';
import type { Paths } from '../state/paths.js';
import { makeScratchDir } from '../state/scratch.js';
import { MEDIA, hostArchitecture, rfc3339, type PreparedImage } from './oci.js';
import type { OciImageConfig } from './types.js';
import { DEFAULT_PATH as PATH_ENV } from '../containers/create-config.js';

/** execa is loaded on first use: it costs ~130 ms of start-up that most commands never need. */
const loadExeca = async () => (await import('execa')).execa;

/**
 * The default image, `busybox:latest`, built from the host's own busybox so
 * that the first `glass run busybox ...` works without a network. BusyBox is
 * one program that acts as some 300 Unix commands, choosing which by the name
 * it was started as (argv[0]); the image is that program plus a link named
 * after each command, laid out like Docker Hub's busybox: everything in /bin.
 *
 * The layer is packed reproducibly, with the busybox binary's mtime as every
 * timestamp, so the same host busybox always gives the same image ID.
 */

const CANDIDATES = ['/bin/busybox', '/usr/bin/busybox', '/sbin/busybox', '/usr/sbin/busybox'];
const MISSING =
  'busybox image: the host has no static busybox; install it with: apt-get install busybox-static';

// Users and groups of Docker Hub's busybox (buildroot's skeleton).
const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;
const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
`;
// "*" = no password can log in (Docker Hub's image fixed an empty root password: CVE-2019-5021).
const SHADOW = ['root', 'daemon', 'bin', 'sys', 'sync', 'mail', 'www-data', 'operator', 'nobody']
  .map((u) => `${u}:*:::::::\n`)
  .join('');

/** Directories of the image and their modes: /tmp is world-writable with the sticky bit, /root private. */
const DIRS: [string, number][] = [
  ['bin', 0o755],
  ['dev', 0o755],
  ['etc', 0o755],
  ['home', 0o755],
  ['proc', 0o755],
  ['root', 0o700],
  ['sys', 0o755],
  ['tmp', 0o1777],
  ['usr', 0o755],
  ['usr/bin', 0o755],
  ['usr/sbin', 0o755],
  ['var', 0o755],
  ['var/spool', 0o755],
  ['var/spool/mail', 0o755],
  ['var/www', 0o755],
];

/**
 * Whether an ELF executable is statically linked. A dynamically linked
 * program names an interpreter (the loader, e.g. /lib64/ld-linux-x86-64.so.2)
 * in a PT_INTERP program header; the kernel starts that loader, which then
 * maps the program's shared libraries (libc.so...). Inside a container only
 * the image's files exist, so a dynamic busybox copied alone would fail to
 * start: its loader and libc are the host's, not the image's. A static
 * binary (static-pie included) has no PT_INTERP and needs nothing else.
 */
export async function isStaticallyLinked(path: string): Promise<boolean> {
  const fh = await fs.open(path, 'r');
  try {
    const header = Buffer.alloc(64);
    await fh.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) return false; // "\x7fELF"
    const is64 = header[4] === 2;
    const le = header[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? header.readBigUInt64LE(0x20) : header.readBigUInt64BE(0x20)) : u32(header, 0x1c);
    const phentsize = u16(header, is64 ? 0x36 : 0x2a);
    const phnum = u16(header, is64 ? 0x38 : 0x2c);
    const table = Buffer.alloc(phentsize * phnum);
    await fh.read(table, 0, table.length, phoff);
    const PT_INTERP = 3;
    for (let i = 0; i < phnum; i++) {
      if (u32(table, i * phentsize) === PT_INTERP) return false;
    }
    return true;
  } finally {
    await fh.close();
  }
}

/**
 * The first statically linked busybox on the host, or MISSING_BUSYBOX.
 * GLASS_BUSYBOX=/path names the one to use instead of searching.
 */
export async function findStaticBusybox(
  trace: Tracer,
  candidates: string[] = process.env.GLASS_BUSYBOX ? [process.env.GLASS_BUSYBOX] : CANDIDATES,
): Promise<string> {
  const dynamic: string[] = [];
  for (const candidate of candidates) {
    const st = await fs.stat(candidate).catch(() => undefined);
    if (!st?.isFile()) continue;
    if (await isStaticallyLinked(candidate)) {
      report(trace, {
        title: "Check that the host's busybox is statically linked",
        why: "A container sees only its image's files. A dynamically linked busybox would look for the host's loader and C library (ld-linux, libc.so) inside the container and fail to start; a static one carries everything it needs.",
        command: `file -L ${candidate}   # "statically linked"`,
      });
      return candidate;
    }
    dynamic.push(candidate);
  }
  const why = dynamic.length
    ? ` (${dynamic.join(', ')} is dynamically linked, so it would not run inside a container without the host's libc)`
    : '';
  throw new GlassError('MISSING_BUSYBOX', MISSING + why);
}

/** Build busybox:latest in a scratch directory under <root>/tmp. */
export async function buildBusybox(trace: Tracer, paths: Paths): Promise<PreparedImage> {
  const busybox = await findStaticBusybox(trace);
  const workDir = await makeScratchDir(paths.tmp, 'busybox');
  try {
    const mtime = new Date(Math.floor((await fs.stat(busybox)).mtimeMs / 1000) * 1000);
    const applets = await step(
      trace,
      {
        title: 'List the commands busybox provides',
        why: 'busybox is one program acting as many commands; it picks which one from the name it was started as, so the image needs one link per command.',
        command: `${busybox} --list`,
      },
      async () => (await (await loadExeca())(busybox, ['--list'])).stdout.split('\n').filter(isAppletName),
    );
    const banner = (await (await loadExeca())(busybox, ['--help'], { reject: false })).stdout.split('\n')[0] ?? 'BusyBox';
    const binaryDigest = createHash('sha256').update(await fs.readFile(busybox)).digest('hex');

    const rootfs = join(workDir, 'rootfs');
    await step(
      trace,
      {
        title: "Build the busybox image from the host's static busybox",
        why: "An image's filesystem is an ordinary directory tree: here busybox, a link for each of its commands, the usual top-level directories, and the users and groups of Docker Hub's busybox.",
        command: `mkdir -p ${rootfs}/{${DIRS.map(([d]) => d).join(',')}} && cp ${busybox} ${rootfs}/bin/busybox && for a in $(${busybox} --list); do ln -s busybox ${rootfs}/bin/$a; done`,
      },
      () => makeRootfs(rootfs, busybox, applets, mtime),
    );

    const blobPath = join(workDir, 'layer.tar');
    const { digest, size } = await packDirectory(trace, rootfs, blobPath, {
      reproducible: { mtime },
      title: "Pack the root filesystem into the image's layer",
      why: "A layer is stored as a tar archive named by its sha256. Packing it reproducibly (sorted, one timestamp, root-owned) means the same busybox always gives the same layer and so the same image ID.",
    });

    const created = rfc3339(mtime);
    const config: OciImageConfig = {
      created,
      architecture: hostArchitecture(),
      os: 'linux',
      config: { Env: [PATH_ENV], Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [digest] },
      history: [
        {
          created,
          created_by: 'glass: built from the host busybox-static',
          comment: `${banner.replace(/ multi-call binary\.?$/, '')}, statically linked, binary sha256:${binaryDigest}`,
        },
      ],
    };
    return {
      config,
      workDir,
      // Uncompressed, so the layer's digest is also its diff_id.
      layers: [{ descriptor: { mediaType: MEDIA.layerTar, digest, size }, diffId: digest, blobPath, treePath: rootfs }],
    };
  } catch (e) {
    await fs.rm(workDir, { recursive: true, force: true });
    throw e;
  }
}

function isAppletName(name: string): boolean {
  return name !== '' && name !== 'busybox' && !name.includes('/') && name !== '.' && name !== '..';
}

async function makeRootfs(rootfs: string, busybox: string, applets: string[], mtime: Date): Promise<void> {
  await fs.mkdir(rootfs, { mode: 0o755 });
  await fs.chmod(rootfs, 0o755);
  for (const [dir, mode] of DIRS) {
    await fs.mkdir(join(rootfs, dir), { recursive: true });
    await fs.chmod(join(rootfs, dir), mode); // explicit: mkdir's mode is filtered by the umask
  }
  await fs.copyFile(busybox, join(rootfs, 'bin/busybox'));
  await fs.chmod(join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of applets) await fs.symlink('busybox', join(rootfs, 'bin', applet));
  if (applets.includes('env')) await fs.symlink('../../bin/env', join(rootfs, 'usr/bin/env'));
  for (const [file, text, mode] of [
    ['etc/passwd', PASSWD, 0o644],
    ['etc/group', GROUP, 0o644],
    ['etc/shadow', SHADOW, 0o600],
  ] as const) {
    await fs.writeFile(join(rootfs, file), text);
    await fs.chmod(join(rootfs, file), mode);
  }
  await touchTree(rootfs, mtime);
}

/** Give every entry the archive's timestamp, so the tree on disk matches the layer exactly. */
async function touchTree(dir: string, time: Date): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await touchTree(path, time);
    await fs.lutimes(path, time, time);
  }
  await fs.lutimes(dir, time, time);
}
