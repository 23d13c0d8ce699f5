import { readFileSync } from 'node:fs';

/**
 * The host's DNS settings, which a container's /etc/resolv.conf starts from
 * (as Docker's does). Empty when the host has none.
 * Networking will filter out loopback nameservers (127.0.0.53 and the like),
 * which cannot be reached from a container's own network namespace.
 */
export function hostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

const accounts = new Map<string, Map<number, string>>();

/**
 * The host's name for a user or group ID (/etc/passwd, /etc/group), "" when it
 * has none. Docker's daemon writes these names into the tar headers it hashes
 * for COPY --from (Go's os/user lookups on the daemon's host), so the same
 * image file can hash differently on two hosts; glass does as Docker does.
 */
export function hostAccountName(kind: 'user' | 'group', id: number): string {
  const file = kind === 'user' ? '/etc/passwd' : '/etc/group';
  let names = accounts.get(file);
  if (!names) {
    names = new Map();
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      /* no such file: no names */
    }
    for (const line of text.split('\n')) {
      const f = line.split(':');
      const n = Number(f[2]);
      if (f.length >= 3 && f[0] && Number.isInteger(n) && !names.has(n)) names.set(n, f[0]);
    }
    accounts.set(file, names);
  }
  return names.get(id) ?? '';
}
