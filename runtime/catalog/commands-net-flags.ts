import type { FlagSpec } from './commands.js';

/** run/create: --network, --ip, --dns, --dns-search, --dns-option, --add-host (issue 13). */
export const NET_FLAGS: FlagSpec[] = [
  {
    name: 'network',
    type: 'string',
    valueName: 'network',
    default: 'default',
    summary: 'Connect a container to a network',
    explain:
      'bridge (the default): the container gets its own network namespace with eth0, one end of a veth pair whose other ' +
      'end is plugged into the bridge on the host, an address from the bridge\'s private subnet, and a default route via ' +
      'the bridge; the host masquerades its traffic out. none: only a loopback. host: no network namespace of its own, ' +
      'it shares the host\'s interfaces and ports. container:NAME: it joins that running container\'s network namespace ' +
      '(setns), so both share one eth0 and one localhost. Or the name of a network made with `glass network create`.',
    kernel: 'network namespace, veth, bridge',
  },
  {
    name: 'ip',
    type: 'string',
    valueName: 'string',
    summary: 'IPv4 address (e.g., 172.30.100.104)',
    explain: 'A fixed address for the container on a user network made with --subnet: it must lie inside the subnet and be free. As Docker, the default bridge refuses it.',
    kernel: 'ip addr (in the container\'s network namespace)',
  },
  {
    name: 'dns',
    type: 'list',
    valueName: 'list',
    summary: 'Set custom DNS servers',
    explain: 'Nameservers for the container\'s /etc/resolv.conf instead of the host\'s. Without it the host\'s are copied, less the loopback ones (127.0.0.53 and the like are the host\'s own and unreachable from the container\'s namespace).',
    kernel: '/etc/resolv.conf (bind-mounted file)',
  },
  {
    name: 'dns-search',
    type: 'list',
    valueName: 'list',
    summary: 'Set custom DNS search domains',
    explain: 'The `search` line of the container\'s /etc/resolv.conf.',
    kernel: '/etc/resolv.conf (bind-mounted file)',
  },
  {
    name: 'dns-option',
    type: 'list',
    valueName: 'list',
    summary: 'Set DNS options',
    explain: 'The `options` line of the container\'s /etc/resolv.conf (e.g. ndots:2).',
    kernel: '/etc/resolv.conf (bind-mounted file)',
  },
  {
    name: 'add-host',
    type: 'list',
    valueName: 'list',
    summary: 'Add a custom host-to-IP mapping (host:ip)',
    explain: 'Adds "IP HOST" to the container\'s /etc/hosts; host-gateway means the bridge\'s address (the host as the container sees it).',
    kernel: '/etc/hosts (bind-mounted file)',
  },
];
