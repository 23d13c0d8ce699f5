/**
 * The engine's public surface: what clients (the CLI, notebooks, the VS Code
 * extension, the daemon) may import. Everything else under runtime/engine is
 * its own business.
 */
import type { Engine } from './api.js';
import { LocalEngine, type EngineOptions } from './local.js';

export type * from './api.js';
export type { EngineOptions } from './local.js';
export type { ContainerConfig, ContainerStatus, CreateOptions } from './containers/types.js';
export type { ContainerFilters } from './containers/filters.js';
export type { SecurityConfig, SecurityOptions } from './containers/security.js';
export type { ExecInspect, ExecOptions, ExecResult, ExecStarted } from './containers/exec.js';
export type { LogEntry } from './containers/logs.js';
export type { EngineEvent, EventType, ReadEventsOptions } from './events.js';
export type { ImageInspect } from './images/inspect.js';
export type { Step, StepPhase } from '../kernel/step.js';
export type { Attachment } from '../shim/attach.js';
export type { NetworkHostView } from './networks/host-view.js';
export type { ConntrackEntry, ConntrackTuple, InterfaceAddresses, ListedRule, Route } from '../kernel/net/index.js';
/** /proc/<pid>/mountinfo parsed (for clients that show a container's mounts: the notebooks). */
export { parseMountinfo, type MountEntry } from '../kernel/mountinfo.js';
export { GlassError, KernelError, isGlassError, type ErrorCode } from './errors.js';
export { humanDuration, parseTime, statusText } from './containers/status.js';
export { shortId } from './ids.js';
export { describeHostError, errnoText, isHostError, syscallMessage } from './host-errors.js';
export { readEnvFile, resolveEnvArg } from './containers/env.js';
export { readLabelFile } from './containers/labels.js';
export { LimitFlagError, parseResourceOptions, type ResourceOptions, type Resources } from './containers/limits.js';
export { computeStats, type ContainerStats, type StatsEntry } from './containers/stats.js';
export { askedPortKey, displayablePorts, portLines, PortSpecError, resolvePorts, type ApiPort, type PortBinding } from './networks/ports.js';
export type { TopResult } from './containers/top.js';
export type { ContainerPathStat, CopyOptions } from './containers/copy.js';
export { splitCpArg } from './containers/copy-rules.js';
export type { DiskUsage, DiskUsageContainer, DiskUsageImage, DiskUsageVolume } from './disk-usage.js';
export { shownFilters } from './prune-filters.js';
export type { XrayMount, XrayNamespace, XrayProcess, XrayReport } from './containers/xray.js';
/** The client config file (~/.glass/config.json): registry credentials and insecure registries, for clients to read and pass to pull/push. */
export {
  DOCKER_HUB_KEY,
  configDir,
  configFile,
  credentialsFor,
  eraseCredentials,
  insecureRegistries,
  readClientConfig,
  registryKeyOf,
  registryKeyOfServer,
  storeCredentials,
  type RegistryCredentials,
} from './registry/credentials.js';
/** The Dockerfile parser (Docker 20.10's rules and error words): the language server's Dockerfile diagnostics. */
export { DockerfileParseError, parseDockerfile } from './build/dockerfile.js';
/** A name to tag an image with, checked and normalised ("app" -> "app:latest"): build -t checks its values with it, as Docker's CLI does. */
export { parseTagTarget } from './images/reference.js';
export { EVENT_FILTER_KEYS, eventMatcher, eventTimeRange, getTimestamp, parseGoDurationNs, parseTimestamp, type EventFilters } from './events-filter.js';

/** An engine over one state root, in this process. */
export function createEngine(opts: EngineOptions = {}): Engine {
  return new LocalEngine(opts);
}
