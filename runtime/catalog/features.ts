/**
 * Runtime features, as lessons name them in their front matter (`needs:`).
 * A lesson that needs a feature not yet landed is listed by `glass learn` as
 * "coming". The issue that builds a feature flips it to true here, beside the
 * lesson it adds.
 */
export const FEATURES: Record<string, { landed: boolean; what: string }> = {
  containers: { landed: true, what: 'run, create, start, stop and remove containers' },
  terminal: { landed: true, what: 'interactive containers with a terminal (-it, attach)' },
  namespaces: { landed: true, what: 'PID, mount, UTS, IPC and network namespaces' },
  images: { landed: true, what: 'the image store: images, tag, rmi, import, export' },
  'host-tools': { landed: true, what: "the host's own tools a lesson compares glass with: unshare, nsenter, mount, pivot_root (util-linux), ip (iproute2)" },
  networking: { landed: true, what: 'a bridge network, published ports, links and user networks' },
  volumes: { landed: true, what: 'volumes, bind mounts, cp, diff and commit' },
  build: { landed: true, what: 'Dockerfile builds and the build cache' },
  limits: { landed: true, what: 'cgroup limits on memory, CPU and PIDs' },
  security: { landed: true, what: 'capabilities, seccomp and no-new-privileges' },
  exec: { landed: true, what: 'exec, top and stats' },
  registry: { landed: true, what: 'pull, push, login and save/load with a registry' },
};
