/**
 * runtime/kernel/net: the host side of container networking. Small typed
 * functions, each one explained Step with the `ip` / `iptables` / `sysctl`
 * command a learner could type, all run through one injectable runner
 * (NetContext.run) so unit tests check the commands without root.
 */
export * from './run.js';
export * from './netns.js';
export * from './addr.js';
export * from './route.js';
export * from './link.js';
export * from './sysctl.js';
export * from './iptables.js';
export * from './ports-probe.js';
export * from './conntrack.js';
