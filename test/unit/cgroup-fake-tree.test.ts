import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { cgroupDriver } from '../../runtime/kernel/cgroup/index.js';
import { hostCgroupFs, type CgroupFs } from '../../runtime/kernel/cgroup/fs.js';
import { CGROUP2_SUPER_MAGIC, TMPFS_MAGIC } from '../../runtime/kernel/cgroup/layout.js';
import { CgroupV1Driver } from '../../runtime/kernel/cgroup/v1.js';
import { CgroupV2Driver } from '../../runtime/kernel/cgroup/v2.js';
import type { Step } from '../../runtime/kernel/step.js';

/**
 * The cgroup drivers on a fake cgroupfs in a temp directory: no root, no
 * /sys/fs/cgroup. The fake behaves like the kernel where the drivers rely on
 * it: mkdir makes a cgroup with its control files (empty cgroup.procs; empty
 * cpuset files in a v1 cpuset tree; cgroup.kill where the parent has one),
 * writing a pid to cgroup.procs adds it, subdirectories are child cgroups,
 * and rmdir fails with EBUSY while cgroup.procs lists a process or a child
 * cgroup is left, then takes the control files with it.
 */
function fakeCgroupFs(): CgroupFs & { rmdirs: string[] } {
  const rmdirs: string[] = [];
  const list = (path: string) => (existsSync(path) ? readdirSync(path, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : []);
  return {
    rmdirs,
    mkdir(path) {
      mkdirSync(path);
      const parent = dirname(path);
      writeFileSync(join(path, 'cgroup.procs'), '');
      for (const f of ['cpuset.cpus', 'cpuset.mems', 'cgroup.kill']) {
        if (existsSync(join(parent, f))) writeFileSync(join(path, f), '');
      }
    },
    rmdir(path) {
      rmdirs.push(path);
      if (!existsSync(path)) throw Object.assign(new Error(`ENOENT: rmdir '${path}'`), { code: 'ENOENT' });
      if (readFileSync(join(path, 'cgroup.procs'), 'utf8').trim() !== '' || list(path).length > 0) {
        throw Object.assign(new Error(`EBUSY: resource busy, rmdir '${path}'`), { code: 'EBUSY' });
      }
      rmSync(path, { recursive: true });
    },
    read: hostCgroupFs.read,
    write(path, data) {
      if (basename(path) === 'cgroup.procs') appendFileSync(path, `${data}\n`);
      else writeFileSync(path, data);
    },
    exists: hostCgroupFs.exists,
    list,
  };
}

/** A process to put in a fake cgroup: sleep 30, killed after the test if still alive. */
const children: ChildProcess[] = [];
function sleeper(): ChildProcess {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  return child;
}
const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
async function exited(child: ChildProcess): Promise<NodeJS.Signals | null> {
  if (!alive(child)) return child.signalCode;
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  const [, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return signal;
}

let tree: string;
let fs: ReturnType<typeof fakeCgroupFs>;
let steps: Step[];
const trace = (s: Step) => steps.push(s);

beforeEach(() => {
  tree = mkdtempSync(join(tmpdir(), 'glass-fake-cgroup-'));
  fs = fakeCgroupFs();
  steps = [];
});
afterEach(() => {
  for (const c of children.splice(0)) if (alive(c)) c.kill('SIGKILL');
  rmSync(tree, { recursive: true, force: true });
});

describe('cgroup v2 driver on a fake tree', () => {
  const v2 = (withKill: boolean) => {
    writeFileSync(join(tree, 'cgroup.controllers'), 'cpu memory pids\n');
    writeFileSync(join(tree, 'cgroup.procs'), '');
    if (withKill) writeFileSync(join(tree, 'cgroup.kill'), '');
    const driver = cgroupDriver(
      { root: tree, fsType: CGROUP2_SUPER_MAGIC, mountinfo: `30 23 0:27 / ${tree} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n` },
      fs,
      { parent: '' }, // the plain mechanics; glass's parent cgroup: cgroup-limits.test.ts
    );
    expect(driver).toBeInstanceOf(CgroupV2Driver);
    expect(driver.layout).toEqual({ kind: 'v2', root: tree, hierarchies: [{ version: 2, mountpoint: tree, controllers: ['cpu', 'memory', 'pids'] }] });
    return driver;
  };

  it('plans without touching the tree, then creates one directory', () => {
    const driver = v2(false);
    const cg = driver.plan('glass-a');
    expect(cg).toEqual({ name: 'glass-a', dirs: [join(tree, 'glass-a')] });
    expect(existsSync(cg.dirs[0]!)).toBe(false);
    expect(driver.create(trace, 'glass-a')).toEqual(cg);
    expect(existsSync(cg.dirs[0]!)).toBe(true);
    expect(steps.map((s) => [s.title, s.command])).toEqual([["Create the container's cgroup glass-a", `mkdir ${tree}/glass-a`]]);
  });

  it('places pids by writing cgroup.procs and reads them back', () => {
    const driver = v2(false);
    const cg = driver.create(trace, 'glass-b');
    driver.place(trace, cg, 4242);
    driver.place(trace, cg, 4343);
    expect(readFileSync(join(cg.dirs[0]!, 'cgroup.procs'), 'utf8')).toBe('4242\n4343\n');
    expect(driver.pids(cg)).toEqual([4242, 4343]);
    expect(steps.at(-1)).toMatchObject({ title: 'Place pid 4343 in the container\'s cgroup', command: `echo 4343 > ${tree}/glass-b/cgroup.procs` });
    expect(driver.pids(driver.plan('glass-missing'))).toEqual([]);
  });

  it('kills with one write to cgroup.kill when the kernel has it', async () => {
    const driver = v2(true);
    const cg = driver.create(trace, 'glass-c');
    const child = sleeper();
    driver.place(trace, cg, child.pid!);
    driver.killAll(trace, cg, 'SIGKILL');
    expect(readFileSync(join(cg.dirs[0]!, 'cgroup.kill'), 'utf8')).toBe('1');
    expect(steps.at(-1)).toMatchObject({ title: 'Kill every process in cgroup glass-c', command: `echo 1 > ${tree}/glass-c/cgroup.kill` });
    // The fake cgroup.kill is only a file: the process lives, so the driver signalled no pid itself.
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(child)).toBe(true);
  });

  it('signals every pid when there is no cgroup.kill (Linux < 5.14), or for other signals', async () => {
    const driver = v2(false);
    const cg = driver.create(trace, 'glass-d');
    const child = sleeper();
    driver.place(trace, cg, child.pid!);
    driver.killAll(trace, cg, 'SIGKILL');
    expect(await exited(child)).toBe('SIGKILL');
    expect(steps.at(-1)).toMatchObject({ title: 'Signal every process in cgroup glass-d', command: `kill -KILL $(cat ${tree}/glass-d/cgroup.procs)` });

    const withKill = v2(true);
    const cg2 = withKill.create(trace, 'glass-e');
    const other = sleeper();
    withKill.place(trace, cg2, other.pid!);
    withKill.killAll(trace, cg2, 'SIGTERM'); // cgroup.kill only ever sends SIGKILL
    expect(await exited(other)).toBe('SIGTERM');
    expect(readFileSync(join(cg2.dirs[0]!, 'cgroup.kill'), 'utf8')).toBe('');
  });

  it('removes with rmdir, retrying while the kernel still reaps (EBUSY)', async () => {
    const driver = v2(false);
    const cg = driver.create(trace, 'glass-f');
    driver.place(trace, cg, 4242);
    const removing = driver.remove(trace, cg);
    await new Promise((r) => setTimeout(r, 120));
    expect(existsSync(cg.dirs[0]!)).toBe(true);
    writeFileSync(join(cg.dirs[0]!, 'cgroup.procs'), ''); // the kernel has reaped the last process
    await removing;
    expect(existsSync(cg.dirs[0]!)).toBe(false);
    expect(fs.rmdirs.length).toBeGreaterThan(2); // EBUSY at least twice, then success
    expect(steps.at(-1)).toMatchObject({ title: 'Remove cgroup glass-f', command: `rmdir ${tree}/glass-f` });
    await driver.remove(trace, cg); // already gone: nothing to do
  });

  /** The container's own child cgroups, as `mkdir` in its mounted hierarchy makes them: glass-x/a, glass-x/a/b, glass-x/c. */
  const nest = (dir: string) => {
    for (const d of ['a', 'a/b', 'c']) fs.mkdir(join(dir, d));
    return { a: join(dir, 'a'), b: join(dir, 'a/b'), c: join(dir, 'c') };
  };

  it('finds, signals and removes processes and child cgroups the container made, children first', async () => {
    const driver = v2(false);
    const cg = driver.create(trace, 'glass-k');
    const { a, b, c } = nest(cg.dirs[0]!);
    const [top, deep] = [sleeper(), sleeper()];
    driver.place(trace, cg, top.pid!);
    fs.write(join(b, 'cgroup.procs'), String(deep.pid)); // the container moved it into a grandchild
    expect(driver.pids(cg).sort()).toEqual([top.pid, deep.pid].sort());
    driver.killAll(trace, cg, 'SIGKILL');
    expect(await exited(top)).toBe('SIGKILL');
    expect(await exited(deep)).toBe('SIGKILL');
    expect(steps.at(-1)).toMatchObject({ title: 'Signal every process in cgroup glass-k', command: `kill -KILL $(find ${cg.dirs[0]} -name cgroup.procs -exec cat {} +)` });
    for (const d of [cg.dirs[0]!, b]) writeFileSync(join(d, 'cgroup.procs'), ''); // the kernel's part: the dead leave
    await driver.remove(trace, cg);
    expect(existsSync(cg.dirs[0]!)).toBe(false);
    expect(fs.rmdirs).toEqual([b, a, c, cg.dirs[0]]); // depth-first: no rmdir of a parent before its children
    expect(steps.at(-1)).toMatchObject({ title: 'Remove cgroup glass-k', command: `rmdir ${b} ${a} ${c} ${cg.dirs[0]}` });
  });

  it('kills a whole subtree with one write to cgroup.kill', () => {
    const driver = v2(true);
    const cg = driver.create(trace, 'glass-l');
    const { b } = nest(cg.dirs[0]!);
    fs.write(join(b, 'cgroup.procs'), '4242'); // a (fake) process only in a grandchild
    expect(driver.pids(cg)).toEqual([4242]);
    driver.killAll(trace, cg, 'SIGKILL');
    expect(readFileSync(join(cg.dirs[0]!, 'cgroup.kill'), 'utf8')).toBe('1'); // the top one: the kernel does the rest
    expect(readFileSync(join(b, 'cgroup.kill'), 'utf8')).toBe('');
  });

  it('retries while a child cgroup still holds a dying process (EBUSY)', async () => {
    const driver = v2(false);
    const cg = driver.create(trace, 'glass-m');
    const { b } = nest(cg.dirs[0]!);
    fs.write(join(b, 'cgroup.procs'), '4242');
    const removing = driver.remove(trace, cg);
    await new Promise((r) => setTimeout(r, 120));
    expect(existsSync(b)).toBe(true);
    writeFileSync(join(b, 'cgroup.procs'), ''); // reaped
    await removing;
    expect(existsSync(cg.dirs[0]!)).toBe(false);
  });

  it('gives up with EBUSY when the cgroup never empties', async () => {
    const driver = v2(false);
    const cg = driver.create(trace, 'glass-g');
    driver.place(trace, cg, 4242);
    await expect(driver.remove(trace, cg)).rejects.toMatchObject({ code: 'EBUSY' });
    expect(existsSync(cg.dirs[0]!)).toBe(true);
  });
});

describe("glass's parent cgroup: made by the first container, removed with the last", () => {
  const v2WithParent = () => {
    writeFileSync(join(tree, 'cgroup.controllers'), 'cpu memory pids\n');
    writeFileSync(join(tree, 'cgroup.procs'), '');
    writeFileSync(join(tree, 'cgroup.subtree_control'), '');
    return cgroupDriver({ root: tree, fsType: CGROUP2_SUPER_MAGIC, mountinfo: `30 23 0:27 / ${tree} rw - cgroup2 cgroup2 rw\n` }, fs);
  };

  it('keeps the parent while another container is in it, and removes it with the last (v2)', async () => {
    const driver = v2WithParent();
    const a = driver.create(trace, 'glass-a');
    const b = driver.create(trace, 'glass-b');
    const parent = join(tree, 'glass');
    expect(a.dirs[0]).toBe(join(parent, 'glass-a'));
    await driver.remove(trace, a);
    expect(existsSync(parent)).toBe(true); // glass-b is still in it: rmdir refused, nothing reported
    expect(steps.some((s) => s.title.includes('now empty'))).toBe(false);
    await driver.remove(trace, b);
    expect(existsSync(parent)).toBe(false);
    expect(steps.at(-1)).toMatchObject({ title: "Remove glass's own cgroup, now empty", command: `rmdir ${parent}` });
  });

  it('makes the parent again when another process removed it between its check and the mkdir (ENOENT)', () => {
    const driver = v2WithParent();
    const parent = join(tree, 'glass');
    let raced = false;
    const mkdir = fs.mkdir;
    fs.mkdir = (path) => {
      // Another glass removes the empty parent just before this container's mkdir.
      if (!raced && path === join(parent, 'glass-c')) {
        raced = true;
        rmSync(parent, { recursive: true });
      }
      mkdir(path);
    };
    driver.create(trace, 'glass-c');
    fs.mkdir = mkdir;
    expect(raced).toBe(true);
    expect(existsSync(join(parent, 'glass-c'))).toBe(true);
  });

  it('makes it again when the parent goes between its mkdir and the write into it (a wrapped ENOENT)', () => {
    const driver = v2WithParent();
    const parent = join(tree, 'glass');
    let raced = false;
    const write = fs.write;
    fs.write = (path, data) => {
      // Another glass removes the parent, still empty, just before this one hands the controllers down in it.
      if (!raced && path === join(parent, 'cgroup.subtree_control')) {
        raced = true;
        rmSync(parent, { recursive: true });
      }
      write(path, data);
    };
    driver.create(trace, 'glass-d');
    fs.write = write;
    expect(raced).toBe(true);
    expect(existsSync(join(parent, 'glass-d'))).toBe(true);
  });
});

describe('cgroup v1 driver on a fake hybrid tree', () => {
  /** A tmpfs at the root holding one tree per controller group, plus the v2 tree at unified/. */
  const v1 = () => {
    const mounts = [
      ['cpu,cpuacct', 'cgroup', 'rw,cpu,cpuacct'],
      ['cpuset', 'cgroup', 'rw,cpuset'],
      ['memory', 'cgroup', 'rw,memory'],
      ['systemd', 'cgroup', 'rw,xattr,name=systemd'],
      ['unified', 'cgroup2', 'rw'],
    ];
    const lines = [`31 23 0:28 / ${tree} rw - tmpfs tmpfs rw,mode=755`];
    mounts.forEach(([dir, type, opts], i) => {
      mkdirSync(join(tree, dir!));
      writeFileSync(join(tree, dir!, 'cgroup.procs'), '');
      lines.push(`${40 + i} 31 0:${40 + i} / ${tree}/${dir} rw,relatime - ${type} cgroup ${opts}`);
    });
    writeFileSync(join(tree, 'cpuset/cpuset.cpus'), '0-1\n');
    writeFileSync(join(tree, 'cpuset/cpuset.mems'), '0\n');
    writeFileSync(join(tree, 'unified/cgroup.controllers'), '');
    const driver = cgroupDriver({ root: tree, fsType: TMPFS_MAGIC, mountinfo: lines.join('\n') + '\n' }, fs, { parent: '' });
    expect(driver).toBeInstanceOf(CgroupV1Driver);
    expect(driver.layout.kind).toBe('hybrid');
    return driver;
  };

  it('makes one directory per hierarchy, the cpuset with its parent\'s cpus and mems', () => {
    const driver = v1();
    const cg = driver.create(trace, 'glass-h');
    expect(cg.dirs).toEqual(['cpu,cpuacct', 'cpuset', 'memory', 'systemd', 'unified'].map((d) => join(tree, d, 'glass-h')));
    for (const d of cg.dirs) expect(existsSync(d)).toBe(true);
    expect(readFileSync(join(tree, 'cpuset/glass-h/cpuset.cpus'), 'utf8')).toBe('0-1');
    expect(readFileSync(join(tree, 'cpuset/glass-h/cpuset.mems'), 'utf8')).toBe('0');
    expect(steps.map((s) => s.command)).toEqual([
      `mkdir ${tree}/{cpu,cpuacct,cpuset,memory,systemd,unified}/glass-h`,
      `echo 0-1 > ${tree}/cpuset/glass-h/cpuset.cpus`,
      `echo 0 > ${tree}/cpuset/glass-h/cpuset.mems`,
    ]);
  });

  it('places a pid in every tree, finds it, kills it and removes every directory', async () => {
    const driver = v1();
    const cg = driver.create(trace, 'glass-i');
    const child = sleeper();
    driver.place(trace, cg, child.pid!);
    for (const d of cg.dirs) expect(readFileSync(join(d, 'cgroup.procs'), 'utf8')).toBe(`${child.pid}\n`);
    expect(steps.at(-1)!.command).toBe(`for f in ${tree}/{cpu,cpuacct,cpuset,memory,systemd,unified}/glass-i/cgroup.procs; do echo ${child.pid} > $f; done`);
    expect(driver.pids(cg)).toEqual([child.pid]);
    driver.killAll(trace, cg, 'SIGKILL');
    expect(await exited(child)).toBe('SIGKILL');
    for (const d of cg.dirs) writeFileSync(join(d, 'cgroup.procs'), ''); // the kernel's part: the dead leave
    await driver.remove(trace, cg);
    for (const d of cg.dirs) expect(existsSync(d)).toBe(false);
    expect(steps.at(-1)!.command).toBe(`rmdir ${tree}/{cpu,cpuacct,cpuset,memory,systemd,unified}/glass-i`);
  });

  it('finds and kills a process in a child cgroup of one tree, then removes every tree children first', async () => {
    const driver = v1();
    const cg = driver.create(trace, 'glass-n');
    const [init, moved] = [sleeper(), sleeper()];
    driver.place(trace, cg, init.pid!);
    // Inside, `mount -t cgroup -o memory none /mnt; mkdir -p /mnt/x/y; echo $pid > /mnt/x/y/cgroup.procs`:
    const memory = cg.dirs.find((d) => d.includes('/memory/'))!;
    fs.mkdir(join(memory, 'x'));
    fs.mkdir(join(memory, 'x/y'));
    fs.write(join(memory, 'x/y/cgroup.procs'), String(moved.pid));
    const unified = cg.dirs.find((d) => d.includes('/unified/'))!;
    fs.mkdir(join(unified, 'z')); // an empty child cgroup in the v2 tree
    expect(driver.pids(cg).sort()).toEqual([init.pid, moved.pid].sort());
    driver.killAll(trace, cg, 'SIGKILL');
    expect(await exited(init)).toBe('SIGKILL');
    expect(await exited(moved)).toBe('SIGKILL');
    for (const d of [...cg.dirs, join(memory, 'x/y')]) writeFileSync(join(d, 'cgroup.procs'), '');
    await driver.remove(trace, cg);
    for (const d of cg.dirs) expect(existsSync(d)).toBe(false);
    const order = fs.rmdirs;
    expect(order.indexOf(join(memory, 'x/y'))).toBeLessThan(order.indexOf(join(memory, 'x')));
    expect(order.indexOf(join(memory, 'x'))).toBeLessThan(order.indexOf(memory));
    expect(order.indexOf(join(unified, 'z'))).toBeLessThan(order.indexOf(unified));
    expect(steps.at(-1)!.command).toBe(`rmdir ${cg.dirs.flatMap((d) => (d === memory ? [join(d, 'x/y'), join(d, 'x'), d] : d === unified ? [join(d, 'z'), d] : [d])).join(' ')}`);
  });

  it('takes back the directories it made when the cpuset cannot be set up', () => {
    const driver = v1();
    rmSync(join(tree, 'cpuset/cpuset.mems'));
    expect(() => driver.create(trace, 'glass-j')).toThrow(/ENOENT/);
    for (const d of driver.plan('glass-j').dirs) expect(existsSync(d)).toBe(false);
  });
});
