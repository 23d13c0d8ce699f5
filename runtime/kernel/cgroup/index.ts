import type { CgroupDriver } from './driver.js';
import { detectLayout } from './layout.js';
import { CgroupV1Driver } from './v1.js';
import { CgroupV2Driver } from './v2.js';

export type { CgroupDriver, ContainerCgroup } from './driver.js';
export { detectLayout, type CgroupLayout, type LayoutKind } from './layout.js';

let cached: CgroupDriver | undefined;

/** The driver for this host's cgroup layout (v1 and hybrid share the v1 driver). */
export function cgroupDriver(): CgroupDriver {
  if (cached) return cached;
  const layout = detectLayout();
  cached = layout.kind === 'v2' ? new CgroupV2Driver(layout) : new CgroupV1Driver(layout);
  return cached;
}

export const cgroupName = (containerId: string) => `glass-${containerId}`;
