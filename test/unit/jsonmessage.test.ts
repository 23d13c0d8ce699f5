import { describe, expect, it } from 'vitest';
import { humanSize, jsonMessageRenderer, progressText } from '../../runtime/cli/jsonmessage.js';

/** Docker's progress display (push, pull): the same bytes docker's jsonmessage writes. */
describe('JSON-message progress display', () => {
  it('sizes as Docker prints them (decimal units, 4 significant digits)', () => {
    expect(humanSize(527)).toBe('527B');
    expect(humanSize(1088432)).toBe('1.088MB');
    expect(humanSize(30_000_000)).toBe('30MB');
    expect(humanSize(12_345)).toBe('12.35kB');
  });

  it('draws the bar only on a wide terminal', () => {
    expect(progressText({ current: 0, total: 0 }, 200)).toBe('');
    expect(progressText({ current: 500_000, total: 1_000_000 }, 80)).toBe('   500kB/1MB');
    expect(progressText({ current: 500_000, total: 1_000_000 }, 120)).toBe(`[${'='.repeat(25)}>${' '.repeat(25)}]    500kB/1MB`);
  });

  it('off a terminal: one plain line per status, byte counts dropped', () => {
    let out = '';
    const render = jsonMessageRenderer((s) => (out += s), false);
    render({ status: 'The push refers to repository [h/x]' });
    render({ id: 'abc', status: 'Preparing' });
    render({ id: 'abc', status: 'Pushing', progressDetail: { current: 5, total: 10 } });
    render({ id: 'abc', status: 'Pushed' });
    render({ status: 'v1: digest: sha256:00 size: 1' });
    expect(out).toBe('The push refers to repository [h/x]\nabc: Preparing\nabc: Pushed\nv1: digest: sha256:00 size: 1\n');
  });

  it('on a terminal: each id keeps its line, rewritten in place (cursor up, clear, write, cursor down)', () => {
    let out = '';
    const render = jsonMessageRenderer((s) => (out += s), true, 80);
    render({ id: 'a', status: 'Preparing' });
    render({ id: 'b', status: 'Preparing' });
    render({ id: 'a', status: 'Pushed' });
    expect(out).toBe(
      '\n\x1b[1A\x1b[2K\ra: Preparing \r\x1b[1B' + '\n\x1b[1A\x1b[2K\rb: Preparing \r\x1b[1B' + '\x1b[2A\x1b[2K\ra: Pushed \r\x1b[2B',
    );
  });
});
