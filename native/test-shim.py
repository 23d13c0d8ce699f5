#!/usr/bin/env python3
"""Drive native/build/glass-shim by hand, without the TypeScript runtime.

Usage (as root, after `make -C native`; needs a static /bin/busybox):

    python3 native/test-shim.py            # run every scenario
    python3 native/test-shim.py -v         # ... and print status lines and output
    GLASS_SHIM=/path/to/glass-shim python3 native/test-shim.py   # test another build

It builds a busybox root filesystem in a temporary directory, then for each
scenario writes a shim.spec, starts the shim with fd 3 (status) and fd 4
(control) as socketpairs (what Node's stdio 'pipe' gives it), answers "pid" by
connecting to attach.sock and sending "go", and decodes the attach frames.
Everything is removed at the end, and any container left running is killed.
"""
import ctypes, json, os, re, shutil, signal, socket, struct, subprocess, sys, tempfile, threading, time

SHIM = os.environ.get('GLASS_SHIM') or os.path.join(os.path.dirname(os.path.abspath(__file__)), 'build', 'glass-shim')
VERBOSE = '-v' in sys.argv
TMP = tempfile.mkdtemp(prefix='glass-shim-test-')
failures, running = [], {}  # running: shim pid -> init pid, while a scenario runs
PROTOCOL = '1'  # SHIM_PROTOCOL_VERSION in native/shim.h


def cgroup_v2():
    """Like crun: /sys/fs/cgroup is cgroup2 itself (unified, v2), or a tmpfs
    holding one hierarchy per controller (v1, or hybrid with an empty v2 tree)."""
    buf = ctypes.create_string_buffer(256)  # struct statfs; f_type comes first
    if ctypes.CDLL(None, use_errno=True).statfs(b'/sys/fs/cgroup', buf) != 0:
        raise OSError(ctypes.get_errno(), 'statfs /sys/fs/cgroup')
    return ctypes.c_long.from_buffer(buf).value == 0x63677270  # CGROUP2_SUPER_MAGIC


V2 = cgroup_v2()
# A cgroup of our own for the cgroup scenario: in the one v2 tree, or in v1's pids hierarchy.
CGROUP = '/sys/fs/cgroup/glass-shim-test-%d' % os.getpid() if V2 else '/sys/fs/cgroup/pids/glass-shim-test-%d' % os.getpid()


def make_rootfs():
    root = os.path.join(TMP, 'rootfs')
    os.makedirs(os.path.join(root, 'bin'))
    os.makedirs(os.path.join(root, 'etc'))
    shutil.copy('/bin/busybox', os.path.join(root, 'bin', 'busybox'))
    applets = subprocess.run(['/bin/busybox', '--list'], capture_output=True, text=True).stdout.split()
    for name in applets:
        if name != 'busybox':
            os.symlink('busybox', os.path.join(root, 'bin', name))
    with open(os.path.join(root, 'etc', 'passwd'), 'w') as f:
        f.write('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n')
    with open(os.path.join(root, 'etc', 'group'), 'w') as f:
        f.write('root:x:0:\ntty:x:5:\nusers:x:100:nobody\nnogroup:x:65534:\n')
    return root


def recv_exact(sock, n):
    data = b''
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError('attach socket closed')
        data += chunk
    return data


def frame(kind, payload=b''):
    return struct.pack('>B3xI', kind, len(payload)) + payload


def run(name, args, tty=False, stdin=False, user='', cwd='/', binds=(), cgroups=(), hook=None,
        send=(), feed=None, kill_init=None, no_go=False, lower=None, removes=False,
        extra=(), version=PROTOCOL, inherit=(), during=None, after_exit=None, state=None, before=None):
    """Start one container; return (status lines, output bytes, exit code or None, state dir).
    extra: more spec pairs; version: None leaves the version pair out; inherit:
    descriptors the shim inherits besides 3 and 4 (which it must close); during:
    called with the shim's pid once the command runs; after_exit: called with
    the shim's pid, the init's pid and the state dir once the exit frame came,
    before waiting for the shim to end. lower: a path or a list. state: the
    directory to use (default TMP/name), e.g. a tmpfs mounted there. before:
    called with the state dir just before the shim starts."""
    state = state or os.path.join(TMP, name)
    for d in ('upper', 'work', 'merged', 'state'):
        os.makedirs(os.path.join(state, d))
    sdir = os.path.join(state, 'state')
    spec = [('version', version)] if version is not None else []
    lowers = [lower] if isinstance(lower, str) else lower or [ROOTFS]
    spec += [('id', name.ljust(64, '0'))] + [('lower', l) for l in lowers] + [('upper', state + '/upper'),
            ('work', state + '/work'), ('merged', state + '/merged'), ('hostname', 'glass-' + name),
            ('env', 'PATH=/bin'), ('cwd', cwd), ('user', user), ('tty', '1' if tty else '0'),
            ('stdin', '1' if stdin else '0'), ('log', sdir + '/ctr-json.log')]
    spec += [('arg', a) for a in args] + [('bind', b) for b in binds] + [('cgroup', c) for c in cgroups]
    spec += [('exit-hook', a) for a in hook or ()] + list(extra)
    with open(sdir + '/shim.spec', 'wb') as f:
        f.write(b''.join(k.encode() + b'\0' + v.encode() + b'\0' for k, v in spec))
    if before:
        before(sdir)

    status_r, status_w = (s.detach() for s in socket.socketpair())
    control_w, control_r = (s.detach() for s in socket.socketpair())
    hi_status, hi_control = os.dup(status_w), os.dup(control_r)

    def fds():
        os.dup2(hi_status, 3)
        os.dup2(hi_control, 4)

    with open(sdir + '/shim.log', 'ab') as log:
        p = subprocess.Popen([SHIM, sdir], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=log, preexec_fn=fds, pass_fds=(3, 4) + tuple(inherit))
    for fd in (status_w, control_r, hi_status, hi_control):
        os.close(fd)
    p.wait()  # 0 right after detaching; 1 if it refused the spec before that

    lines, sock, shim_pid, init_pid, out, code = [], None, None, None, b'', None
    with os.fdopen(status_r, 'r') as status:
        for line in status:
            line = line.rstrip('\n')
            lines.append(line)
            if line.startswith('shim '):
                shim_pid = int(line.split()[1])
                running[shim_pid] = None
            if line.startswith('pid '):
                running[shim_pid] = int(line.split()[1])
                for c in cgroups:
                    with open(c + '/cgroup.procs', 'w') as f:
                        f.write(line.split()[1])
                sock = socket.socket(socket.AF_UNIX)
                sock.settimeout(10)
                sock.connect(sdir + '/attach.sock')
                if removes:  # like `glass run --rm`: this client removes the container itself
                    sock.sendall(frame(6))
                if not no_go:
                    os.write(control_w, b'go\n')
                os.close(control_w)
            if line == 'ready':
                init_pid = int(next(l for l in lines if l.startswith('pid ')).split()[1])
                if feed:  # a big stdin, sent while we read the output
                    chunks = [frame(0, feed[i:i + 65536]) for i in range(0, len(feed), 65536)] + [frame(5)]
                    threading.Thread(target=lambda s=sock: [s.sendall(c) for c in chunks], daemon=True).start()
                for chunk in send:  # split frames at odd places: the shim must reassemble them
                    for i in range(0, len(chunk), 3):
                        sock.sendall(chunk[i:i + 3])
                        time.sleep(0.001)
                if during:
                    during(shim_pid)
                if kill_init:
                    time.sleep(0.3)
                    os.kill(init_pid, kill_init)
    while sock:
        kind, length = struct.unpack('>B3xI', recv_exact(sock, 8))
        payload = recv_exact(sock, length)
        if kind in (1, 2):
            out += payload
        elif kind == 3:
            code = int(payload)
            sock.close()
            sock = None
    if after_exit and code is not None:
        after_exit(shim_pid, init_pid, sdir)
    if shim_pid:
        os.waitpid(shim_pid, 0)  # we are a subreaper: the detached shim is our child again
        del running[shim_pid]
    if VERBOSE:
        print('\n'.join('   | ' + l for l in lines), '\n   > ' + out.decode(errors='replace').replace('\n', '\n   > '))
    return lines, out, code, sdir


def check(what, ok):
    print(('ok   ' if ok else 'FAIL ') + what)
    if not ok:
        failures.append(what)


def parent(pid):
    with open('/proc/%d/stat' % pid) as f:
        return int(f.read().rsplit(')', 1)[1].split()[1])


def stat_fields(pid):
    """/proc/<pid>/stat as a list indexed by field number (fields[3] is the state)."""
    with open('/proc/%d/stat' % pid) as f:
        return [None, str(pid), None] + f.read().rsplit(')', 1)[1].split()


def wait_for(what, cond, timeout=10):
    """Poll cond() until true (at most timeout seconds); fail the check otherwise."""
    end = time.time() + timeout
    while not cond():
        if time.time() > end:
            check('in time: ' + what, False)
            return False
        time.sleep(0.01)
    return True


def attach_exit_code(sdir):
    """Connect to attach.sock as a new client and return the exit code it is told."""
    with socket.socket(socket.AF_UNIX) as c:
        c.settimeout(5)
        c.connect(sdir + '/attach.sock')
        kind, length = struct.unpack('>B3xI', recv_exact(c, 8))
        return kind, recv_exact(c, length)


def read_json(path):
    """A JSON file's object, or {} when it is missing or not a file."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def exit_steps(sdir):
    with open(sdir + '/exit-steps.jsonl') as f:
        return [json.loads(l) for l in f]


GATED = 'until [ -e /gate/open ]; do sleep 0.01; done; '  # a container that waits for the test


def gate(name):
    """A host directory bound on /gate: the test opens it (open_gate) when the container may go on."""
    d = os.path.join(TMP, 'gate-' + name)
    os.mkdir(d)
    return d, d + '\t/gate\trw'


def open_gate(d):
    open(d + '/open', 'w').close()


def layer(name, links):
    """A small image layer holding only symlinks, to stack on top of ROOTFS."""
    d = os.path.join(TMP, 'layer-' + name)
    os.makedirs(d)
    for path, target in links.items():
        os.symlink(target, os.path.join(d, path))
    return d


def main():
    lines, out, code, sdir = run('basic', ['sh', '-c', 'echo $$; hostname; tr "\\0" " " < /proc/1/cmdline; echo; ps -o pid,args; true'])
    text = out.decode()
    check('pid 1, hostname, cmdline', text.startswith('1\nglass-basic\nsh -c echo $$;'))
    ps = text.split('PID')[1].strip().split('\n')[1:]
    check('ps shows only the container: %r' % ps, len(ps) == 2 and ps[0].split()[0] == '1' and 'ps -o' in ps[1])
    check('status lines in order: %r' % lines[:3], lines[0] == 'version ' + PROTOCOL
          and [l.split()[0] for l in lines][:3] == ['version', 'step', 'shim'] and lines[-1] == 'ready'
          and [l.split('\t')[0] for l in lines if l.startswith('step ')][-1] == 'step exec')
    check('exit 0 frame', code == 0)
    with open(sdir + '/exit.json') as f:
        ex = json.load(f)
    check('exit.json ' + json.dumps(ex), ex['exitCode'] == 0 and ex['signal'] == 0
          and re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z', ex['finishedAt']))
    steps = exit_steps(sdir)
    check('exit-steps.jsonl: exit-record ' + json.dumps(steps), [s['key'] for s in steps] == ['exit-record']
          and steps[0]['phase'] == 'done' and 'error' not in steps[0] and 'mv exit.json.tmp exit.json' in steps[0]['command']
          and re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z', steps[0]['time']))
    with open(sdir + '/ctr-json.log') as f:
        entries = [json.loads(l) for l in f]
    check('json-file log', ''.join(e['log'] for e in entries) == text and all(
        e['stream'] == 'stdout' and '\n' not in e['log'][:-1] for e in entries))
    check('attach.sock removed', not os.path.exists(sdir + '/attach.sock'))

    lines, _, _, _ = run('noversion', ['true'], version=None)
    check('spec without a version refused: ' + lines[-1], lines[0] == 'version 1' and lines[-1].startswith('error 125 ')
          and 'no protocol version' in lines[-1] and 'version 1' in lines[-1] and 'npm run build' in lines[-1])
    def other_shims_records(sdir):  # as if another shim of this container were running
        for f in ('shim.json', 'exit.json.tmp'):
            with open(os.path.join(sdir, f), 'w') as out:
                out.write('not yours')
    lines, _, _, sdir = run('badversion', ['true'], version='2', before=other_shims_records)
    check('spec of another version refused: ' + lines[-1], lines[-1].startswith('error 125 ')
          and 'version 2' in lines[-1] and 'version 1' in lines[-1] and 'npm run build' in lines[-1])
    check('a shim that gave up before clone() leaves another shim\'s shim.json and exit.json.tmp alone',
          all(open(os.path.join(sdir, f)).read() == 'not yours' for f in ('shim.json', 'exit.json.tmp')))

    _, out, code, sdir = run('exit42', ['sh', '-c', r'''echo to-stderr >&2; printf 'q"b\\\001\303\251\r\n'; exit 42'''])
    check('exit code 42, stdout and stderr', code == 42 and sorted(out.split(b'\n')) == [b'', b'q"b\\\x01\xc3\xa9\r', b'to-stderr'])
    with open(sdir + '/ctr-json.log', 'rb') as f:
        log = f.read()
    check('log escaping', rb'{"log":"q\"b\\\u0001' + b'\xc3\xa9' + rb'\r\n","stream":"stdout"' in log
          and rb'{"log":"to-stderr\n","stream":"stderr"' in log)

    lines, _, code, sdir = run('notfound', ['no-such-binary'])
    check('not found: ' + lines[-1], lines[-1] == 'error 127 exec: "no-such-binary": executable file not found in $PATH')
    check('failed step reported: ' + lines[-2], lines[-2] == 'failed exec\texec: "no-such-binary": executable file not found in $PATH')
    check('no exit.json after a failed start, and no shim.json or exit.json.tmp: it never ran: %r' % sorted(os.listdir(sdir)),
          not [f for f in ('exit.json', 'shim.json', 'exit.json.tmp') if os.path.exists(os.path.join(sdir, f))])
    lines, _, _, _ = run('noexec', ['/etc/passwd'])
    check('not executable: ' + lines[-1], lines[-1] == 'error 126 exec: "/etc/passwd": permission denied')
    check('exec step, then its failure: %r' % lines[-3:-1], lines[-3].startswith('step exec\texec /etc/passwd')
          and lines[-2] == 'failed exec\texec: "/etc/passwd": permission denied')
    lines, _, _, _ = run('nouser', ['true'], user='nosuchuser')
    check('unknown user: ' + lines[-1], lines[-1].startswith('error 125 unable to find user nosuchuser')
          and lines[-2].startswith('failed user\tunable to find user nosuchuser'))
    lines, _, _, _ = run('badlower', ['true'], lower=TMP + '/missing')
    check('overlay failure: ' + lines[-1], re.fullmatch('error 125 mount overlay on .*/merged: No such file or directory', lines[-1])
          and lines[-2].startswith('failed mount-overlay\tmount overlay on '))
    lines, _, code, sdir = run('nogo', ['true'], no_go=True)
    check('control pipe closed without go: ' + lines[-1], lines[-1].startswith('error 125 ')
          and not os.path.exists(sdir + '/attach.sock'))

    _, out, code, _ = run('tty', ['tty'], tty=True)
    check('tty prints /dev/pts/0', out == b'/dev/pts/0\r\n' and code == 0)
    _, out, code, _ = run('interactive', ['sh'], tty=True, stdin=True,
                          send=[frame(4, b'40 100'), frame(0, b'stty size; echo hi; exit 3\n')])
    check('interactive sh over the socket', code == 3 and b'40 100\r\n' in out and b'hi\r\n' in out)

    _, out, code, _ = run('stdin', ['sh', '-c', 'cat; echo done'], stdin=True,
                          send=[frame(0, b'hello\n'), frame(0, b'world\n'), frame(5)])
    check('stdin pipe and close (type 5)', out == b'hello\nworld\ndone\n' and code == 0)
    big = os.urandom(3 << 20)
    _, out, code, _ = run('bigstdin', ['cat'], stdin=True, feed=big)
    check('3 MiB through stdin and stdout', out == big and code == 0)

    _, out, _, _ = run('user', ['sh', '-c', 'id -u; id -g; id -G; pwd; echo $HOME'], user='nobody', cwd='/newdir')
    check('user nobody, -w /newdir: ' + repr(out), out == b'65534\n65534\n65534 100\n/newdir\n/nonexistent\n')
    _, out, _, _ = run('uidgid', ['sh', '-c', 'id -u; id -g; echo $HOME'], user='1234:tty')
    check('uid:group without passwd entry', out == b'1234\n5\n/\n')

    host_file = os.path.join(TMP, 'hostname-file')
    with open(host_file, 'w') as f:
        f.write('from-the-host\n')
    _, out, _, _ = run('bind', ['sh', '-c', 'cat /etc/hostname; ls /data/x; echo no 2>&- > /etc/hostname || echo read-only'],
                       binds=[host_file + '\t/etc/hostname\tro', TMP + '/rootfs/etc\t/data/x\trw'])
    check('bind mounts (ro file, rw dir): ' + repr(out), out == b'from-the-host\ngroup\npasswd\nread-only\n')

    # An image must not make the shim write on the host: /etc -> a host directory.
    host_dir = os.path.join(TMP, 'host-etc')
    os.mkdir(host_dir)
    _, out, code, _ = run('escape', ['sh', '-c', 'cat /etc/hostname; ls /etc; readlink /etc'],
                          lower=[layer('escape', {'etc': host_dir}), ROOTFS], binds=[host_file + '\t/etc/hostname\tro'])
    check('bind target behind a symlink out of the root lands inside: ' + repr(out),
          code == 0 and out == b'from-the-host\nhostname\n' + host_dir.encode() + b'\n' and os.listdir(host_dir) == [])
    lines, _, code, _ = run('procsymlink', ['true'], lower=[layer('proc', {'proc': host_dir}), ROOTFS])
    check('/proc as a symlink refused: ' + lines[-1], lines[-1].startswith('error 125 mount destination /proc is a symlink')
          and lines[-2].startswith('failed mount-proc\t') and os.listdir(host_dir) == [])

    # Only 0, 1 and 2 reach the container; the shim keeps nothing it inherited.
    leak_fd = os.open(host_dir, os.O_RDONLY)
    os.dup2(leak_fd, 300)  # dup2 makes 300 inheritable
    shim_fds = []
    try:
        _, out, _, _ = run('fds', ['sh', '-c', 'ls /proc/self/fd; sleep 0.2'], inherit=(300,),
                           during=lambda pid: shim_fds.extend(os.listdir('/proc/%d/fd' % pid)))
    finally:
        os.close(300)
        os.close(leak_fd)
    check('container sees fds 0 1 2 (+ ls\'s own 3): ' + repr(out), out == b'0\n1\n2\n3\n')
    check('shim closed the inherited fd 300: %r' % sorted(shim_fds, key=int), shim_fds and '300' not in shim_fds)

    events = os.path.join(TMP, 'events.jsonl')
    with open(events, 'w') as f:
        f.write('{"status":"create"}\n')
    _, _, code, _ = run('die', ['sh', '-c', 'exit 3'], extra=[('events', events), ('name', 'a"b'), ('image', 'busybox:latest')])
    with open(events) as f:
        ev = f.read().split('\n')
    # The shim records start (when the exec succeeded) and then die: start always comes first.
    start, die = json.loads(ev[1]), json.loads(ev[2])
    cid = 'die'.ljust(64, '0')
    want_start = ('{"status":"start","id":"%s","from":"busybox:latest","Type":"container","Action":"start","Actor":{"ID":"%s",'
                  '"Attributes":{"image":"busybox:latest","name":"a\\"b"}},"scope":"local","time":%d,"timeNano":%d}'
                  % (cid, cid, start.get('time', 0), start.get('timeNano', 0)))
    want = ('{"status":"die","id":"%s","from":"busybox:latest","Type":"container","Action":"die","Actor":{"ID":"%s",'
            '"Attributes":{"exitCode":"3","image":"busybox:latest","name":"a\\"b"}},"scope":"local","time":%d,"timeNano":%d}'
            % (cid, cid, die.get('time', 0), die.get('timeNano', 0)))
    check('start event appended: ' + ev[1], ev[1] == want_start)
    check('die event appended after it: ' + ev[2], len(ev) == 4 and ev[3] == '' and ev[2] == want
          and die['timeNano'] >= start['timeNano']
          and die['timeNano'] // 10**9 == die['time'] and abs(die['time'] - time.time()) < 30)

    os.mkdir(CGROUP)  # the runtime's job; the shim removes it
    marker = os.path.join(TMP, 'hook-ran')
    _, out, code, sdir = run('cgroup', ['cat', '/proc/self/cgroup'], cgroups=[CGROUP],
                             hook=['/bin/sh', '-c', 'echo "$0" > ' + marker, 'hook-arg'])
    mine = [l for l in out.decode().split('\n') if (l.startswith('0::') if V2 else ':pids:' in l)]
    check('cgroup namespace rooted at the container cgroup (%s): %r' % ('v2' if V2 else 'v1', mine),
          len(mine) == 1 and mine[0].endswith(':/'))
    check('cgroup dir removed', not os.path.exists(CGROUP))
    os.waitpid(-1, 0)  # the exit hook, adopted by us
    check('exit hook ran', open(marker).read() == 'hook-arg\n')
    steps = exit_steps(sdir)
    check('exit-steps.jsonl: record, cgroup, hook: %r' % [(s['key'], s['command'], s['phase']) for s in steps],
          [(s['key'], s['phase']) for s in steps] == [('exit-record', 'done'), ('cgroup-remove', 'done'), ('exit-hook', 'done')]
          and steps[1]['command'] == 'rmdir ' + CGROUP
          and steps[2]['command'] == "/bin/sh -c 'echo \"$0\" > %s' hook-arg" % marker)
    os.remove(marker)
    run('promised', ['true'], hook=['/bin/sh', '-c', 'echo ran > ' + marker], removes=True)
    time.sleep(0.2)
    check('no exit hook while a client that removes (type 6) is connected', not os.path.exists(marker))
    _, _, _, sdir = run('badhook', ['true'], hook=['/no/such/hook'])
    os.waitpid(-1, 0)  # the hook's child, which failed to exec
    hook = exit_steps(sdir)[-1]
    check('a hook that cannot start is recorded as failed: %r' % hook, hook['key'] == 'exit-hook'
          and hook['phase'] == 'failed' and 'No such file or directory' in hook['error'])

    # SIGTERM to the shim once the trap is set (the container says so through /gate): an
    # init without a handler ignores TERM, so a signal sent earlier would be lost.
    g, bind = gate('sigterm')

    def term(pid):
        if wait_for('the container to set its TERM trap', lambda: os.path.exists(g + '/trapped')):
            os.kill(pid, signal.SIGTERM)
        else:
            os.kill(running[pid], signal.SIGKILL)  # the check above failed: end the container, not wait on it
    _, out, code, _ = run('sigterm', ['sh', '-c', 'trap "echo got TERM; exit 7" TERM; touch /gate/trapped; while :; do sleep 0.05; done'],
                          binds=[bind], during=term)
    check('SIGTERM forwarded to the init', out == b'got TERM\n' and code == 7)
    _, _, code, sdir = run('killed', ['sleep', '100'], kill_init=signal.SIGKILL)
    with open(sdir + '/exit.json') as f:
        ex = json.load(f)
    check('killed by SIGKILL: 137, signal 9', code == 137 and ex['exitCode'] == 137 and ex['signal'] == 9)

    # shim.json: the shim's own record, right after clone() and before "pid";
    # exit.json.tmp: the exit record's space, reserved before the container runs.
    g, bind = gate('record')
    seen = {}

    def look(pid):
        sd = os.path.join(TMP, 'record', 'state')
        try:
            seen['start'] = int(stat_fields(pid)[22])
            with open(sd + '/shim.json') as f:
                seen['record'] = json.load(f)
            seen['reserved'] = os.stat(sd + '/exit.json.tmp').st_blocks * 512
        except OSError as e:
            seen['error'] = str(e)
        open_gate(g)
    lines, _, code, sdir = run('record', ['sh', '-c', GATED + 'exit 4'], binds=[bind], during=look)
    shim_pid = int(next(l for l in lines if l.startswith('shim ')).split()[1])
    init_pid = int(next(l for l in lines if l.startswith('pid ')).split()[1])
    check('shim.json names the shim, its start time and the init: %r' % seen.get('record'),
          seen.get('record') == {'pid': shim_pid, 'startTime': seen.get('start'), 'initPid': init_pid})
    keys = [l.split('\t')[0] for l in lines]
    check('steps exit-reserve, clone, shim-record, then "pid": %r' % keys[:8],
          all(k in keys for k in ('step exit-reserve', 'step shim-record')) and keys.index('step exit-reserve')
          < keys.index('step clone') < keys.index('step shim-record') < keys.index('pid %d' % init_pid))
    check('exit.json.tmp had its space reserved at start: %r bytes' % seen.get('reserved'), seen.get('reserved', 0) >= 4096)
    ex, kept = read_json(sdir + '/exit.json'), read_json(sdir + '/shim.json')
    check('after the exit: exit.json (4), shim.json kept, no temp files: %r' % sorted(os.listdir(sdir)),
          code == 4 and ex.get('exitCode') == 4 and kept == seen.get('record', 'none seen')
          and not [n for n in os.listdir(sdir) if n.endswith('.tmp')])

    # A container that fills the disk its state is on still gets its exit code
    # recorded (into the space reserved at start), and the shim never dies of ENOSPC.
    disk = os.path.join(TMP, 'fulldisk')
    os.mkdir(disk)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=4m', 'glass-shim-test', disk], check=True)
    try:
        events = disk + '/events.jsonl'
        with open(events, 'w') as f:
            f.write('{"status":"create"}\n')
        _, out, code, sdir = run('fulldisk', ['sh', '-c', 'dd if=/dev/zero of=/fill bs=64k; df -k /; exit 7'], state=disk,
                                 extra=[('events', events)])
        free = os.statvfs(disk).f_bfree
        ex = read_json(sdir + '/exit.json')
        check('disk filled by the container (%d blocks free, dd said %r): exit 7 heard and recorded %r'
              % (free, out.split(b'\n')[0], ex), free <= 1 and code == 7 and ex.get('exitCode') == 7)

        def parses(path):
            try:
                with open(path) as f:
                    return all(json.loads(l) is not None for l in f.read().split('\n') if l)
            except ValueError:
                return False
        check('events and exit-steps.jsonl hold whole lines only (a line that does not fit is skipped)',
              parses(events) and parses(sdir + '/exit-steps.jsonl'))
    finally:
        subprocess.run(['umount', disk], check=True)

    # exit.json cannot be written (here: a directory is in its way, EISDIR):
    # the shim keeps the exit code, the init stays a zombie holding it, every
    # client hears it at once, and a retry each second writes it once it can.
    g, bind = gate('retry')
    seen = {}

    def block(pid):
        os.mkdir(os.path.join(TMP, 'retry', 'state', 'exit.json'))
        open_gate(g)

    def pending(shim, init, sdir):
        try:
            seen['shim alive'] = stat_fields(shim)[3] != 'Z'
            f = stat_fields(init)
            seen['init'] = (f[3], int(f[52]))
            seen['clients'] = [attach_exit_code(sdir), attach_exit_code(sdir)]
        except (OSError, EOFError) as e:
            seen['error'] = str(e)
        os.rmdir(sdir + '/exit.json')  # out of the way: the next try succeeds
        wait_for('exit.json written by a retry', lambda: os.path.isfile(sdir + '/exit.json'))
    _, _, code, sdir = run('retry', ['sh', '-c', GATED + 'exit 5'], binds=[bind], during=block, after_exit=pending)
    check('exit frame 5 while exit.json cannot be written; the shim lives on: %r' % seen,
          code == 5 and seen.get('shim alive') is True)
    check('the init is kept a zombie, its exit status (5 << 8) in /proc/<pid>/stat field 52: %r' % (seen.get('init'),),
          seen.get('init') == ('Z', 5 << 8))
    check('clients that connect meanwhile hear the exit code at once: %r' % seen.get('clients'),
          seen.get('clients') == [(3, b'5'), (3, b'5')])
    ex = read_json(sdir + '/exit.json')
    steps = exit_steps(sdir)
    check('exit-record failed, then done by a retry; finishedAt is the exit, not the retry: %r'
          % [(s['key'], s['phase'], s.get('error')) for s in steps],
          ex.get('exitCode') == 5 and [(s['key'], s['phase']) for s in steps] == [('exit-record', 'failed'), ('exit-record', 'done')]
          and 'Is a directory' in steps[0]['error'] and ex['finishedAt'] <= steps[0]['time'] < steps[1]['time']
          and not os.path.exists(sdir + '/attach.sock'))

    # ... and when the container is removed meanwhile (rm -f frees the space
    # by deleting its state), the shim has nothing left to write and ends.
    g, bind = gate('retrygone')

    def block_gone(pid):
        os.mkdir(os.path.join(TMP, 'retrygone', 'state', 'exit.json'))
        open_gate(g)

    def remove(shim, init, sdir):
        shutil.rmtree(os.path.dirname(sdir))
        wait_for('the shim ends once its state directory is gone', lambda: not os.path.exists('/proc/%d' % shim)
                 or stat_fields(shim)[3] == 'Z')
    _, _, code, _ = run('retrygone', ['sh', '-c', GATED + 'exit 6'], binds=[bind], during=block_gone, after_exit=remove)
    check('exit frame 6, then the shim ended with its state directory gone', code == 6)

    # ... and when the container is started again meanwhile (a new shim made
    # its own exit.json.tmp and attach.sock), the old shim leaves both alone.
    g, bind = gate('retryagain')

    def block_again(pid):
        os.mkdir(os.path.join(TMP, 'retryagain', 'state', 'exit.json'))
        open_gate(g)

    def restart(shim, init, sdir):
        os.rename(sdir + '/exit.json.tmp', sdir + '/old-record')  # the new shim unlinks it ...
        with open(sdir + '/exit.json.tmp', 'w') as f:  # ... and makes its own
            f.write('new run')
        os.rename(sdir + '/attach.sock', sdir + '/old-sock')
        with open(sdir + '/attach.sock', 'w') as f:
            f.write('new shim')
        os.rmdir(sdir + '/exit.json')
        wait_for('the old shim ends', lambda: not os.path.exists('/proc/%d' % shim) or stat_fields(shim)[3] == 'Z')
    _, _, code, sdir = run('retryagain', ['sh', '-c', GATED + 'exit 8'], binds=[bind], during=block_again, after_exit=restart)
    check('a later start\'s exit.json.tmp and attach.sock are left alone by the old shim: %r' % sorted(os.listdir(sdir)),
          code == 8 and not os.path.exists(sdir + '/exit.json') and open(sdir + '/exit.json.tmp').read() == 'new run'
          and open(sdir + '/attach.sock').read() == 'new shim')

    # A container that mounts its cgroup hierarchy and makes child cgroups (a
    # process in one), plus a host process put in one of them: the shim kills
    # what is left and removes the children before the parent. Mounting needs
    # every capability: the spec says privileged (without `cap` keys the
    # container keeps none).
    os.mkdir(CGROUP)
    g, bind = gate('nested')
    mount = 'mount -t cgroup2 none /cg' if V2 else 'mount -t cgroup -o pids none /cg'
    stray = []

    def add_stray(pid):
        if wait_for('the container made its child cgroups', lambda: os.path.exists(g + '/made')):
            stray.append(subprocess.Popen(['sleep', '100']))
            with open(CGROUP + '/child/cgroup.procs', 'w') as f:
                f.write(str(stray[0].pid))
        open_gate(g)
    try:
        _, out, code, sdir = run('nested', ['sh', '-c', 'mkdir /cg && ' + mount + ' && mkdir -p /cg/child/grandchild && '
                                            'echo $$ > /cg/child/grandchild/cgroup.procs && { sleep 100 & } && '
                                            'touch /gate/made && ' + GATED + 'exit 0'],
                                 cgroups=[CGROUP], binds=[bind], during=add_stray, extra=[('privileged', '1')])
        steps = exit_steps(sdir)
        cmd = steps[-1]['command'] if steps else ''
        check('cgroup with children removed: %r' % steps[-1:], code == 0 and not os.path.exists(CGROUP)
              and steps and steps[-1]['key'] == 'cgroup-remove' and steps[-1]['phase'] == 'done'
              and cmd.endswith('rmdir %s/child/grandchild %s/child %s' % (CGROUP, CGROUP, CGROUP)))
        try:
            killed = stray and stray[0].wait(timeout=5) == -signal.SIGKILL
        except subprocess.TimeoutExpired:
            killed = False
        check('the stray process in a child cgroup was killed: %r' % cmd, killed and ('kill -KILL %d' % stray[0].pid) in cmd)
    finally:
        for p in stray:
            p.kill()
            p.wait()

    with open('/proc/mounts') as f:
        check('nothing left mounted', TMP not in f.read())


if os.geteuid() != 0 or not os.access(SHIM, os.X_OK):
    sys.exit('run as root, after `make -C native`')
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphaned shims become our children
try:
    ROOTFS = make_rootfs()
    main()
finally:
    for shim, init in running.items():  # a scenario broke off half-way: kill what it started
        try:
            if init and parent(init) == shim:
                os.kill(init, signal.SIGKILL)  # ends the whole container
            os.kill(shim, signal.SIGKILL)
            os.waitpid(shim, 0)
        except (OSError, ValueError):
            pass
    subprocess.run(['umount', os.path.join(TMP, 'fulldisk')], stderr=subprocess.DEVNULL)
    shutil.rmtree(TMP, ignore_errors=True)
    for d in (CGROUP + '/child/grandchild', CGROUP + '/child', CGROUP):  # children first
        for _ in range(100):  # EBUSY until the kernel has finished tearing the container down
            try:
                os.rmdir(d)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.01)
print('%d failure(s)' % len(failures) if failures else 'all passed')
sys.exit(1 if failures else 0)
