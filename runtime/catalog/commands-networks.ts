import type { CommandSpec, FlagSpec } from './commands.js';

const BRIDGE = 'a bridge device per network (ip link add NAME type bridge), its address, and iptables rules in glass\'s own chains';
const STORE = 'files under <root>/networks (network.json, address leases)';

/** `--link` and `--network-alias` for run and create (issue 13). */
export const LINK_FLAGS: FlagSpec[] = [
  {
    name: 'link',
    type: 'list',
    valueName: 'list',
    summary: 'Add link to another container',
    explain:
      'NAME[:ALIAS], on the default bridge: the container gets variables with the other one\'s address and exposed ' +
      'ports (ALIAS_PORT_80_TCP_ADDR...) and a line `IP alias id name` in /etc/hosts, kept up to date when it restarts ' +
      'with a new address. The other container must be running. Docker\'s legacy way; user networks resolve names instead.',
    kernel: '/etc/hosts (bind-mounted file)',
  },
  {
    name: 'network-alias',
    type: 'list',
    valueName: 'list',
    summary: 'Add network-scoped alias for the container',
    explain: 'Another name the container answers to on its user network: its peers find it by this name too (glass writes it in their /etc/hosts).',
    kernel: '/etc/hosts (bind-mounted file)',
  },
];

/** `network create|ls|inspect|rm|connect|disconnect|prune` (issue 13). */
export const NETWORK_COMMANDS: CommandSpec[] = [
  {
    name: 'network create',
    usage: 'glass network create [OPTIONS] NETWORK',
    summary: 'Create a network',
    explain:
      'Makes a bridge of its own for the network (a virtual switch, like the default bridge), gives it the gateway ' +
      'address of a private subnet no route of the host uses, and adds iptables rules: MASQUERADE for the way out, ' +
      'and a drop between this bridge and every other glass bridge, so containers on different networks cannot reach ' +
      'each other. Containers on it find each other by name.',
    kernel: [BRIDGE, STORE],
    flags: [
      { name: 'driver', short: 'd', type: 'string', default: 'bridge', summary: 'Driver to manage the Network', explain: 'Only "bridge", as Docker\'s default on one host.' },
      { name: 'subnet', type: 'list', valueName: 'strings', summary: 'Subnet in CIDR format that represents a network segment', explain: 'e.g. 10.90.0.0/24. Refused when it overlaps a route of the host or another network (Docker\'s "Pool overlaps with other one on this address space").' },
      { name: 'gateway', type: 'list', valueName: 'strings', summary: 'IPv4 or IPv6 Gateway for the master subnet', explain: 'The bridge\'s own address, inside --subnet; default the first address of the subnet.' },
      { name: 'internal', type: 'bool', summary: 'Restrict external access to the network', explain: 'No MASQUERADE, and the bridge\'s traffic is dropped unless it stays on the bridge: its containers reach one another and nothing else, not even ports published on the host.', kernel: 'iptables (filter GLASS-FORWARD, INPUT)' },
      { name: 'label', type: 'list', valueName: 'list', summary: 'Set metadata on a network' },
    ],
    args: [{ name: 'NETWORK', required: true }],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'network ls',
    aliases: ['network list'],
    usage: 'glass network ls [OPTIONS]',
    summary: 'List networks',
    explain: 'Lists the networks, the three built in (bridge, host, none) with the ones you made, sorted by name: NETWORK ID, NAME, DRIVER, SCOPE as Docker prints them.',
    kernel: [STORE],
    flags: [
      { name: 'quiet', short: 'q', type: 'bool', summary: 'Only display network IDs' },
      { name: 'filter', short: 'f', type: 'list', summary: "Provide filter values (e.g. 'driver=bridge')", explain: 'name=PART, id=PREFIX, driver=bridge|host|null, type=builtin|custom, label=KEY[=VALUE].' },
      { name: 'no-trunc', type: 'bool', summary: 'Do not truncate the output' },
      { name: 'format', type: 'string', summary: 'Pretty-print networks using a Go template', explain: 'Fields: .ID .Name .Driver .Scope .Internal .Labels' },
    ],
    args: [],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'network inspect',
    usage: 'glass network inspect [OPTIONS] NETWORK [NETWORK...]',
    summary: 'Display detailed information on one or more networks',
    explain: 'Shows the network as Docker does: its subnet and gateway (IPAM.Config), whether it is internal, and every container on it with its address and MAC.',
    kernel: [STORE],
    flags: [{ name: 'format', short: 'f', type: 'string', summary: 'Format the output using the given Go template' }],
    args: [{ name: 'NETWORK', required: true, variadic: true }],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'network rm',
    aliases: ['network remove'],
    usage: 'glass network rm NETWORK [NETWORK...]',
    summary: 'Remove one or more networks',
    explain: 'Deletes the network\'s bridge (ip link del) and its iptables rules. Refused while a container is on it, as Docker does ("has active endpoints"): disconnect or remove the container first.',
    kernel: [BRIDGE, STORE],
    flags: [],
    args: [{ name: 'NETWORK', required: true, variadic: true }],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'network connect',
    usage: 'glass network connect [OPTIONS] NETWORK CONTAINER',
    summary: 'Connect a container to a network',
    explain:
      'Gives the container one more interface: a new veth pair, one end on the network\'s bridge, the other moved ' +
      'into the container\'s network namespace (eth1, eth2...) with an address of that network. Its peers there learn ' +
      'its name, and it learns theirs (their /etc/hosts files are rewritten).',
    kernel: ['veth pair (ip link add ... type veth)', 'network namespace', '/etc/hosts (bind-mounted file)'],
    flags: [
      { name: 'alias', type: 'list', valueName: 'strings', summary: 'Add network-scoped alias for the container' },
      { name: 'ip', type: 'string', valueName: 'string', summary: 'IPv4 address (e.g., 172.30.100.104)', explain: 'Must be inside the network\'s subnet and free.' },
    ],
    args: [{ name: 'NETWORK', required: true }, { name: 'CONTAINER', required: true }],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'network disconnect',
    usage: 'glass network disconnect [OPTIONS] NETWORK CONTAINER',
    summary: 'Disconnect a container from a network',
    explain: 'Deletes the container\'s veth on that network (its other end in the namespace goes with it) and gives back the address; its peers forget its name.',
    kernel: ['veth pair (ip link del)', '/etc/hosts (bind-mounted file)'],
    flags: [{ name: 'force', short: 'f', type: 'bool', summary: 'Force the container to disconnect from a network' }],
    args: [{ name: 'NETWORK', required: true }, { name: 'CONTAINER', required: true }],
    interspersed: true,
    group: 'system',
  },
  {
    name: 'network prune',
    usage: 'glass network prune [OPTIONS]',
    summary: 'Remove all unused networks',
    explain: 'Removes every network you made that no container is on (the built-in bridge, host and none stay). Asks first unless -f.',
    kernel: [BRIDGE, STORE],
    flags: [
      { name: 'force', short: 'f', type: 'bool', summary: 'Do not prompt for confirmation' },
      { name: 'filter', type: 'list', summary: "Provide filter values (e.g. 'until=<timestamp>')", explain: 'label=KEY[=VALUE] or label!=KEY[=VALUE]: only networks with (or without) that label.' },
    ],
    args: [],
    interspersed: true,
    group: 'system',
  },
];
