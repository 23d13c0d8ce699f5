import type { CgroupDriver, DriverOptions } from './driver.js';
import type { CgroupFs } from './fs.js';
import { detectLayout, type CgroupHost, type CgroupLayout } from './layout.js';
import { CgroupV1Driver } from './v1.js';
import { CgroupV2Driver } from './v2.js';

export { GLASS_PARENT, type CgroupDriver, type ContainerCgroup, type DriverOptions } from './driver.js';
export { cfsBandwidth, DEFAULT_CPU_PERIOD, type CgroupCapabilities, type CgroupLimits } from './limits.js';
export { detectLayout, type CgroupHost, type CgroupLayout, type LayoutKind } from './layout.js';
export { hostCgroupFs, type CgroupFs } from './fs.js';

let cached: CgroupDriver | undefined;

/** The driver for a layout (v1 and hybrid share the v1 driver). */
export function driverFor(layout: CgroupLayout, fs?: CgroupFs, opts?: DriverOptions): CgroupDriver {
  return layout.kind === 'v2' ? new CgroupV2Driver(layout, fs, opts) : new CgroupV1Driver(layout, fs, opts);
}

/**
 * The driver for this host's cgroup layout, detected once. Given a host
 * description (a fake tree), a fresh driver for it. Throws NO_CGROUPS when
 * nothing cgroup-like is mounted.
 */
export function cgroupDriver(host?: CgroupHost, fs?: CgroupFs, opts?: DriverOptions): CgroupDriver {
  if (host || fs || opts) return driverFor(detectLayout(host), fs, opts);
  cached ??= driverFor(detectLayout());
  return cached;
}

export const cgroupName = (containerId: string) => `glass-${containerId}`;
