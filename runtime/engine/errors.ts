import { KernelError } from '../kernel/errors.js';

export { KernelError };

/**
 * Typed errors. Each carries a stable code and a message a learner can act on.
 * The CLI maps them to Docker's exit codes: 125 for a runtime error, 126 when
 * the command cannot be invoked, 127 when it is not found.
 */
export type ErrorCode =
  | 'NOT_ROOT'
  | 'NO_SUCH_CONTAINER'
  | 'NO_SUCH_IMAGE'
  | 'AMBIGUOUS_ID'
  | 'NAME_IN_USE'
  | 'INVALID_NAME'
  | 'INVALID_ARGUMENT'
  | 'CONTAINER_RUNNING'
  | 'CONTAINER_NOT_RUNNING'
  | 'CONTAINER_BROKEN'
  | 'CONTAINER_PAUSED'
  | 'CONTAINER_NOT_PAUSED'
  | 'NO_SUCH_EXEC'
  | 'IMAGE_IN_USE'
  | 'MISSING_BUSYBOX'
  /** `cp` from or into a path that does not exist in the container (Docker's 404 "No such container:path"). */
  | 'NO_SUCH_PATH'
  /** `volume inspect`/`rm` of a volume that does not exist. */
  | 'NO_SUCH_VOLUME'
  /** `volume rm` of a volume a container uses. */
  | 'VOLUME_IN_USE'
  /** The client config file (~/.glass/config.json) cannot be read or parsed. */
  | 'CONFIG_FILE'
  /** A registry could not be reached, or answered something glass cannot use. */
  | 'REGISTRY_ERROR'
  /** The registry or its token server refused the credentials (or wants some). */
  | 'REGISTRY_UNAUTHORIZED'
  /** The registry has no such repository, tag or digest (`manifest unknown`). */
  | 'MANIFEST_UNKNOWN'
  /** Downloaded content did not match the digest or size it was asked for. */
  | 'DIGEST_MISMATCH'
  /** A network name or id that matches none (`network rm nosuch`, `--network nosuch`). */
  | 'NO_SUCH_NETWORK'
  /** `network create` of a name that exists. */
  | 'NETWORK_EXISTS'
  /** `network rm` of a network a container is on. */
  | 'NETWORK_IN_USE'
  /** A build's RUN step exited non-zero: the error's exitCode is the command's (as Docker's CLI exits). */
  | 'BUILD_RUN_FAILED'
  /** A build was interrupted (Ctrl-C: its AbortSignal). */
  | 'BUILD_CANCELLED';
// The kernel and shim layers' codes (KernelErrorCode): INVALID_ARGUMENT, KERNEL, NO_CGROUPS,
// NATIVE_NOT_BUILT, SHIM_PROTOCOL, SHIM_FAILED, COMMAND_NOT_FOUND, COMMAND_NOT_EXECUTABLE.

export class GlassError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Suggested exit code for the CLI (Docker's conventions). */
    readonly exitCode: number = 125,
  ) {
    super(message);
    this.name = 'GlassError';
  }
}

/**
 * Errors the engine passes to its clients: its own, and the kernel and shim
 * layers' (which cannot import this file). Both carry a stable code, a message
 * a learner can act on and a Docker exit code.
 */
export const isGlassError = (e: unknown): e is GlassError | KernelError => e instanceof GlassError || e instanceof KernelError;
