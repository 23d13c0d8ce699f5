import { describe, expect, it } from 'vitest';
import chalk from 'chalk';
import type { BuildProgress } from '../../runtime/engine/index.js';
import { classicDisplay, contextLine, quietDisplay, short, ttyDisplay } from '../../runtime/cli/build-output.js';
import { isArchive } from '../../runtime/cli/commands/build.js';

chalk.level = 0;

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(60)}1234`;
const C = `sha256:${'c'.repeat(64)}`;
const ctr = `${'1a2b3c4d5e6f'}${'0'.repeat(52)}`;
const text = (s: string) => new TextEncoder().encode(s);

/** A two-step build as the engine reports it: FROM, then a RUN that ran, then a CMD from the cache. */
const events: BuildProgress[] = [
  { type: 'context', bytes: 2048 },
  { type: 'step', step: 1, total: 3, instruction: 'FROM busybox' },
  { type: 'image', id: A },
  { type: 'step', step: 2, total: 3, instruction: 'RUN echo hi' },
  { type: 'miss', verdict: { hit: false, reason: 'no image was made from this parent by this instruction yet', key: { parent: A, cmd: ['/bin/sh', '-c', 'echo hi'] } } },
  { type: 'running', containerId: ctr },
  { type: 'output', stream: 'stdout', data: text('hi\n') },
  { type: 'removing', containerId: ctr },
  { type: 'image', id: B },
  { type: 'step', step: 3, total: 3, instruction: 'CMD ["sh"]' },
  { type: 'cache', verdict: { hit: true, reason: 'image cccccccccccc was made from this parent by this instruction', key: { parent: B, cmd: ['/bin/sh', '-c', '#(nop) ', 'CMD ["sh"]'] } } },
  { type: 'image', id: C },
];

describe('glass build output', () => {
  it("prints Docker 20.10's classic lines, byte for byte", () => {
    let out = '';
    const d = classicDisplay((s) => (out += s));
    events.forEach((e) => d.progress(e));
    d.succeeded({ id: C, tags: ['demo:latest', 'demo:v1'], stepsRun: 1, stepsCached: 1 });
    expect(out).toBe(
      'Sending build context to Docker daemon  2.048kB\r\r\n' +
        'Step 1/3 : FROM busybox\n' +
        ' ---> aaaaaaaaaaaa\n' +
        'Step 2/3 : RUN echo hi\n' +
        ' ---> Running in 1a2b3c4d5e6f\n' +
        'hi\n' +
        'Removing intermediate container 1a2b3c4d5e6f\n' +
        ' ---> bbbbbbbbbbbb\n' +
        'Step 3/3 : CMD ["sh"]\n' +
        ' ---> Using cache\n' +
        ' ---> cccccccccccc\n' +
        'Successfully built cccccccccccc\n' +
        'Successfully tagged demo:latest\n' +
        'Successfully tagged demo:v1\n',
    );
  });

  it('--explain adds each verdict and its key on the explain stream', () => {
    let out = '';
    let why = '';
    const d = classicDisplay((s) => (out += s), (s) => (why += s));
    events.forEach((e) => d.progress(e));
    expect(out).not.toContain('[cache]');
    expect(why).toBe(
      '▸ [cache] miss: no image was made from this parent by this instruction yet\n' +
        '    key: parent aaaaaaaaaaaa, /bin/sh -c echo hi\n' +
        '▸ [cache] hit: image cccccccccccc was made from this parent by this instruction\n' +
        '    key: parent bbbbbbbbbbbb, /bin/sh -c #(nop)  CMD ["sh"]\n',
    );
  });

  it('FROM scratch shows an empty ID, as Docker does', () => {
    let out = '';
    const d = classicDisplay((s) => (out += s));
    d.progress({ type: 'step', step: 1, total: 1, instruction: 'FROM scratch' });
    d.progress({ type: 'image', id: '' });
    expect(out).toBe('Step 1/1 : FROM scratch\n ---> \n');
    expect(short('')).toBe('');
  });

  it('keeps a UTF-8 character split across two output chunks whole', () => {
    let out = '';
    const d = classicDisplay((s) => (out += s));
    const bytes = text('é\n');
    d.progress({ type: 'output', stream: 'stdout', data: bytes.subarray(0, 1) });
    d.progress({ type: 'output', stream: 'stdout', data: bytes.subarray(1) });
    expect(out).toBe('é\n');
  });

  it('-q prints only the full ID; a failed build gives everything it held to stderr', () => {
    let out = '';
    let err = '';
    const ok = quietDisplay((s) => (out += s), (s) => (err += s));
    events.forEach((e) => ok.progress(e));
    ok.succeeded({ id: C, tags: [], stepsRun: 1, stepsCached: 1 });
    expect(out).toBe(`${C}\n`);
    expect(err).toBe('');
    const bad = quietDisplay((s) => (out += s), (s) => (err += s));
    events.slice(0, 7).forEach((e) => bad.progress(e));
    bad.failed();
    expect(err).toContain('Step 2/3 : RUN echo hi\n ---> Running in 1a2b3c4d5e6f\nhi\n');
  });

  it('sizes the context as Docker prints it', () => {
    expect(contextLine(2048)).toBe('Sending build context to Docker daemon  2.048kB\r\r\n');
    expect(contextLine(1_234_567)).toBe('Sending build context to Docker daemon  1.235MB\r\r\n');
  });

  it('the terminal display keeps one line per finished step and shows a failed step with its output', async () => {
    let out = '';
    const d = ttyDisplay((s) => (out += s), 80);
    events.forEach((e) => d.progress(e));
    d.progress({ type: 'step', step: 4, total: 4, instruction: 'RUN false' });
    d.progress({ type: 'output', stream: 'stderr', data: text('it broke\x1b[2J\n') });
    // Output is redrawn at most every 50 ms.
    await new Promise((r) => setTimeout(r, 80));
    d.failed();
    // What stays on the screen: strip the redraws (everything up to the last erase before each kept line).
    const kept = out.split(/\r\x1b\[(?:\d+A\x1b\[)?J/).map((chunk) => chunk).join('');
    expect(kept).toMatch(/✓ \[1\/3\] FROM busybox {2}aaaaaaaaaaaa \d+\.\ds\n/);
    expect(kept).toContain('✓ [3/3] CMD ["sh"]  cccccccccccc (cached)\n');
    expect(kept).toMatch(/✗ \[4\/4\] RUN false {2}\d+\.\ds\nit broke/);
    expect(kept).toContain('  │ it broke\n'); // the tail, without the program's escape sequence
  });

  it('tells a tar or a compressed stream from a Dockerfile on stdin', () => {
    const header = Buffer.alloc(512);
    header.write('Dockerfile', 0);
    header.write('0000644\0', 100);
    header.write('00000000012\0', 124);
    header.write('        ', 148);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    expect(isArchive(header)).toBe(true);
    expect(isArchive(Buffer.from([0x1f, 0x8b, 0x08, 0]))).toBe(true);
    expect(isArchive(Buffer.from('FROM busybox\nRUN echo hi\n'.padEnd(600, '#')))).toBe(false);
    expect(isArchive(Buffer.alloc(512))).toBe(false);
  });
});
