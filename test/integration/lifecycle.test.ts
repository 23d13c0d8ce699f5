import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execa } from 'execa';
import { GLASS, cleanRoot, glass, isRoot, newRoot, sleep, useRoot } from '../helpers.js';

function cgroupDirsFor(id: string): string[] {
  const out: string[] = [];
  for (const h of readdirSync('/sys/fs/cgroup')) {
    const p = `/sys/fs/cgroup/${h}/glass-${id}`;
    if (existsSync(p)) out.push(p);
  }
  if (existsSync(`/sys/fs/cgroup/glass-${id}`)) out.push(`/sys/fs/cgroup/glass-${id}`);
  return out;
}

describe.skipIf(!isRoot)('detached lifecycle', () => {
  const root = useRoot();

  it('run -d → ps → logs -f → stop → ps -a → start → rm', async () => {
    const r = await glass(root, ['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'echo started >> /count; for i in 1 2 3; do echo out $i; echo err $i >&2; done; sleep 1000']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const id = r.stdout.trim();

    // The CLI has exited; the container keeps running under its shim.
    const info = JSON.parse((await glass(root, ['inspect', 'ticker'])).stdout)[0];
    expect(info.State.Status).toBe('running');
    expect(info.State.Pid).toBeGreaterThan(1);
    expect(existsSync(`/proc/${info.State.Pid}`)).toBe(true);
    // It is in its own cgroup in every hierarchy.
    const cgs = cgroupDirsFor(id);
    expect(cgs.length).toBeGreaterThan(0);
    for (const cg of cgs) expect(readFileSync(`${cg}/cgroup.procs`, 'utf8')).toContain(String(info.State.Pid));

    const ps = await glass(root, ['ps']);
    const [header, row] = ps.stdout.split('\n');
    expect(header).toMatch(/^CONTAINER ID {3}IMAGE {3,}COMMAND {3,}CREATED {3,}STATUS {3,}PORTS {3,}NAMES$/);
    expect(row).toContain(id.slice(0, 12));
    expect(row).toContain('"sh -c \'echo started…"');
    expect(row).toMatch(/Up (Less than a second|\d+ seconds?)/);
    expect(row!.endsWith('ticker')).toBe(true);

    // logs: stdout to stdout, stderr to stderr, in order.
    await sleep(300);
    const logs = await glass(root, ['logs', 'ticker']);
    expect(logs.stdout).toBe('out 1\nout 2\nout 3\n');
    expect(logs.stderr).toBe('err 1\nerr 2\nerr 3\n');
    const tail = await glass(root, ['logs', '--tail', '1', 'ticker']);
    expect(tail.stdout + tail.stderr).toBe('err 3\n');
    const ts = await glass(root, ['logs', '-t', 'ticker']);
    expect(ts.stdout.split('\n')[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out 1$/);
    const raw = readFileSync(info.LogPath, 'utf8').split('\n')[0]!;
    expect(JSON.parse(raw)).toMatchObject({ log: 'out 1\n', stream: 'stdout' });

    // logs -f streams until the container stops.
    const follow = execa(GLASS, ['--root', root, 'logs', '-f', 'ticker'], { reject: false, stripFinalNewline: false });
    await sleep(400);
    expect(follow.exitCode).toBeNull(); // still following

    const t0 = Date.now();
    const stop = await glass(root, ['stop', '-t', '1', 'ticker']);
    expect(stop.stdout).toBe('ticker\n');
    expect(Date.now() - t0).toBeLessThan(4000); // SIGTERM ignored by PID 1 sh → SIGKILL after 1 s
    const f = await follow;
    expect(f.exitCode).toBe(0);
    expect(f.stdout).toBe('out 1\nout 2\nout 3\n');

    const psa = await glass(root, ['ps', '-a']);
    expect(psa.stdout).toMatch(/Exited \(137\) (Less than a second|\d+ seconds?) ago/);
    expect((await glass(root, ['ps'])).stdout.split('\n').filter(Boolean).length).toBe(1);
    expect(cgroupDirsFor(id)).toEqual([]); // the shim removed the cgroup at exit
    expect(JSON.parse((await glass(root, ['inspect', 'ticker'])).stdout)[0].State.ExitCode).toBe(137);

    // start runs it again on the same filesystem.
    expect((await glass(root, ['start', 'ticker'])).stdout).toBe('ticker\n');
    await sleep(300);
    const again = JSON.parse((await glass(root, ['inspect', 'ticker'])).stdout)[0];
    expect(again.State.Running).toBe(true);
    const count = await execa('cat', [`${again.GraphDriver.Data.UpperDir}/count`]);
    expect(count.stdout).toBe('started\nstarted');

    // rm refuses a running container; rm -f removes it and leaves no trace.
    const refuse = await glass(root, ['rm', 'ticker']);
    expect(refuse.exitCode).toBe(1);
    expect(refuse.stderr).toMatch(/You cannot remove a running container [0-9a-f]{64}\. Stop the container before attempting removal or force remove/);
    const pid = again.State.Pid;
    expect((await glass(root, ['rm', '-f', 'ticker'])).stdout).toBe('ticker\n');
    expect(existsSync(`${root}/containers/${id}`)).toBe(false);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(cgroupDirsFor(id)).toEqual([]);
    expect((await glass(root, ['ps', '-a', '-q'])).stdout).toBe('');
    expect((await glass(root, ['inspect', 'ticker'])).exitCode).toBe(1);
  });

  it('stop ends a container that handles SIGTERM at once, with its own code', async () => {
    const r = await glass(root, ['run', '-d', 'busybox', 'sh', '-c', 'trap "exit 7" TERM; while true; do sleep 0.1; done']);
    const id = r.stdout.trim();
    await sleep(200);
    const t0 = Date.now();
    await glass(root, ['stop', id.slice(0, 8)]);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((await glass(root, ['wait', id])).stdout).toBe('7\n');
    expect((await glass(root, ['ps', '-a'])).stdout).toMatch(/Exited \(7\)/);
    await glass(root, ['rm', id]);
  });

  it('kill -s, wait, restart, create+start -a', async () => {
    const id = (await glass(root, ['run', '-d', '--name', 'sleeper', 'busybox', 'sleep', '1000'])).stdout.trim();
    const waiter = glass(root, ['wait', 'sleeper']);
    expect((await glass(root, ['kill', '-s', 'KILL', 'sleeper'])).stdout).toBe('sleeper\n');
    expect((await waiter).stdout).toBe('137\n');
    const again = await glass(root, ['kill', 'sleeper']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/is not running/);
    expect((await glass(root, ['restart', '-t', '0', 'sleeper'])).stdout).toBe('sleeper\n');
    expect(JSON.parse((await glass(root, ['inspect', id])).stdout)[0].State.Running).toBe(true);
    await glass(root, ['rm', '-f', 'sleeper']);

    const created = await glass(root, ['create', '--name', 'later', 'busybox', 'sh', '-c', 'echo from-start; exit 5']);
    expect(created.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await glass(root, ['ps', '-a'])).stdout).toMatch(/Created\s+later/);
    const started = await glass(root, ['start', '-a', 'later']);
    expect(started.stdout).toBe('from-start\n');
    expect(started.exitCode).toBe(5);
    await glass(root, ['rm', 'later']);
  });

  it('ps -q, -l, -n and --no-trunc; unique-prefix lookup; generated names', async () => {
    const root = newRoot(); // its own root: ps lists every container of a root
    const a = (await glass(root, ['run', '-d', 'busybox', 'sleep', '100'])).stdout.trim();
    const b = (await glass(root, ['create', 'busybox', 'true'])).stdout.trim();
    expect((await glass(root, ['ps', '-q'])).stdout).toBe(`${a.slice(0, 12)}\n`);
    expect((await glass(root, ['ps', '-a', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean).sort()).toEqual([a, b].sort());
    expect((await glass(root, ['ps', '-l', '-q'])).stdout).toBe(`${b.slice(0, 12)}\n`);
    expect((await glass(root, ['ps', '-n', '2', '-q'])).stdout).toBe(`${b.slice(0, 12)}\n${a.slice(0, 12)}\n`);
    const f = await glass(root, ['inspect', '-f', '{{.State.Status}} {{.State.Pid}} {{json .Config.Cmd}}', a]);
    expect(f.stdout).toMatch(/^running [1-9]\d* \["sleep","100"\]\n$/);
    const table = await glass(root, ['ps', '-a', '--format', 'table {{.ID}}\t{{.State}}']);
    expect(table.stdout).toBe(`CONTAINER ID   STATE\n${b.slice(0, 12)}   created\n${a.slice(0, 12)}   running\n`);
    const plain = await glass(root, ['ps', '--format', '{{.Names}}|{{.Command}}']);
    expect(plain.stdout).toMatch(/^[a-z]+_[a-z]+\d*\|"sleep 100"\n$/);
    const name = JSON.parse((await glass(root, ['inspect', a.slice(0, 6)])).stdout)[0].Name;
    expect(name).toMatch(/^\/[a-z]+_[a-z]+\d*$/);
    // --filter: a status filter looks past running containers, like docker's.
    expect((await glass(root, ['ps', '-q', '-f', 'status=created'])).stdout).toBe(`${b.slice(0, 12)}\n`);
    expect((await glass(root, ['ps', '-aq', '-f', `id=${a.slice(0, 5)}`, '-f', 'ancestor=busybox'])).stdout).toBe(`${a.slice(0, 12)}\n`);
    const badFilter = await glass(root, ['ps', '--filter', 'colour=red']);
    expect(badFilter).toMatchObject({ exitCode: 1, stdout: '' });
    expect(badFilter.stderr).toMatch(/^Error: Invalid filter 'colour'/);
    const noValue = await glass(root, ['ps', '-f', 'colour']);
    expect(noValue.exitCode).toBe(125);
    expect(noValue.stderr).toBe(`glass: invalid argument "colour" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee 'glass ps --help'.\n`);
    expect((await glass(root, ['rm', '-f', a, b])).exitCode).toBe(0);
    await cleanRoot(root);
  });

  it('two concurrent starts of one container launch one shim', async () => {
    const id = (await glass(root, ['create', 'busybox', 'sleep', '100'])).stdout.trim();
    const [a, b] = await Promise.all([glass(root, ['start', id]), glass(root, ['start', id])]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    const shims = (await execa('pgrep', ['-f', `glass-shim ${root}/containers/${id}`], { reject: false })).stdout.split('\n').filter(Boolean);
    expect(shims).toHaveLength(1);
    await glass(root, ['rm', '-f', id]);
  });

  it('run -d --rm removes itself when the container exits', async () => {
    const id = (await glass(root, ['run', '-d', '--rm', 'busybox', 'sh', '-c', 'sleep 0.2'])).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    for (let i = 0; i < 100 && existsSync(`${root}/containers/${id}`); i++) await sleep(100);
    expect(existsSync(`${root}/containers/${id}`)).toBe(false);
  });

  it('run --rm whose CLI is killed is still removed when the container exits', async () => {
    const cli = execa(GLASS, ['--root', root, 'run', '--rm', '--name', 'orphaned-rm', 'busybox', 'sleep', '3'], { reject: false, stdin: 'ignore' });
    const dir = () => readdirSync(`${root}/containers`).find((e) => readFileSync(`${root}/containers/${e}/config.json`, 'utf8').includes('"orphaned-rm"'));
    const running = async () => (await glass(root, ['ps', '--format', '{{.Names}}'])).stdout.includes('orphaned-rm');
    for (let i = 0; i < 50 && !(await running()); i++) await sleep(50);
    expect(await running()).toBe(true);
    const id = dir()!;
    cli.kill('SIGKILL'); // only the CLI we started; the container runs on
    await cli;
    expect(await running()).toBe(true);
    for (let i = 0; i < 100 && existsSync(`${root}/containers/${id}`); i++) await sleep(100);
    expect(existsSync(`${root}/containers/${id}`)).toBe(false);
    expect((await glass(root, ['ps', '-a', '--format', '{{.Names}}'])).stdout).not.toContain('orphaned-rm');
  });
});
