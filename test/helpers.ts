import { execa, type Options } from 'execa';
import { afterAll } from 'vitest';
import { mkdtempSync, rmSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TEST_ROOT_PREFIX } from './leaks.js';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const GLASS = `${REPO}bin/glass`;
export const isRoot = process.getuid?.() === 0;

export interface Result {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * A fresh state root for one test file; remove it with `cleanRoot`. It is
 * marked as glass marks the roots it makes (runtime/engine/state/root.ts), so
 * a test may put its own files in it before glass first runs there; glass
 * refuses an unmarked directory that is not empty.
 */
export function newRoot(): string {
  const root = mkdtempSync(TEST_ROOT_PREFIX);
  writeFileSync(`${root}/glass-root.json`, JSON.stringify({ format: 1 }) + '\n');
  return root;
}

/** Run the real CLI against a state root. */
export async function glass(root: string, args: string[], opts: Options = {}): Promise<Result> {
  const r = await execa(GLASS, ['--root', root, '--no-color', ...args], { reject: false, timeout: 60_000, stdin: 'ignore', stripFinalNewline: false, ...opts });
  return { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? -1 };
}

/** A state root for the tests of one describe block, removed after them. */
export function useRoot(): string {
  const root = newRoot();
  afterAll(() => cleanRoot(root));
  return root;
}

/** Remove every container of the root (force), then the root itself. */
export async function cleanRoot(root: string): Promise<void> {
  if (!existsSync(root)) return;
  const dir = `${root}/containers`;
  const ids = existsSync(dir) ? readdirSync(dir).filter((e) => /^[0-9a-f]{64}$/.test(e)) : [];
  if (ids.length) await glass(root, ['rm', '-f', ...ids]);
  rmSync(root, { recursive: true, force: true });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
