import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { chainIds, parseDockerManifest, v1Layers } from '../../runtime/engine/images/docker-archive.js';
import { nameOf } from '../../runtime/engine/images/oci-archive.js';
import { sha256 } from '../../runtime/engine/images/oci.js';
import { ArchiveError, TarWriter, cleanName, findFile, readTar } from '../../runtime/engine/images/tar-stream.js';

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'glass-unit-archive-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function written(fn: (w: TarWriter) => Promise<void>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const w = new TarWriter(out);
  await fn(w);
  await w.finish();
  out.end();
  return Buffer.concat(chunks);
}

const once = (b: Buffer) => (async function* () { yield b; })();

describe('the outer tar of an image archive', () => {
  it('writes what GNU tar reads, and reads it back (files, dirs, symlinks)', async () => {
    const dir = scratch();
    const tar = await written(async (w) => {
      await w.dir('abc');
      await w.file('abc/VERSION', Buffer.from('1.0'));
      await w.file('blobs/sha256/x', Buffer.alloc(1000, 7));
      await w.symlink('abc/layer.tar', '../blobs/sha256/x');
    });
    writeFileSync(join(dir, 'a.tar'), tar);
    expect(execFileSync('tar', ['-tvf', join(dir, 'a.tar')], { encoding: 'utf8' })).toMatch(/abc\/layer\.tar -> \.\.\/blobs\/sha256\/x/);
    const entries = await readTar(once(tar), scratch());
    expect(entries.get('abc')).toEqual({ kind: 'dir' });
    const layer = findFile(entries, 'abc/layer.tar')!;
    expect(layer.name).toBe('blobs/sha256/x');
    expect(readFileSync(layer.path)).toEqual(Buffer.alloc(1000, 7));
    expect(readFileSync(findFile(entries, './abc//VERSION')!.path, 'utf8')).toBe('1.0');
  });

  it("reads GNU tar's long names, and never resolves a link outside the archive", async () => {
    const src = scratch();
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    execFileSync('mkdir', ['-p', join(src, 'd'.repeat(120))]);
    writeFileSync(join(src, long), 'long');
    execFileSync('ln', ['-s', '/etc/passwd', join(src, 'abs')]);
    execFileSync('ln', ['-s', '../../../etc/passwd', join(src, 'climb')]);
    for (const format of ['gnu', 'posix']) {
      const tar = execFileSync('tar', ['-C', src, `--format=${format}`, '-cf', '-', '.']);
      const entries = await readTar(once(tar), scratch());
      expect(readFileSync(findFile(entries, long)!.path, 'utf8')).toBe('long');
      // An absolute target is taken from the archive's root, a climbing one stops there: neither is the host's /etc/passwd.
      expect(findFile(entries, 'abs')).toBeUndefined();
      expect(findFile(entries, 'climb')).toBeUndefined();
    }
  });

  it('refuses what is not a tar, a damaged header and a truncated member', async () => {
    await expect(readTar(once(Buffer.from('hello')), scratch())).rejects.toThrow(/^not a tar archive \(it is too short\)/);
    await expect(readTar(once(Buffer.alloc(1024, 0x41)), scratch())).rejects.toThrow(/^not a tar archive/);
    const tar = await written((w) => w.file('big', Buffer.alloc(5000, 1)));
    await expect(readTar(once(tar.subarray(0, 2048)), scratch())).rejects.toThrow(/truncated \(it ends inside big\)/);
    const bad = Buffer.from(tar);
    bad[600] ^= 1; // inside the file data: fine
    await expect(readTar(once(bad), scratch())).resolves.toBeInstanceOf(Map);
    const second = await written(async (w) => {
      await w.file('a', Buffer.from('x'));
      await w.file('b', Buffer.from('y'));
    });
    second[1024 + 10] ^= 1; // the second header's name: its checksum no longer matches
    await expect(readTar(once(second), scratch())).rejects.toBeInstanceOf(ArchiveError);
    await expect(readTar(once(second), scratch())).rejects.toThrow(/damaged \(a tar header fails its checksum\)/);
  });

  it('cleans names as a loader resolves them', () => {
    expect(cleanName('./a//b/./c/')).toBe('a/b/c');
    expect(cleanName('../../x')).toBe('x');
  });
});

describe('docker-archive', () => {
  const d = (n: number) => sha256(`layer ${n}`);

  it('chains layer IDs as Docker does', () => {
    expect(chainIds([d(1)])).toEqual([d(1)]);
    expect(chainIds([d(1), d(2), d(3)])).toEqual([d(1), sha256(`${d(1)} ${d(2)}`), sha256(`${sha256(`${d(1)} ${d(2)}`)} ${d(3)}`)]);
  });

  it("gives each layer a v1 ID from its chain and parent, Docker's empty v1 config below the top", () => {
    const config = { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, created: '2026-01-01T00:00:00Z', rootfs: { type: 'layers', diff_ids: [d(1), d(2)] } };
    const [bottom, top] = v1Layers(config, [d(1), d(2)]);
    const bottomJson = JSON.parse(bottom!.json.toString());
    expect(bottomJson.created).toBe('1970-01-01T00:00:00Z');
    expect(Object.keys(bottomJson.container_config)).toHaveLength(17);
    // The ID hashes the json without id, plus layer_id (the chain ID), keys sorted, as Docker's CreateID.
    const hashed = { container_config: bottomJson.container_config, created: bottomJson.created, layer_id: d(1) };
    expect(`sha256:${bottom!.id}`).toBe(sha256(JSON.stringify(hashed)));
    const topJson = JSON.parse(top!.json.toString());
    expect(topJson.parent).toBe(bottom!.id);
    expect(topJson.config).toEqual({ Cmd: ['sh'] });
    expect(v1Layers(config, [d(1), d(2)])).toEqual([bottom, top]); // stable
    expect(v1Layers({ ...config, config: { Cmd: ['ls'] } }, [d(1), d(2)])[0]).toEqual(bottom); // shared base layers share IDs
  });

  it('reads manifest.json, or says what is wrong with it', () => {
    expect(parseDockerManifest(Buffer.from('[{"Config":"a.json","RepoTags":null,"Layers":["x/layer.tar"]}]'))).toEqual([{ Config: 'a.json', RepoTags: null, Layers: ['x/layer.tar'] }]);
    expect(parseDockerManifest(Buffer.from('{'))).toMatch(/^manifest\.json is not valid JSON/);
    expect(parseDockerManifest(Buffer.from('[]'))).toBe('manifest.json lists no images');
    expect(parseDockerManifest(Buffer.from('[{"Config":"a","Layers":[1]}]'))).toMatch(/"Layers" is not a list of paths/);
  });
});

describe('names in an OCI index', () => {
  it('takes the full name, else a whole reference; a bare tag names nothing', () => {
    expect(nameOf({ mediaType: '', digest: '', size: 0, annotations: { 'io.containerd.image.name': 'docker.io/library/busybox:1.36', 'org.opencontainers.image.ref.name': '1.36' } })).toBe('busybox:1.36');
    expect(nameOf({ mediaType: '', digest: '', size: 0, annotations: { 'org.opencontainers.image.ref.name': 'localhost/app:v1' } })).toBe('localhost/app:v1');
    expect(nameOf({ mediaType: '', digest: '', size: 0, annotations: { 'org.opencontainers.image.ref.name': 'latest' } })).toBeUndefined();
    expect(nameOf({ mediaType: '', digest: '', size: 0 })).toBeUndefined();
  });
});
