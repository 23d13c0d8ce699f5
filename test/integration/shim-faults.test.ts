import { describe, expect, it, onTestFinished } from 'vitest';
import { execa } from 'execa';
import { existsSync, readFileSync, readdirSync, rmdirSync, rmSync, statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { cleanRoot, glass, isRoot, newRoot, sleep, useRoot } from '../helpers.js';

/**
 * What the shim does when things go wrong around it (native/README.md, "Files
 * the shim writes"): its own record (shim.json) names it and its init from
 * the moment the init exists; a container that fills the disk its state is on
 * still has its exit code recorded; a container that makes child cgroups can
 * still be removed; a signal sent to the shim itself is passed to the init,
 * and the exit is recorded as usual.
 */

/** Poll cond until it holds (at most `ms`); returns its last value. Waits on a condition, never a fixed delay. */
async function waitFor<T>(what: string, cond: () => Promise<T> | T, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Fields of /proc/<pid>/stat by number (field 3 is the state, 22 the start time), or undefined once gone. */
function stat(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return ['', String(pid), '', ...text.slice(text.lastIndexOf(')') + 2).trim().split(' ')];
  } catch {
    return undefined;
  }
}

const logsOf = async (root: string, name: string) => {
  const r = await glass(root, ['logs', name]);
  return r.stdout + r.stderr;
};

/** Every cgroup directory on the host (v1 trees, the hybrid's unified tree, or v2) whose path names this container. */
function cgroupDirsOf(id: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e);
      if (p.includes(`glass-${id}`)) out.push(p);
      if (depth < 6) walk(p, depth + 1); // /sys/fs/cgroup/pids/glass/glass-<id>/child/grandchild
    }
  };
  walk('/sys/fs/cgroup', 1);
  return out;
}

describe.skipIf(!isRoot)('the shim when things go wrong', () => {
  const root = useRoot();

  it('records itself in shim.json right after clone: its pid and start time, and the init; kept after the exit', async () => {
    const r = await glass(root, ['run', '-d', '--name', 'rec', 'busybox', 'sleep', '1000']);
    expect(r.exitCode).toBe(0);
    const id = r.stdout.trim();
    const file = `${root}/containers/${id}/shim.json`;
    const rec = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; startTime: number; initPid: number };
    expect(Object.keys(rec)).toEqual(['pid', 'startTime', 'initPid']);
    expect(readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8')).toContain('glass-shim');
    expect(Number(stat(rec.pid)![22])).toBe(rec.startTime);
    expect(Number(stat(rec.initPid)![4])).toBe(rec.pid); // the shim is the init's parent
    expect((await glass(root, ['inspect', '-f', '{{.State.Pid}}', 'rec'])).stdout.trim()).toBe(String(rec.initPid));
    expect(existsSync(`${root}/containers/${id}/shim.json.tmp`)).toBe(false);

    expect((await glass(root, ['kill', 'rec'])).exitCode).toBe(0);
    expect((await glass(root, ['wait', 'rec'])).stdout).toBe('137\n');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(rec); // the shim removes nothing of it
    expect((await glass(root, ['rm', 'rec'])).exitCode).toBe(0);
  });

  it('passes SIGHUP and SIGTERM sent to the shim itself on to the init, and records the exit it causes', async () => {
    const r = await glass(root, ['run', '-d', '--name', 'hup', 'busybox', 'sh', '-c', 'trap "echo got HUP; exit 3" HUP; echo ready; while :; do sleep 0.05; done']);
    expect(r.exitCode).toBe(0);
    const id = r.stdout.trim();
    await waitFor('the trap to be set', async () => (await logsOf(root, 'hup')).includes('ready'));
    const { pid } = JSON.parse(readFileSync(`${root}/containers/${id}/shim.json`, 'utf8')) as { pid: number };
    process.kill(pid, 'SIGTERM'); // an init without a TERM handler ignores it: nothing happens
    process.kill(pid, 'SIGHUP');
    expect((await glass(root, ['wait', 'hup'])).stdout).toBe('3\n');
    expect((await glass(root, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'hup'])).stdout).toBe('exited 3\n');
    expect(await logsOf(root, 'hup')).toBe('ready\ngot HUP\n');
    expect((await glass(root, ['rm', 'hup'])).exitCode).toBe(0);
  });

  it('a container that makes child cgroups (and moves itself into them) is removed by rm -f, with every cgroup', async () => {
    // Mounting a cgroup hierarchy needs CAP_SYS_ADMIN (and mount through seccomp), which only
    // --privileged gives; in its own cgroup namespace the container sees its own cgroup as the root.
    const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    const mounts = [
      ...(v2 || existsSync('/sys/fs/cgroup/unified') ? ['mkdir -p /cg2 && mount -t cgroup2 none /cg2 && mkdir /cg2/child && echo $$ > /cg2/child/cgroup.procs'] : []),
      ...(!v2 && existsSync('/sys/fs/cgroup/pids') ? ['mkdir -p /cgp && mount -t cgroup -o pids none /cgp && mkdir -p /cgp/child/grandchild && echo $$ > /cgp/child/grandchild/cgroup.procs'] : []),
    ];
    expect(mounts.length).toBeGreaterThan(0);
    const r = await glass(root, ['run', '-d', '--privileged', '--name', 'nest', 'busybox', 'sh', '-c', `${mounts.join(' && ')} && sleep 1000 & wait`]);
    expect(r.exitCode).toBe(0);
    const id = r.stdout.trim();
    let left: string[] = [];
    try {
      // One child cgroup with a process in it per hierarchy mounted.
      await waitFor('the child cgroups to be made and joined', () =>
        cgroupDirsOf(id).filter((d) => /\/(grand)?child$/.test(d) && readFileSync(`${d}/cgroup.procs`, 'utf8').trim() !== '').length === mounts.length);
      const rm = await glass(root, ['rm', '-f', 'nest']);
      expect(rm.stderr).toBe('');
      expect(rm).toMatchObject({ exitCode: 0, stdout: 'nest\n' });
      left = cgroupDirsOf(id);
      expect(left).toEqual([]);
      expect(existsSync(`${root}/containers/${id}`)).toBe(false);
    } finally {
      // Whatever happened, leave no cgroup behind: children first.
      for (const d of cgroupDirsOf(id).sort((a, b) => b.length - a.length)) {
        try {
          for (const pid of readFileSync(`${d}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
        } catch { /* gone */ }
        await waitFor(`rmdir ${d}`, () => {
          try {
            rmdirSync(d);
            return true;
          } catch (e) {
            return (e as NodeJS.ErrnoException).code === 'ENOENT';
          }
        }, 5_000).catch(() => {});
      }
    }
  });
});

describe.skipIf(!isRoot)('a state root on a full disk', () => {
  // Thirteen glass commands: a few seconds here, more than the default 60 s
  // with the CPU throttled to 5% of one core (a learner's slow VM).
  it('a container that fills it with its own writes still has its exit code (7) recorded; ps, logs, wait, inspect, stop, rm -f work', { timeout: 150_000 }, async () => {
    const root = newRoot();
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'glass-test-full', root]);
    // When the test ends, passed, failed or timed out (a finally block would
    // run only once the timed-out test's pending command returned, if ever):
    // a test that failed half-way must not leave a mount behind.
    onTestFinished(async () => {
      await cleanRoot(root).catch(() => {});
      // A shim still holding a file open there would keep the tmpfs busy.
      const umount = await execa('umount', [root], { reject: false });
      if (umount.exitCode !== 0) await execa('umount', ['-l', root], { reject: false });
      rmSync(root, { recursive: true, force: true });
    });
    // Wait for a line on stdin, so that `run -d` has written all it writes before the disk fills.
    const r = await glass(root, ['run', '-d', '-i', '--name', 'full', 'busybox', 'sh', '-c', 'read go; dd if=/dev/zero of=/fill bs=64k; exit 7']);
    expect(r.exitCode).toBe(0);
    const id = r.stdout.trim();
    // Its writable layer is in the state root, on this tmpfs.
    expect(statSync(`${root}/containers/${id}`).dev).toBe(statSync(root).dev);

    const att = await glass(root, ['attach', 'full'], { input: 'go\n', stdin: undefined });
    expect(att.stderr, JSON.stringify(att)).toContain('No space left on device'); // dd's own complaint, through the attach stream
    expect(att.exitCode).toBe(7);
    const free = statfsSync(root);
    expect(free.bfree).toBeLessThanOrEqual(1); // full indeed

    expect((await glass(root, ['wait', 'full'])).stdout).toBe('7\n');
    expect((await glass(root, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'full'])).stdout).toBe('exited 7\n');
    expect(JSON.parse(readFileSync(`${root}/containers/${id}/exit.json`, 'utf8'))).toMatchObject({ exitCode: 7, signal: 0 });
    const ps = await glass(root, ['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
    expect(ps.exitCode).toBe(0);
    expect(ps.stdout).toMatch(/^full Exited \(7\) /);
    expect((await glass(root, ['logs', 'full'])).exitCode).toBe(0);
    expect((await glass(root, ['stop', 'full'])).exitCode).toBe(0);
    const rm = await glass(root, ['rm', '-f', 'full']);
    expect(rm).toMatchObject({ exitCode: 0, stdout: 'full\n' });
    expect(existsSync(`${root}/containers/${id}`)).toBe(false);
  });
});
