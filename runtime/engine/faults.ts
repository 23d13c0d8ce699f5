/**
 * A seam for the fault suite (test/integration/faults.test.ts): with
 * GLASS_FAULT=<point> in its environment, glass kills itself with SIGKILL
 * when it reaches that point, exactly as a learner's Ctrl-\ or the OOM killer
 * might. After each, the next command must tell the truth and clean up.
 *
 * Points: create:before-config, start:before-cgroup, start:after-cgroup,
 * start:after-shim (the init exists and waits for "go"),
 * start:after-exec (the command runs; the state does not say so yet).
 */
export function faultPoint(point: string): void {
  if (process.env.GLASS_FAULT === point) process.kill(process.pid, 'SIGKILL');
}
