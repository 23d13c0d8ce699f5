/**
 * The kernel layer's own error type: it imports nothing from above, so the
 * engine recognises these (see engine/errors.ts) and passes them on. Each
 * carries a stable code and a message a learner can act on; exitCode is the
 * Docker exit code a CLI should use (125 runtime error, 126 cannot invoke,
 * 127 not found).
 */
export type KernelErrorCode =
  | 'INVALID_ARGUMENT'
  | 'KERNEL'
  | 'NO_CGROUPS'
  | 'NATIVE_NOT_BUILT'
  | 'SHIM_PROTOCOL'
  | 'SHIM_FAILED'
  | 'COMMAND_NOT_FOUND'
  | 'COMMAND_NOT_EXECUTABLE';

export class KernelError extends Error {
  constructor(
    readonly code: KernelErrorCode,
    message: string,
    readonly exitCode: number = 125,
    /** The system call's error (ENOENT, EBUSY...) behind it, when there was one. */
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'KernelError';
  }
}
