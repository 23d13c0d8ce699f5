import { describe, expect, it } from 'vitest';
import { detachKeys } from '../../runtime/cli/stdio.js';

describe('detach keys (Ctrl-P Ctrl-Q)', () => {
  it('detaches on Ctrl-P Ctrl-Q, even split across chunks, passing what came before', () => {
    const k = detachKeys();
    expect(k(Buffer.from('ls\x10'))).toEqual({ pass: Buffer.from('ls'), detach: false });
    expect(k(Buffer.from('\x11rest'))).toEqual({ pass: Buffer.from(''), detach: true });
  });

  it('passes a Ctrl-P that is not followed by Ctrl-Q', () => {
    const k = detachKeys();
    expect(k(Buffer.from('a\x10b'))).toEqual({ pass: Buffer.from('a\x10b'), detach: false });
    expect(k(Buffer.from('\x10\x10\x11'))).toEqual({ pass: Buffer.from('\x10'), detach: true });
  });
});

describe('--detach-keys', () => {
  it('reads Docker\'s key list: ctrl-<c> and single characters', async () => {
    const { parseDetachKeys } = await import('../../runtime/cli/stdio.js');
    expect(parseDetachKeys(undefined)).toBeUndefined();
    expect(parseDetachKeys('ctrl-p,ctrl-q')).toEqual([0x10, 0x11]);
    expect(parseDetachKeys('ctrl-x')).toEqual([0x18]);
    expect(parseDetachKeys('ctrl-@,ctrl-_,a')).toEqual([0x00, 0x1f, 0x61]);
    expect(() => parseDetachKeys('ctrl-1')).toThrow('Invalid detach keys (ctrl-1) provided');
    expect(() => parseDetachKeys('ab')).toThrow('Invalid detach keys (ab) provided');
  });

  it('detaches on another sequence, passing a started one that did not finish', () => {
    const k = detachKeys([0x18, 0x61, 0x62]);
    expect(k(Buffer.from('\x18a'))).toEqual({ pass: Buffer.from(''), detach: false });
    expect(k(Buffer.from('c'))).toEqual({ pass: Buffer.from('\x18ac'), detach: false });
    expect(k(Buffer.from('\x18\x18ab'))).toEqual({ pass: Buffer.from('\x18'), detach: true });
    const one = detachKeys([0x18]);
    expect(one(Buffer.from('ab\x18cd'))).toEqual({ pass: Buffer.from('ab'), detach: true });
  });
});
