import { describe, expect, it } from 'vitest';
import { parseMountinfo } from '../../runtime/kernel/mountinfo.js';
import { decodeCapabilities, parseNetDev, parseStatus } from '../../runtime/kernel/proc-view.js';
import { computeStats, type ContainerStats } from '../../runtime/engine/containers/stats.js';
import { parsePsOutput, validatePsArgs } from '../../runtime/engine/containers/top.js';
import { classifyMount, overlayLayers } from '../../runtime/engine/containers/xray.js';
import { formatStats, statsRecord } from '../../runtime/cli/commands/observe.js';
import { bytesSize, table } from '../../runtime/cli/format.js';

/** top, stats and xray: the pure rules, on the outputs and files the kernel and ps give. */
describe('top: ps output kept to the container\'s processes (moby\'s parsePSOutput)', () => {
  const PS = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 16:55 ?        00:02:28 /sbin/init',
    'root       30706   30687  1 10:52 ?        00:00:00 httpd -f -p 80',
    'root       30710   30706  0 10:52 ?        00:00:00 sh -c sleep 5; echo done',
    '',
  ].join('\n');

  it('keeps the rows whose PID is in the cgroup, the last column holding the rest of the line', () => {
    expect(parsePsOutput(PS, [30706, 30710])).toEqual({
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [
        ['root', '30706', '30687', '1', '10:52', '?', '00:00:00', 'httpd -f -p 80'],
        ['root', '30710', '30706', '0', '10:52', '?', '00:00:00', 'sh -c sleep 5; echo done'],
      ],
    });
  });

  it('prints as docker top does (tabwriter minwidth 20, padding 3)', () => {
    const r = parsePsOutput(PS, [30706]);
    expect(table(r.Titles, r.Processes, 20)).toBe(
      'UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD\n' +
        'root                30706               30687               1                   10:52               ?                   00:00:00            httpd -f -p 80\n',
    );
  });

  it('keeps thread lines (PID "-") after a kept process only, and needs a PID column', () => {
    const threads = 'USER PID TID CMD\nroot 5 - a\nroot - 5 a\nroot 9 - b\nroot - 9 b\n';
    expect(parsePsOutput(threads, [5]).Processes).toEqual([['root', '5', '-', 'a'], ['root', '-', '5', 'a']]);
    expect(() => parsePsOutput('USER COMMAND\nroot sh\n', [1])).toThrow(/Couldn't find PID field/);
  });

  it('refuses renaming the PID column, as Docker does', () => {
    expect(() => validatePsArgs('-o pid=PID')).not.toThrow();
    expect(() => validatePsArgs('-o user,  comm=PID')).toThrow('specifying "comm=PID" is not allowed');
    expect(() => validatePsArgs('aux')).not.toThrow();
  });
});

describe('stats: Docker\'s arithmetic and columns', () => {
  const sample = (cpuNs: number, systemNs: number, over: Partial<ContainerStats> = {}): ContainerStats => ({
    id: '770406c8b7f7' + 'a'.repeat(52),
    name: 'web',
    running: true,
    read: '',
    cpu: { totalNs: cpuNs, systemNs, onlineCpus: 2 },
    memory: { usage: 372736 + 4096, inactiveFile: 4096, limit: 25276262400, limited: false },
    pids: 1,
    blockIO: { read: 0, write: 0 },
    network: { rx: 2450, tx: 2030 },
    files: [],
    ...over,
  });

  it('CPU % = Δcontainer / Δsystem × online CPUs × 100; memory less inactive file; MEM % of the limit', () => {
    // 0.5 s of CPU while the machine (2 CPUs) spent 2 s: one CPU half busy = 50%.
    const e = computeStats(sample(1e9, 10e9), sample(1.5e9, 12e9));
    expect(e.cpuPercent).toBeCloseTo(50, 10);
    expect(e.memUsage).toBe(372736);
    expect(e.memPercent).toBeCloseTo((372736 / 25276262400) * 100, 12);
    expect(computeStats(undefined, sample(1e9, 1e9)).cpuPercent).toBe(0);
    expect(computeStats(sample(2e9, 1e9), sample(1e9, 2e9)).cpuPercent).toBe(0); // a counter that went back (a restart)
  });

  it('prints the line of the reference transcript byte for byte', () => {
    const e = computeStats(sample(1e9, 10e9), sample(1e9, 12e9));
    const text = formatStats('table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}', [statsRecord(e, 'web', false)]);
    expect(text).toBe(
      'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O           BLOCK I/O   PIDS\n' +
        '770406c8b7f7   web       0.00%     364KiB / 23.54GiB   0.00%     2.45kB / 2.03kB   0B / 0B     1\n',
    );
  });

  it('--format fields and --no-trunc', () => {
    const e = computeStats(undefined, sample(0, 0));
    const r = statsRecord(e, 'web', true);
    expect(formatStats('{{.Container}} {{.ID}} {{.PIDs}}', [r])).toBe(`web ${e.id} 1\n`);
    expect(formatStats('table {{.Container}}\t{{.CPUPerc}}', [r])).toBe('CONTAINER   CPU %\nweb         0.00%\n');
    expect(() => formatStats('{{.Nope}}', [r])).toThrow(/can't evaluate field Nope/);
    expect(JSON.parse(formatStats('{{json .}}', [r]))).toEqual({ BlockIO: '0B / 0B', CPUPerc: '0.00%', Container: 'web', ID: e.id, MemPerc: '0.00%', MemUsage: '364KiB / 23.54GiB', Name: 'web', NetIO: '2.45kB / 2.03kB', PIDs: '1' });
    expect(formatStats('{{json .}}', [r]).startsWith('{"BlockIO":')).toBe(true);
  });

  it('go-units BytesSize', () => {
    expect([0, 1023, 1024, 372736, 25276262400, 67108864].map(bytesSize)).toEqual(['0B', '1023B', '1KiB', '364KiB', '23.54GiB', '64MiB']);
  });
});

describe('xray: what /proc says', () => {
  it('decodes capability masks by bit', () => {
    // Docker's default set.
    expect(decodeCapabilities('00000000a80425fb')).toEqual([
      'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP',
      'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP',
    ]);
    expect(decodeCapabilities('0000000000000000')).toEqual([]);
    expect(decodeCapabilities('000001ffffffffff')).toHaveLength(41);
    expect(decodeCapabilities('0000040000000000')).toEqual(['CAP_42']);
  });

  it('reads status fields', () => {
    const st = parseStatus('Name:\tsleep\nNSpid:\t30112\t1\nSeccomp:\t2\nNoNewPrivs:\t1\n');
    expect([st.get('Name'), st.get('NSpid'), st.get('Seccomp'), st.get('NoNewPrivs')]).toEqual(['sleep', '30112\t1', '2', '1']);
  });

  it('lists a network namespace\'s interfaces from net/dev', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:     120       2    0    0    0     0          0         0      120       2    0    0    0     0       0          0',
      '  eth0: 3455597  16877    0    0    0     0          0         0 17610072  131891    0    0    0     0       0          0',
    ].join('\n');
    expect(parseNetDev(text)).toEqual([
      { name: 'lo', rxBytes: 120, rxPackets: 2, txBytes: 120, txPackets: 2 },
      { name: 'eth0', rxBytes: 3455597, rxPackets: 16877, txBytes: 17610072, txPackets: 131891 },
    ]);
  });

  it('tells a container\'s mounts apart: root overlay, masked, read-only, device nodes, glass\'s files', () => {
    const mi = [
      '700 650 0:90 / / rw,nodev,relatime - overlay overlay rw,lowerdir=/g/images/layers/b:/g/images/layers/a,upperdir=/g/c/1/fs/upper,workdir=/g/c/1/fs/work',
      '701 700 0:91 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw',
      '702 700 0:5 /null /dev/null rw,relatime - devtmpfs udev rw,size=1k',
      '703 701 0:5 /null /proc/kcore rw,relatime - devtmpfs udev rw,size=1k',
      '704 701 0:92 / /proc/acpi ro,nosuid,nodev,noexec,relatime - tmpfs tmpfs ro',
      '705 701 0:91 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw',
      '706 700 8:1 /g/c/1/hosts /etc/hosts rw,relatime - ext4 /dev/sda1 rw',
      '707 700 0:93 / /my\\040data rw,relatime - ext4 /dev/sdb1 rw',
    ].join('\n');
    const rows = parseMountinfo(mi).map((m) => [m.mountPoint, classifyMount(m).role]);
    expect(rows).toEqual([
      ['/', 'root'], ['/proc', 'proc'], ['/dev/null', 'dev'], ['/proc/kcore', 'masked'], ['/proc/acpi', 'masked'],
      ['/proc/sys', 'read-only'], ['/etc/hosts', 'glass file'], ['/my data', 'mount'],
    ]);
    expect(parseMountinfo(mi)[2]).toMatchObject({ root: '/null', options: 'rw,relatime', fsType: 'devtmpfs' });
    expect(overlayLayers(parseMountinfo(mi)[0]!.superOptions)).toEqual({ lower: ['/g/images/layers/b', '/g/images/layers/a'], upper: '/g/c/1/fs/upper', work: '/g/c/1/fs/work' });
  });
});
