import type { CommandSpec, FlagSpec } from './commands.js';

/** -p, -P and --expose for run and create (issue 13). */
export const PORT_FLAGS: FlagSpec[] = [
  {
    name: 'publish',
    short: 'p',
    type: 'list',
    valueName: 'list',
    summary: "Publish a container's port(s) to the host",
    explain:
      '`-p 8080:80`: connections to port 8080 of the host reach port 80 of the container. Also `-p 80` (a free host port from the ' +
      "kernel's ephemeral range, see `glass port`), `-p 127.0.0.1:8080:80` (one host address only), `-p 127.0.0.1::80`, `/udp`, and " +
      'ranges `-p 8000-8002:8000-8002`. Glass adds an iptables DNAT rule per port (no proxy process), removed when the container stops.',
    kernel: 'iptables DNAT (netfilter), route_localnet',
  },
  {
    name: 'publish-all',
    short: 'P',
    type: 'bool',
    summary: 'Publish all exposed ports to random ports',
    explain: "Every port the image EXPOSEs (and every --expose) gets a free host port from the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range); `glass port NAME` shows which.",
    kernel: 'iptables DNAT (netfilter)',
  },
  {
    name: 'expose',
    type: 'list',
    valueName: 'list',
    summary: 'Expose a port or a range of ports',
    explain: '`--expose 5432`, `--expose 53/udp`, `--expose 7000-7002`: documents a port the container listens on (Config.ExposedPorts, ps\'s PORTS) without publishing it; -P publishes it, and --link passes it to linked containers as variables.',
  },
];

/** `glass port`. */
export const PORT_COMMANDS: CommandSpec[] = [
  {
    name: 'port',
    usage: 'glass port CONTAINER [PRIVATE_PORT[/PROTO]]',
    summary: 'List port mappings or a specific mapping for the container',
    explain:
      'Shows which host address and port lead to each published port of a running container (`80/tcp -> 0.0.0.0:8080`), ' +
      'as its iptables DNAT rules say: `iptables -t nat -S GLASS-DNAT` lists the same.',
    kernel: ['iptables DNAT (netfilter)'],
    flags: [],
    args: [
      { name: 'CONTAINER', required: true },
      { name: 'PRIVATE_PORT', required: false },
    ],
    interspersed: true,
    group: 'containers',
  },
];
