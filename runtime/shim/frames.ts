// The attach socket's framing, shared by the attach client (attach.ts) and, later, the daemon.
/**
 * The shim's attach socket carries the container's stdio as frames: an
 * 8-byte header (type, three zero bytes, big-endian length) then the bytes.
 * Types 1 and 2 are Docker's own stdout/stderr stream types.
 */
export const FRAME = { stdin: 0, stdout: 1, stderr: 2, exit: 3, resize: 4, closeStdin: 5, removes: 6 } as const;

export function encodeFrame(type: number, payload: Uint8Array | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Splits a byte stream into frames, across chunk boundaries. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer, onFrame: (type: number, payload: Buffer) => void): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      const type = this.buf[0]!;
      const payload = this.buf.subarray(8, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      onFrame(type, payload);
    }
  }
}
