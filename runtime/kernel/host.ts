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
