import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.js';

/** The integration tests' one way to wait: on what they check, with a message that says what did not happen. */
describe('waitFor', () => {
  it('returns the first value that satisfies ok, probing until then', async () => {
    let n = 0;
    expect(await waitFor(() => ++n, (v) => v >= 3, { what: 'three', intervalMs: 1 })).toBe(3);
    expect(n).toBe(3);
  });

  it('takes a probe that throws as "not yet"', async () => {
    let n = 0;
    const v = await waitFor(() => {
      if (++n < 3) throw new Error('not written yet');
      return 'written';
    }, (s) => s === 'written', { what: 'the file', intervalMs: 1 });
    expect(v).toBe('written');
  });

  it('on timeout says what it waited for and the last value it saw', async () => {
    const err = await waitFor(async () => 'exited', (s) => s === 'running', { what: 'container x to be running', timeoutMs: 50, intervalMs: 5 }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/^timed out after \d+ ms waiting for container x to be running; last seen: "exited"$/);
  });

  it('on timeout shows the last error when the probe kept failing', async () => {
    const err = await waitFor(() => {
      throw new Error('ENOENT: no such file');
    }, () => true, { what: 'the marker', timeoutMs: 30, intervalMs: 5 }).catch((e) => e);
    expect(err.message).toMatch(/waiting for the marker; last seen: Error: ENOENT: no such file$/);
  });

  it('gives up at once when ok throws (the process that should print has ended)', async () => {
    const t0 = Date.now();
    const err = await waitFor(() => '', () => {
      throw new Error('ended early');
    }, { what: 'a line', timeoutMs: 10_000 }).catch((e) => e);
    expect(err.message).toBe('ended early');
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});
