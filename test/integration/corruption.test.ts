import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { glass, isRoot, useRoot } from '../helpers.js';

/**
 * One damaged file must never break glass for everything else: the container
 * it belongs to is listed as broken and can be removed; the image catalog is
 * rebuilt from what is left.
 */
describe.skipIf(!isRoot)('damaged state files', () => {
  const root = useRoot();
  const dir = (id: string) => `${root}/containers/${id}`;
  const exited = async (name: string) => {
    const r = await glass(root, ['run', '--name', name, 'busybox', 'true']);
    expect(r.exitCode).toBe(0);
    return (await glass(root, ['inspect', '-f', '{{.Id}}', name])).stdout.trim();
  };

  for (const file of ['exit.json', 'state.json', 'config.json']) {
    // Ten glass commands, two of them runs: ~3 s here, more than the default
    // 60 s with the CPU throttled to 5% of one core (a learner's slow VM).
    it(`a truncated ${file}: listed as broken, other commands work, rm -f removes it and frees its name`, { timeout: 150_000 }, async () => {
      const name = `dmg-${file.replace('.json', '')}`;
      const id = await exited(name);
      const text = readFileSync(`${dir(id)}/${file}`, 'utf8');
      writeFileSync(`${dir(id)}/${file}`, text.slice(0, Math.floor(text.length / 2)));

      const ps = await glass(root, ['ps', '-a', '--format', '{{.Names}}|{{.Status}}']);
      expect(ps.exitCode).toBe(0);
      expect(ps.stdout).toContain(`${name}|Dead (broken: ${file} is damaged (not valid JSON))`);
      // Commands about other containers are untouched by it.
      const other = await glass(root, ['run', '--rm', 'busybox', 'echo', 'still fine']);
      expect(other).toMatchObject({ exitCode: 0, stdout: 'still fine\n' });
      // Commands about it say what is wrong and what to do.
      const start = await glass(root, ['start', name]);
      expect(start.exitCode).toBe(1);
      expect(start.stderr).toContain(`is broken: ${file} is damaged (not valid JSON); remove it with: glass rm -f ${id.slice(0, 12)}`);
      expect((await glass(root, ['inspect', '-f', '{{.State.Status}} {{.State.Error}}', name])).stdout).toMatch(/^dead .*is damaged/);

      const rm = await glass(root, ['rm', '-f', name]);
      expect(rm).toMatchObject({ exitCode: 0, stdout: `${name}\n` });
      expect(existsSync(dir(id))).toBe(false);
      expect((await glass(root, ['create', '--name', name, 'busybox', 'true'])).exitCode).toBe(0);
      await glass(root, ['rm', '-f', name]);
    });
  }

  it('an empty state.json (a crash between create and write) is broken too, and removable by id', async () => {
    const id = await exited('dmg-empty');
    writeFileSync(`${dir(id)}/state.json`, '');
    expect((await glass(root, ['ps', '-a', '--format', '{{.Status}}', '-f', 'name=dmg-empty'])).stdout).toBe('Dead (broken: state.json is damaged (empty))\n');
    expect((await glass(root, ['rm', '-f', id.slice(0, 12)])).exitCode).toBe(0);
  });

  it('a damaged image catalog is rebuilt from the OCI layout: runs, tags and lists still work', async () => {
    await glass(root, ['tag', 'busybox', 'mine:1']);
    writeFileSync(`${root}/images/repositories.json`, '{"Repositories": {"busybox": ');
    let r = await glass(root, ['run', '--rm', 'mine:1', 'echo', 'from repositories-less store']);
    expect(r).toMatchObject({ exitCode: 0, stdout: 'from repositories-less store\n' });
    // The next change writes both files whole again.
    expect((await glass(root, ['tag', 'busybox', 'mine:2'])).exitCode).toBe(0);
    expect(JSON.parse(readFileSync(`${root}/images/repositories.json`, 'utf8')).Repositories.mine).toHaveProperty('mine:2');
    // Now the other one: the manifests are found among the blobs, the names in repositories.json.
    writeFileSync(`${root}/images/oci/index.json`, '{"schemaVersion":2,"manif');
    r = await glass(root, ['run', '--rm', 'mine:1', 'echo', 'from index-less store']);
    expect(r).toMatchObject({ exitCode: 0, stdout: 'from index-less store\n' });
    const images = await glass(root, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(images.stdout.split('\n').filter(Boolean).sort()).toEqual(['busybox:latest', 'mine:1', 'mine:2']);
    expect((await glass(root, ['rmi', 'mine:2'])).exitCode).toBe(0);
    expect(JSON.parse(readFileSync(`${root}/images/oci/index.json`, 'utf8')).manifests.length).toBe(2);
  });
});
