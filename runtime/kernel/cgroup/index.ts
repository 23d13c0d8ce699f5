import type { CgroupDriver } from './driver.js';
import type { CgroupFs } from './fs.js';
import { detectLayout, type CgroupHost, type CgroupLayout } from './layout.js';
import { CgroupV1Driver } from './v1.js';
import { CgroupV2Driver } from './v2.js';

export type { CgroupDriver, ContainerCgroup } from './driver.js';
export { detectLayout, type CgroupHost, type CgroupLayout, type LayoutKind } from './layout.js';
export { hostCgroupFs, type CgroupFs } from './fs.js';

let cached: CgroupDriver | undefined;

/** The driver for a layout (v1 and hybrid share the v1 driver). */
export function driverFor(layout: CgroupLayout, fs?: CgroupFs): CgroupDriver {
  return layout.kind === 'v2' ? new CgroupV2Driver(layout, fs) : new CgroupV1Driver(layout, fs);
}

/**
 * The driver for this host's cgroup layout, detected once. Given a host
 * description (a fake tree), a fresh driver for it. Throws NO_CGROUPS when
 * nothing cgroup-like is mounted.
 */
export function cgroupDriver(host?: CgroupHost, fs?: CgroupFs): CgroupDriver {
  if (host || fs) return driverFor(detectLayout(host), fs);
  cached ??= driverFor(detectLayout());
  return cached;
}

export const cgroupName = (containerId: string) => `glass-${containerId}`;
