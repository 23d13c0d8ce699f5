import { connect, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { encodeFrame, FRAME, FrameDecoder } from './frames.js';

export interface AttachEvents {
  stdout: [Buffer];
  stderr: [Buffer];
  exit: [number];
  /** The connection closed without an exit frame. */
  close: [];
}

/** A live connection to a running container's stdio. */
export class Attachment extends EventEmitter<AttachEvents> {
  private started = false;

  private constructor(private readonly socket: Socket) {
    super();
    socket.on('error', () => {});
  }

  /**
   * Start reading frames. Until then the bytes wait in the socket, so output
   * the container writes before the caller has subscribed is not lost.
   */
  begin(): void {
    if (this.started) return;
    this.started = true;
    const decoder = new FrameDecoder();
    let exited = false;
    this.socket.on('data', (chunk: Buffer) =>
      decoder.push(chunk, (type, payload) => {
        if (type === FRAME.stdout) this.emit('stdout', payload);
        else if (type === FRAME.stderr) this.emit('stderr', payload);
        else if (type === FRAME.exit) {
          exited = true;
          this.emit('exit', Number(payload.toString()));
        }
      }),
    );
    this.socket.on('close', () => {
      if (!exited) this.emit('close');
    });
  }

  /**
   * A unix socket address holds at most 107 bytes of path, and a state root
   * can make the socket's path longer than that. Opening its directory and
   * connecting through /proc/self/fd/<dirfd>/attach.sock keeps the address
   * short whatever the real path is (runc uses the same trick).
   */
  static open(socketPath: string): Promise<Attachment> {
    let dirFd: number;
    try {
      dirFd = openSync(dirname(socketPath), 'r');
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<Attachment>((resolve, reject) => {
      const socket = connect(`/proc/self/fd/${dirFd}/${basename(socketPath)}`);
      socket.once('connect', () => resolve(new Attachment(socket)));
      socket.once('error', reject);
    }).finally(() => closeSync(dirFd));
  }

  write(data: Uint8Array | string): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(FRAME.stdin, data));
  }

  closeStdin(): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(FRAME.closeStdin, ''));
  }

  /**
   * Tell the shim this client removes the (--rm) container once it has the
   * exit code, so the shim's exit hook stands by; if this client goes away
   * first (killed, detached), the hook removes the container instead.
   */
  promiseRemoval(): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(FRAME.removes, ''));
  }

  resize(rows: number, cols: number): void {
    if (!this.socket.destroyed && rows > 0 && cols > 0) this.socket.write(encodeFrame(FRAME.resize, `${rows} ${cols}`));
  }

  /** Resolves with the exit code, or undefined if the connection closed first. */
  exited(): Promise<number | undefined> {
    return new Promise((resolve) => {
      this.once('exit', (code) => resolve(code));
      this.once('close', () => resolve(undefined));
      this.begin();
    });
  }

  /**
   * Run to the end and keep the output: feed `input` (then close stdin when
   * `closeStdin`), collect stdout and stderr apart, and return the exit code
   * from the shim's frame, or from `lateExit` if the connection closed first.
   * Detaches once done.
   */
  async collect(opts: { input?: string | Uint8Array; closeStdin: boolean }, lateExit: () => Promise<number | undefined>): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    this.on('stdout', (b) => stdout.push(b));
    this.on('stderr', (b) => stderr.push(b));
    const exited = this.exited();
    if (opts.input !== undefined) this.write(opts.input);
    if (opts.closeStdin) this.closeStdin();
    const exitCode = (await exited) ?? (await lateExit()) ?? -1;
    this.detach();
    return { exitCode, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
  }

  detach(): void {
    this.socket.destroy();
  }
}
