/**
 * `glass xray` and `glass stats` for notebooks: the same reports the CLI
 * prints, as data a cell can table or plot.
 *
 *     const x = await glass.xray("web");          // x.namespaces, x.capabilities.effective, x.cgroup.usage ...
 *     const s = await glass.stats("web");         // one reading: memory, CPU %, pids (two readings a second apart)
 */
import { computeStats, type StatsEntry, type XrayReport } from '../engine/index.js';
import { oneLineErrors } from './errors.js';
import { session } from './session.js';

/** The running container `ref` as the kernel sees it, beside the host (what `glass xray --format json` prints). */
export async function xray(ref: string): Promise<XrayReport> {
  const s = await session();
  return oneLineErrors(s.root, () => s.engine.containers.xray(ref));
}

/** One line of `glass stats --no-stream`: two readings `intervalMs` apart, Docker's CPU %, memory and MEM %. */
export async function stats(ref: string, intervalMs = 1000): Promise<StatsEntry> {
  const s = await session();
  return oneLineErrors(s.root, async () => {
    const first = await s.engine.containers.stats(ref);
    await new Promise((r) => setTimeout(r, intervalMs));
    return computeStats(first, await s.engine.containers.stats(ref));
  });
}

export type { StatsEntry, XrayReport };
