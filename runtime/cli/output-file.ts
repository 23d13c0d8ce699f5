import { createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { isHostError } from '../engine/index.js';

/**
 * `-o FILE` as Docker's CLI writes it (command.CopyToFile): into a temp file
 * beside FILE, renamed over FILE once everything is written, so a failed
 * write (a full disk, a container that is not there) leaves FILE as it was
 * and no partial file behind. A device or a pipe (`-o /dev/null`,
 * `-o /dev/full`) cannot be renamed over and is written directly. A system
 * error is reported with FILE as its path, not the temp file's.
 */
export async function writeToFile(path: string, write: (out: Writable) => Promise<void>): Promise<void> {
  let special = false;
  try {
    special = !statSync(path).isFile();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw withPath(e, path);
  }
  const target = special ? path : join(dirname(path), `.${basename(path)}.glass-${randomBytes(4).toString('hex')}`);
  const stream = createWriteStream(target, { flags: special ? 'w' : 'wx', mode: 0o644 });
  try {
    await once(stream, 'open');
    await write(stream);
    if (!stream.writableEnded) stream.end();
    if (!stream.closed) await once(stream, 'close');
    if (!special) renameSync(target, path);
  } catch (e) {
    stream.destroy();
    if (!special) rmSync(target, { force: true });
    throw withPath(e, path);
  }
}

function withPath(e: unknown, path: string): unknown {
  if (isHostError(e)) e.path = path;
  return e;
}
