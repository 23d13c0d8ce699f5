/**
 * `glass build`: the public shapes of a Dockerfile build (Docker's classic
 * builder, POST /build). The engine streams BuildProgress; the CLI prints
 * Docker's lines from it. (Lead's contract for the build helpers: extend,
 * do not rename without telling the others.)
 */

import type { RegistryAuth } from '../registry/auth.js';

/** Where the build context comes from. */
export type BuildSource =
  /** A directory on the host (the usual `glass build DIR`). */
  | { dir: string }
  /** `glass build - < context.tar[.gz]`: a tar stream holding the context (and its Dockerfile). */
  | { tar: NodeJS.ReadableStream }
  /** `glass build - < Dockerfile`: a Dockerfile alone, an empty context. */
  | { dockerfileText: string };

export interface BuildOptions {
  source: BuildSource;
  /** -f: the Dockerfile's path (relative to the context, or absolute on the host); default "Dockerfile". */
  dockerfile?: string;
  /** -t, each "name[:tag]"; tagged only when every step succeeded. */
  tags?: string[];
  /** --build-arg K=V (or K alone: the value from the caller's environment, given here already resolved or undefined). */
  buildArgs?: Record<string, string | undefined>;
  /** --no-cache */
  noCache?: boolean;
  /** --target STAGE: build up to this stage (by name or index). */
  target?: string;
  /** --label k=v on the final image. */
  labels?: Record<string, string>;
  /** --pull: always pull FROM images (not only when missing). */
  pull?: boolean;
  /** --rm (default true) / --force-rm: remove build containers after a successful / any step. */
  rm?: boolean;
  forceRm?: boolean;
  /** --network for RUN containers: bridge (the default), none, host or a user network. */
  network?: string;
  /**
   * Credentials for FROM (and COPY --from) pulls, by registry key (Docker's
   * X-Registry-Config): the client reads its config.json (credentialsFor).
   */
  registryAuth?: (registryKey: string) => RegistryAuth | undefined;
  /** Registries FROM may pull from over plain HTTP (loopback always may). */
  insecureRegistries?: string[];
  onProgress?: (p: BuildProgress) => void;
  /** Ctrl-C: stops the build, removes the build container, tags nothing. */
  signal?: AbortSignal;
}

/** Why a step did or did not come from the cache (`--explain` and the lesson show it). */
export interface CacheVerdict {
  hit: boolean;
  /** One line a learner reads: "the parent image and the instruction text match image 3f2a…" / "file app.py changed since (its checksum differs)" / "--no-cache" / "an earlier step missed, so every later step runs". */
  reason: string;
  /** The cache key as Docker's classic builder compares it: the parent image ID and the config's Cmd ("/bin/sh -c #(nop) COPY file:<sha> in /app"). */
  key?: { parent: string; cmd: string[] };
}

export type BuildProgress =
  /** First: the context's size as Docker's CLI would send it, a tar of what .dockerignore lets through ("Sending build context to Docker daemon  2.048kB"). */
  | { type: 'context'; bytes: number }
  /** "Step 2/7 : RUN echo hi" (the instruction as written, continuations joined). */
  | { type: 'step'; step: number; total: number; instruction: string; stage?: string }
  /** " ---> Using cache" */
  | { type: 'cache'; verdict: CacheVerdict }
  /** A miss, with its reason (only shown with --explain). */
  | { type: 'miss'; verdict: CacheVerdict }
  /** " ---> Running in 1a2b3c4d5e6f" */
  | { type: 'running'; containerId: string }
  /** The RUN command's own output, as it comes. */
  | { type: 'output'; stream: 'stdout' | 'stderr'; data: Uint8Array }
  /** "Removing intermediate container 1a2b3c4d5e6f" */
  | { type: 'removing'; containerId: string }
  /** " ---> 9f8e7d6c5b4a": the image this step produced (or the FROM image; '' for FROM scratch: Docker prints " ---> " alone). */
  | { type: 'image'; id: string }
  /** Pulling a FROM image that is not present: the pull's own messages. */
  | { type: 'pull'; status: string; id?: string }
  /** "[Warning] One or more build-args [X] were not consumed" etc. */
  | { type: 'warning'; message: string };

export interface BuildResult {
  /** The final image's ID ("sha256:…"). */
  id: string;
  /** The tags applied, normalised ("name:latest"). */
  tags: string[];
  /** Steps run / taken from the cache, for summaries and benchmarks. */
  stepsRun: number;
  stepsCached: number;
}
