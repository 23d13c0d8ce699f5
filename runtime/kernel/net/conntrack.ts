import { readFileSync } from 'node:fs';

/**
 * Connection tracking: the kernel's table of the connections it has seen,
 * each with two tuples, the original direction and the reply. NAT is decided
 * once, on a connection's first packet, and stored here: every later packet,
 * and every reply, is rewritten from this entry. That is how the reply to a
 * DNAT'ed connection gets its source put back (`conntrack -L`, or
 * /proc/net/nf_conntrack where the kernel offers it).
 */

export interface ConntrackTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
}

export interface ConntrackEntry {
  /** tcp, udp, icmp... */
  proto: string;
  /** Seconds until the entry expires. */
  timeout: number;
  /** TCP's state (ESTABLISHED, TIME_WAIT, CLOSE...); undefined for udp. */
  state?: string;
  original: ConntrackTuple;
  reply: ConntrackTuple;
  /** The line as the kernel wrote it. */
  line: string;
}

/** Parse /proc/net/nf_conntrack ("ipv4 2 tcp 6 117 TIME_WAIT src=… dst=… sport=… dport=… src=… …"); IPv4 only. */
export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] !== 'ipv4' || w.length < 6) continue;
    const tuples: ConntrackTuple[] = [];
    let state: string | undefined;
    for (const word of w.slice(5)) {
      const [k, v] = word.split('=') as [string, string | undefined];
      if (v === undefined) {
        if (/^[A-Z_]+$/.test(k) && !tuples.length) state = k;
        continue;
      }
      if (k === 'src') tuples.push({ src: v, dst: '' });
      const t = tuples.at(-1);
      if (!t || tuples.length > 2) continue;
      if (k === 'dst') t.dst = v;
      if (k === 'sport') t.sport = Number(v);
      if (k === 'dport') t.dport = Number(v);
    }
    if (tuples.length < 2) continue;
    out.push({ proto: w[2]!, timeout: Number(w[4]), ...(state ? { state } : {}), original: tuples[0]!, reply: tuples[1]!, line: line.trim() });
  }
  return out;
}

/** The host's conntrack table (/proc/net/nf_conntrack); [] where the kernel does not offer the file. */
export function readConntrack(path = '/proc/net/nf_conntrack'): ConntrackEntry[] {
  try {
    return parseConntrack(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}
