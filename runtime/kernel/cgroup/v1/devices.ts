import { writeFile, type ControllerContext } from '../write.js';

/**
 * cgroup v1 devices controller: which device nodes the container may create
 * (m), read (r) and write (w), checked by the kernel at open() and mknod()
 * whatever the file's permissions say. Root in a container could otherwise
 * `mknod /dev/sda b 8 0` and read the host's disk.
 *
 * The policy is Docker's (runc's default list): deny everything, then allow
 * mknod of any node (opening it is what counts) and read/write of the
 * harmless ones. A --privileged container gets every device.
 */
export const DEFAULT_DEVICE_RULES: Array<[rule: string, what: string]> = [
  ['c *:* m', 'create any character device node'],
  ['b *:* m', 'create any block device node'],
  ['c 1:3 rwm', '/dev/null'],
  ['c 1:5 rwm', '/dev/zero'],
  ['c 1:7 rwm', '/dev/full'],
  ['c 1:8 rwm', '/dev/random'],
  ['c 1:9 rwm', '/dev/urandom'],
  ['c 5:0 rwm', '/dev/tty'],
  ['c 5:1 rwm', '/dev/console'],
  ['c 5:2 rwm', '/dev/ptmx'],
  ['c 136:* rwm', '/dev/pts/* (pseudo-terminals)'],
  ['c 10:200 rwm', '/dev/net/tun'],
];

export function applyDevicesV1(ctx: ControllerContext, dir: string, privileged: boolean): void {
  if (privileged) {
    writeFile(ctx, dir, 'devices.allow', 'a *:* rwm', 'Allow the privileged container every device',
      '--privileged lifts the device policy: the container may open any device node, the host\'s disks included.');
    return;
  }
  writeFile(ctx, dir, 'devices.deny', 'a', 'Deny the container every device',
    'The devices cgroup is checked at open() and mknod(): starting from "deny all" means a device node the container makes itself (mknod /dev/sda) still cannot be opened.');
  for (const [rule, what] of DEFAULT_DEVICE_RULES) {
    writeFile(ctx, dir, 'devices.allow', rule, `Allow ${what}`, 'Docker\'s default device list: only these nodes may be read and written inside a container.');
  }
}
