import { createSocket } from 'node:dgram';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Is a host port free? Before glass publishes a port it tries to bind it
 * itself (tcp: listen; udp: bind) on the same address: if the kernel refuses
 * with EADDRINUSE, another program holds it, and publishing would silently
 * steal or lose its traffic (a DNAT rule wins over a listening socket). The
 * probe's socket is closed at once. When possible it names the holder, as
 * `ss -ltnp` does: the socket's inode from /proc/net/{tcp,udp}[6], then the
 * process with that socket among its /proc/<pid>/fd.
 */

export type Proto = 'tcp' | 'udp';

export interface PortHolder {
  pid: number;
  /** /proc/<pid>/comm. */
  command: string;
}

export type ProbeResult =
  | { free: true }
  | { free: false; code: string; message: string; holder?: PortHolder };

/** Try to bind `address:port` (address "" or "0.0.0.0" = every address). */
export function probePort(proto: Proto, address: string, port: number): Promise<ProbeResult> {
  const host = address === '' ? '0.0.0.0' : address;
  return new Promise((done) => {
    const busy = (e: NodeJS.ErrnoException) => {
      const holder = e.code === 'EADDRINUSE' ? findPortHolder(proto, port) : undefined;
      done({ free: false, code: e.code ?? 'EUNKNOWN', message: e.message, ...(holder ? { holder } : {}) });
    };
    if (proto === 'tcp') {
      const server = createServer();
      server.once('error', (e) => {
        server.close();
        busy(e);
      });
      server.listen({ host, port, exclusive: true }, () => server.close(() => done({ free: true })));
    } else {
      const sock = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
      sock.once('error', (e) => {
        sock.close();
        busy(e);
      });
      sock.bind({ address: host, port, exclusive: true }, () => sock.close(() => done({ free: true })));
    }
  });
}

export interface ProcNetSocket {
  localAddress: string;
  localPort: number;
  /** Kernel state, hex: 0A = LISTEN (tcp), 07 = unconnected (udp). */
  state: string;
  inode: number;
}

/** "0100007F:1F90" → ["127.0.0.1", 8080] (IPv4: little-endian hex; IPv6 left as hex). */
function decodeAddress(hex: string): [string, number] {
  const [a, p] = hex.split(':');
  const port = parseInt(p!, 16);
  if (a!.length === 8) {
    const n = parseInt(a!, 16);
    return [[0, 8, 16, 24].map((s) => (n >>> s) & 255).join('.'), port];
  }
  return [a!, port];
}

/** Parse /proc/net/tcp, tcp6, udp or udp6. */
export function parseProcNet(text: string): ProcNetSocket[] {
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 10)
    .map((f) => {
      const [localAddress, localPort] = decodeAddress(f[1]!);
      return { localAddress, localPort, state: f[3]!, inode: Number(f[9]) };
    });
}

/** The process holding a listening (tcp) or bound (udp) socket on `port`, if it can be found. */
export function findPortHolder(proto: Proto, port: number): PortHolder | undefined {
  const inodes = new Set<number>();
  for (const file of [`/proc/net/${proto}`, `/proc/net/${proto}6`]) {
    try {
      for (const s of parseProcNet(readFileSync(file, 'utf8'))) {
        if (s.localPort === port && (proto === 'udp' || s.state === '0A') && s.inode) inodes.add(s.inode);
      }
    } catch { /* no IPv6 */ }
  }
  if (!inodes.size) return undefined;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(Number(m[1]))) {
        let command = '';
        try {
          command = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch { /* exited */ }
        return { pid: Number(pid), command };
      }
    }
  }
  return undefined;
}
