import { describe, expect, it } from 'vitest';
import { posix } from 'node:path';
import { computeChanges, changeLetter, walkOrder } from '../../runtime/engine/containers/diff.js';
import { commitRunConfig, containerEnv, containerRunConfig } from '../../runtime/engine/containers/commit.js';
import { imageHistory } from '../../runtime/engine/images/history.js';
import { parseGetfattr, unescapeGetfattr, type LayerEntry, type LowerView } from '../../runtime/kernel/overlay-upper.js';
import type { ContainerConfig } from '../../runtime/engine/containers/types.js';
import type { ImageRecord } from '../../runtime/engine/images/types.js';

/** A fake tree: "d /etc", "f /etc/group", "w /etc/passwd" (whiteout), "o /usr" (opaque dir). */
function tree(lines: string[], mtimeNs = 1_000_000_000n): LayerEntry[] {
  return lines.map((l) => {
    const [t, path] = l.split(' ', 2) as [string, string];
    const kind = t === 'd' || t === 'o' ? 'dir' : t === 'w' ? 'whiteout' : t === 'l' ? 'symlink' : 'file';
    return { path, kind, mode: kind === 'dir' ? 0o40755 : 0o100644, uid: 0, gid: 0, size: kind === 'dir' ? 4096 : 10, mtimeNs, opaque: t === 'o' || undefined } as LayerEntry;
  });
}

/** The merged image as one flat tree (what the layers show). */
function lowerOf(lines: string[]): LowerView {
  const entries = new Map(tree(lines).map((e) => [e.path, e]));
  return {
    lookup: (p) => entries.get(p),
    children: (dir) => [...entries.keys()].filter((p) => posix.dirname(p) === dir).map((p) => posix.basename(p)).sort(),
  };
}

const BUSYBOX = ['d /bin', 'f /bin/sh', 'd /etc', 'f /etc/group', 'f /etc/passwd', 'd /home', 'd /usr', 'd /usr/bin', 'f /usr/bin/env', 'd /usr/sbin', 'd /tmp'];
const lines = (r: ReturnType<typeof computeChanges>) => r.changes.map((c) => `${changeLetter(c.Kind)} ${c.Path}`);

describe('diff: the changes of an upperdir', () => {
  it("the issue's case prints Docker's lines: parents of changes are C, whiteouts D, sorted walk", () => {
    // touch /a; rm /etc/passwd; echo x >> /etc/group; mkdir /d; rm -r /home (glass's mount point files beside them)
    const upper = tree(['f /a', 'd /d', 'd /etc', 'f /etc/group', 'f /etc/hostname', 'f /etc/hosts', 'w /etc/passwd', 'f /etc/resolv.conf', 'w /home']);
    upper.find((e) => e.path === '/etc')!.mtimeNs = 5_000_000_000n; // changed by the writes in it
    const r = computeChanges(upper, lowerOf(BUSYBOX));
    expect(lines(r)).toEqual(['A /a', 'A /d', 'C /etc', 'C /etc/group', 'D /etc/passwd', 'D /home']);
    // The layer holds the same entries, not glass's mount points.
    expect(r.layer.map((e) => e.path)).toEqual(['/a', '/d', '/etc', '/etc/group', '/etc/passwd', '/home']);
  });

  it('a container that changed nothing has no changes, even with glass\'s mount points in its upperdir', () => {
    const upper = tree(['d /etc', 'f /etc/hostname', 'f /etc/hosts', 'f /etc/resolv.conf']);
    upper[0]!.mtimeNs = 9_000_000_000n;
    expect(computeChanges(upper, lowerOf(BUSYBOX))).toEqual({ changes: [], layer: [] });
    // An image without /etc, /proc: glass made them, they are not the container's.
    expect(computeChanges(tree(['d /etc', 'f /etc/hosts', 'd /proc']), lowerOf(['d /bin'])).changes).toEqual([]);
  });

  it('an opaque directory is C (or A) and what the image had in it is D', () => {
    // rm -r /usr; mkdir /usr; touch /usr/x; mkdir /usr/bin (a new bin: the image's /usr/bin/env is gone too)
    const r = computeChanges(tree(['o /usr', 'd /usr/bin', 'f /usr/x']), lowerOf(BUSYBOX));
    expect(lines(r)).toEqual(['C /usr', 'C /usr/bin', 'D /usr/bin/env', 'D /usr/sbin', 'A /usr/x']);
    expect(lines(computeChanges(tree(['o /new', 'f /new/a']), lowerOf(BUSYBOX)))).toEqual(['A /new', 'A /new/a']);
  });

  it('a directory only copied up (same owner, mode, size and time) is listed only as the parent of a change', () => {
    expect(lines(computeChanges(tree(['d /bin', 'f /bin/sh']), lowerOf(BUSYBOX)))).toEqual(['C /bin', 'C /bin/sh']);
    // A chmod of a directory is a change of its own.
    const chmod = tree(['d /tmp']);
    chmod[0]!.mode = 0o41777;
    expect(lines(computeChanges(chmod, lowerOf(BUSYBOX)))).toEqual(['C /tmp']);
    // Created and deleted again: the directory's time changed.
    const touched = tree(['d /tmp'], 2_500_000_000n);
    expect(lines(computeChanges(touched, lowerOf(BUSYBOX)))).toEqual(['C /tmp']);
    // Go's sameFsTime: the same second, one side without nanoseconds, is the same time.
    expect(lines(computeChanges(tree(['d /tmp'], 1_500_000_000n), lowerOf(BUSYBOX)))).toEqual([]);
  });

  it('orders as a walk, not as sorted strings: /etc/a before /etc-x', () => {
    expect(['/etc-x', '/etc/a', '/etc', '/a b', '/a'].sort(walkOrder)).toEqual(['/a', '/a b', '/etc', '/etc/a', '/etc-x']);
  });
});

describe('commit: the new image config', () => {
  const c = {
    id: 'c'.repeat(64), hostname: 'cccccccccccc', tty: true, cmd: ['sh', '-c', 'touch /a'], entrypoint: null, workingDir: '', user: '',
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=cccccccccccc', 'TERM=xterm', 'MODE=dev'],
    labels: { team: 'a' },
  } as unknown as ContainerConfig;

  it("drops what the daemon adds at start (PATH when the image has none, HOSTNAME, TERM), keeps the user's", () => {
    expect(containerEnv(c, [])).toEqual(['MODE=dev']);
    expect(containerEnv(c, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'])).toEqual(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'MODE=dev']);
  });

  it("takes the container's command, env and labels; -c changes win, as moby's merge", () => {
    const base = containerRunConfig(c, { Cmd: ['sh'], Labels: { team: 'img', os: 'linux' } });
    expect(commitRunConfig(base, [])).toEqual({ Cmd: ['sh', '-c', 'touch /a'], Entrypoint: null, Env: ['MODE=dev'], Labels: { team: 'a' } });
    const changed = commitRunConfig(base, ['CMD ["cat","/a"]', 'ENV MODE=prod X=1', 'LABEL v=2', 'WORKDIR /srv', 'EXPOSE 80']);
    expect(changed.Cmd).toEqual(['cat', '/a']);
    expect(changed.Env).toEqual(['MODE=prod', 'X=1']);
    expect(changed.Labels).toEqual({ team: 'a', v: '2' });
    expect(changed.WorkingDir).toBe('/srv');
    expect(changed.ExposedPorts).toEqual({ '80/tcp': {} });
    // An ENTRYPOINT change alone takes no Cmd from the container.
    expect(commitRunConfig(base, ['ENTRYPOINT ["env"]'])).toMatchObject({ Entrypoint: ['env'] });
    expect(commitRunConfig(base, ['ENTRYPOINT ["env"]']).Cmd).toBeUndefined();
  });

  it("keeps the image's VOLUMEs and the container's anonymous -v /path ones as the new image's", () => {
    const withVolumes = { ...c, mountFlags: { volumes: ['/data'] } } as unknown as ContainerConfig;
    expect(commitRunConfig(containerRunConfig(withVolumes, { Volumes: { '/var/lib/x': {} } }), []).Volumes).toEqual({ '/var/lib/x': {}, '/data': {} });
    expect(commitRunConfig(containerRunConfig(c, {}), []).Volumes).toBeUndefined();
  });

  it('refuses an instruction commit cannot apply, naming it', () => {
    expect(() => commitRunConfig({}, ['RUN rm -rf /'])).toThrow(/RUN is not a valid change command/);
  });
});

describe('history', () => {
  const record = (id: string, history: NonNullable<ImageRecord['config']['history']>, diffIds: string[], parent?: string, tags: string[] = []): ImageRecord =>
    ({ id, repoTags: tags, config: { history, parent, rootfs: { type: 'layers', diff_ids: diffIds } } }) as unknown as ImageRecord;
  const base = record('sha256:base', [{ created: '2026-01-01T00:00:00Z', created_by: 'glass: built', comment: 'Imported from -' }], ['sha256:l1'], undefined, ['busybox:latest']);
  const snap = record('sha256:snap', [...base.config.history!, { created: '2026-01-02T00:00:00Z', created_by: 'sh -c x', comment: 'msg' }, { created: '2026-01-03T00:00:00Z', created_by: 'CMD', empty_layer: true }], ['sha256:l1', 'sha256:l2'], 'sha256:base', ['snap:1']);

  it('newest first, a size per layer (0 for an empty layer), IDs along the parents', () => {
    const rows = imageHistory(snap, [2000, 121], (id) => (id === 'sha256:base' ? base : undefined));
    expect(rows.map((r) => [r.Id, r.CreatedBy, r.Size, r.Comment])).toEqual([
      ['sha256:snap', 'CMD', 0, ''],
      ['sha256:base', 'sh -c x', 121, 'msg'],
      ['<missing>', 'glass: built', 2000, 'Imported from -'],
    ]);
    expect(rows[0]!.Created).toBe(Date.parse('2026-01-03T00:00:00Z') / 1000);
    expect(rows[0]!.Tags).toEqual(['snap:1']);
  });

  it('a pulled image (no parent) names only its top row', () => {
    expect(imageHistory(base, [5], () => undefined).map((r) => r.Id)).toEqual(['sha256:base']);
  });
});

describe('getfattr output', () => {
  it('reads files and their overlay xattrs; names with escaped bytes', () => {
    const out = parseGetfattr('# file: /u/usr\ntrusted.overlay.opaque="y"\n\n# file: /u/we\\040ird/a\\012b\\134\ntrusted.overlay.origin=0sAPs=\n\n');
    expect(out.get('/u/usr')?.get('trusted.overlay.opaque')).toBe('"y"');
    expect([...out.keys()]).toEqual(['/u/usr', '/u/we ird/a\nb\\']);
    expect(unescapeGetfattr('caf\\303\\251')).toBe('café');
  });
});
