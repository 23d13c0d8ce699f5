import { describe, expect, it } from 'vitest';
import { colorLevel } from '../../runtime/cli/color.js';

describe('when glass colours its output', () => {
  const on = { flag: true, env: { TERM: 'xterm' }, isTTY: true, detected: 2 as const };
  it('colours a terminal, even with TERM unset or a CI variable set (chalk alone would not)', () => {
    expect(colorLevel(on)).toBe(2);
    expect(colorLevel({ ...on, env: {}, detected: 0 })).toBe(1);
    expect(colorLevel({ ...on, env: { CI: 'true', TERM: 'xterm' }, detected: 0 })).toBe(1);
  });
  it('leaves colour out for a pipe or file, TERM=dumb, --no-color and NO_COLOR', () => {
    expect(colorLevel({ ...on, isTTY: false })).toBe(0);
    expect(colorLevel({ ...on, env: { TERM: 'dumb' } })).toBe(0);
    expect(colorLevel({ ...on, flag: false })).toBe(0);
    expect(colorLevel({ ...on, env: { TERM: 'xterm', NO_COLOR: '1' } })).toBe(0);
    expect(colorLevel({ ...on, env: { TERM: 'xterm', NO_COLOR: '' } })).toBe(2);
  });
  it('FORCE_COLOR keeps what chalk read from it, pipe or not', () => {
    expect(colorLevel({ ...on, isTTY: false, env: { FORCE_COLOR: '1' }, detected: 1 })).toBe(1);
    expect(colorLevel({ ...on, env: { FORCE_COLOR: '0' }, detected: 0 })).toBe(0);
  });
});
