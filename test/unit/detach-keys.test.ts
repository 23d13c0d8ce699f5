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
