import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execa } from 'execa';
import { eventsOf, glass, glassInBackground, type GlassEvent, isRoot, logsOf, removeContainersAfterEach, testRoot, useRoot, waitFor, waitForLog, waitForPath } from '../helpers.js';

function cgroupDirsFor(id: string): string[] {
  const out: string[] = [];
  for (const h of readdirSync('/sys/fs/cgroup')) {
    // Under glass's parent cgroup "glass" (runtime/kernel/cgroup/driver.ts) in each hierarchy.
    const p = `/sys/fs/cgroup/${h}/glass/glass-${id}`;
    if (existsSync(p)) out.push(p);
  }
  if (existsSync(`/sys/fs/cgroup/glass/glass-${id}`)) out.push(`/sys/fs/cgroup/glass/glass-${id}`);
  return out;
}

/** go-units HumanDuration up to an hour, as ps prints it: the words, whatever the machine's speed. */
const AGE = '(Less than a second|\\d+ seconds?|About a minute|\\d+ minutes)';

const kills = (events: GlassEvent[], signal: string) => events.filter((e) => e.Action === 'kill' && e.Actor.Attributes.signal === signal);
const ms = (a: GlassEvent, b: GlassEvent) => (b.timeNano - a.timeNano) / 1e6;

/**
 * Every test here runs 10 to 25 glass commands, each a Node start (~0.2 s of
 * CPU): with the CPU throttled 20× (a cgroup with 5% of one CPU) the first
 * took 106 s, the ps test 87 s, kill/restart 51 s. The time limit leaves room
 * for a machine 50× slower.
 */
describe.skipIf(!isRoot)('detached lifecycle', { timeout: 300_000 }, () => {
  const root = useRoot();
  removeContainersAfterEach(root); // what a failing test made, so the next test starts clean

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
    expect(row).toMatch(new RegExp(`Up ${AGE}`));
    expect(row!.endsWith('ticker')).toBe(true);

    // logs: stdout to stdout, stderr to stderr, in order (once the container has printed all six lines).
    const lines = (s: string) => s.split('\n').filter(Boolean).length;
    const logs = await waitFor(() => logsOf(root, 'ticker'), (l) => lines(l.stdout) >= 3 && lines(l.stderr) >= 3, { what: "the ticker's six lines in its log" });
    expect(logs.stdout).toBe('out 1\nout 2\nout 3\n');
    expect(logs.stderr).toBe('err 1\nerr 2\nerr 3\n');
    const tail = await glass(root, ['logs', '--tail', '1', 'ticker']);
    expect(tail.stdout + tail.stderr).toBe('err 3\n');
    const ts = await glass(root, ['logs', '-t', 'ticker']);
    expect(ts.stdout.split('\n')[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out 1$/);
    const raw = readFileSync(info.LogPath, 'utf8').split('\n')[0]!;
    expect(JSON.parse(raw)).toMatchObject({ log: 'out 1\n', stream: 'stdout' });

    // logs -f streams until the container stops: it has printed the whole log and is still following.
    const follow = glassInBackground(root, ['logs', '-f', 'ticker']);
    await follow.waitForOutput('out 3\n');
    expect(follow.proc.exitCode).toBeNull(); // still following

    // SIGTERM is ignored by PID 1 sh (no handler): SIGKILL after the grace period, not before, not much after.
    const GRACE_MS = 2000;
    const t0 = Date.now();
    const stop = await glass(root, ['stop', '-t', String(GRACE_MS / 1000), 'ticker']);
    expect(stop.stdout).toBe('ticker\n');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(GRACE_MS);
    // The engine's own clock, from its events: SIGTERM, the grace period, SIGKILL, the exit, stop. The
    // gap is timed between two events of one process, so the machine's speed (the CLI's start, the
    // other commands) is not in it; the slack of one more grace period is for the engine's few file
    // reads after the timer, and still tells -t 2 from the default 10 s or a doubled wait.
    const ev = await eventsOf(root, id);
    const [term] = kills(ev, '15');
    const [kill] = kills(ev, '9');
    const die = ev.find((e) => e.Action === 'die');
    const stopped = ev.find((e) => e.Action === 'stop');
    expect(term && kill && die && stopped, JSON.stringify(ev.map((e) => e.Action))).toBeTruthy();
    expect(ms(term!, kill!)).toBeGreaterThanOrEqual(GRACE_MS);
    expect(ms(term!, kill!)).toBeLessThan(2 * GRACE_MS);
    // die is the shim's (it may be recorded before the CLI records the kill it has just sent); stop
    // comes once the CLI has heard of the exit.
    expect(die!.Actor.Attributes.exitCode).toBe('137');
    expect(ms(die!, stopped!)).toBeGreaterThanOrEqual(0);
    const f = await follow.proc;
    expect(f.exitCode).toBe(0);
    expect(f.stdout).toBe('out 1\nout 2\nout 3\n');

    const psa = await glass(root, ['ps', '-a']);
    expect(psa.stdout).toMatch(new RegExp(`Exited \\(137\\) ${AGE} ago`));
    expect((await glass(root, ['ps'])).stdout.split('\n').filter(Boolean).length).toBe(1);
    expect(cgroupDirsFor(id)).toEqual([]); // the shim removed the cgroup at exit
    expect(JSON.parse((await glass(root, ['inspect', 'ticker'])).stdout)[0].State.ExitCode).toBe(137);

    // start runs it again on the same filesystem: its command appends to the same /count.
    expect((await glass(root, ['start', 'ticker'])).stdout).toBe('ticker\n');
    const again = JSON.parse((await glass(root, ['inspect', 'ticker'])).stdout)[0];
    expect(again.State.Running).toBe(true);
    const countFile = `${again.GraphDriver.Data.UpperDir}/count`;
    const count = await waitFor(() => readFileSync(countFile, 'utf8'), (c) => c.endsWith('\n') && c.split('\n').filter(Boolean).length >= 2, { what: `a second line in ${countFile}` });
    expect(count).toBe('started\nstarted\n');

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
    // It says when its trap is set: a TERM before that would end it as a plain sh.
    const r = await glass(root, ['run', '-d', 'busybox', 'sh', '-c', 'trap "exit 7" TERM; echo trap-set; while true; do sleep 0.1; done']);
    const id = r.stdout.trim();
    await waitForLog(root, id, 'trap-set');
    await glass(root, ['stop', id.slice(0, 8)]); // the default grace period: 10 s
    expect((await glass(root, ['wait', id])).stdout).toBe('7\n');
    expect((await glass(root, ['ps', '-a'])).stdout).toMatch(/Exited \(7\)/);
    // At once: stop returned on the exit, well before the grace period ran out, and sent no SIGKILL
    // (timed by the engine's events, so a slow machine's slow CLI start is not counted).
    const ev = await eventsOf(root, id);
    const [term] = kills(ev, '15');
    const stopped = ev.find((e) => e.Action === 'stop');
    expect(term && stopped, JSON.stringify(ev.map((e) => e.Action))).toBeTruthy();
    expect(kills(ev, '9')).toEqual([]);
    expect(ev.find((e) => e.Action === 'die')?.Actor.Attributes.exitCode).toBe('7');
    expect(ms(term!, stopped!)).toBeLessThan(10_000);
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
    const root = testRoot(); // its own root (ps lists every container of a root), removed when the test ends
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
    await waitForPath(`${root}/containers/${id}`, { gone: true });
    expect((await glass(root, ['ps', '-a', '-q', '--no-trunc'])).stdout).not.toContain(id);
  });

  it('run --rm whose CLI is killed is still removed when the container exits', async () => {
    // The container runs until the test ends it (no timer of its own to race the checks below).
    const cli = glassInBackground(root, ['run', '--rm', '--name', 'orphaned-rm', 'busybox', 'sleep', '1000']);
    const running = async () => (await glass(root, ['ps', '--format', '{{.Names}}'])).stdout.includes('orphaned-rm');
    await waitFor(running, Boolean, { what: 'orphaned-rm to be running' });
    const id = (await glass(root, ['inspect', '-f', '{{.Id}}', 'orphaned-rm'])).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    cli.proc.kill('SIGKILL'); // only the CLI we started; the container runs on
    await cli.proc;
    expect(await running()).toBe(true);
    // Now it exits: nobody is left who promised to remove it, so its shim's exit hook does.
    expect((await glass(root, ['kill', 'orphaned-rm'])).exitCode).toBe(0);
    await waitForPath(`${root}/containers/${id}`, { gone: true });
    expect((await glass(root, ['ps', '-a', '--format', '{{.Names}}'])).stdout).not.toContain('orphaned-rm');
  });
});
