import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lessonSuite } from './learn-lessons.js';

// Lesson 16 (registries: pull, the manifest and a blob by hand with curl, push, login/logout, save/load), in a
// file of its own. Its setup starts two docker-registry processes on free loopback ports (one with htpasswd) and
// its cleanup stops them by PID.

// The lesson logs in: its credentials go to a config directory of this file's own, never to root's ~/.glass.
// (glass learn's blocks, and the in-process run of the second test, inherit this environment.)
const config = mkdtempSync(join(tmpdir(), 'glass-test-config-16-'));
process.env.GLASS_CONFIG = config;
afterAll(() => rmSync(config, { recursive: true, force: true }));

lessonSuite({ lesson: 16 });

describe('lesson 16 leaves nothing behind', () => {
  it('no docker-registry the lesson started still runs, and logout left no credentials', () => {
    const left: string[] = [];
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        if (cmd.includes('docker-registry') && cmd.includes('glass-lesson-16-')) left.push(`${pid} ${cmd}`);
      } catch { /* gone */ }
    }
    expect(left).toEqual([]);
    let auths: Record<string, unknown> = {};
    try {
      auths = (JSON.parse(readFileSync(join(config, 'config.json'), 'utf8')) as { auths?: Record<string, unknown> }).auths ?? {};
    } catch { /* no file: nothing stored */ }
    expect(auths).toEqual({});
  });
});
