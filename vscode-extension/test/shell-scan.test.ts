import { describe, expect, it } from 'vitest';
import { invocationsIn } from '../src/server/documents.js';
import { findInvocations, scanShell } from '../src/server/shell.js';

/** Finding glass and docker command lines in scripts: words as the program gets them, and where they are. */
const argv = (src: string) => findInvocations(scanShell(src)).map((i) => [i.tool, ...i.words.slice(1).map((w) => (w.dynamic ? `<${w.text}>` : w.text))]);

describe('the shell word scanner', () => {
  it('splits commands at ; && || | and newlines, and reads quotes and escapes as the shell does', () => {
    expect(argv(`glass run --rm busybox sh -c 'exit 3'; echo $?\nglass ps -a && glass rm -f "my box" || docker ps | grep x`)).toEqual([
      ['glass', 'run', '--rm', 'busybox', 'sh', '-c', 'exit 3'],
      ['glass', 'ps', '-a'],
      ['glass', 'rm', '-f', 'my box'],
      ['docker', 'ps'],
    ]);
    expect(argv('glass run -e A=b\\ c busybox env')).toEqual([['glass', 'run', '-e', 'A=b c', 'busybox', 'env']]);
  });

  it('follows line continuations, skips redirections, comments, sudo, env and assignments', () => {
    expect(argv('sudo -n -u root env X=1 GLASS_ROOT=/r bin/glass rm -f web >/dev/null 2>&1 # gone\nglass run \\\n  --name web \\\n  busybox true')).toEqual([
      ['glass', 'rm', '-f', 'web'],
      ['glass', 'run', '--name', 'web', 'busybox', 'true'],
    ]);
  });

  it('reads commands inside $(...) and backquotes, and marks words whose value is known only when they run', () => {
    expect(argv('[ "$(glass inspect -f \'{{.State.Status}}\' web)" = running ]; id=`glass ps -q`; glass logs "$id" $NAME')).toEqual([
      ['glass', 'inspect', '-f', '{{.State.Status}}', 'web'],
      ['glass', 'ps', '-q'],
      ['glass', 'logs', '<$id>', '<$NAME>'],
    ]);
  });

  it('never fails on half-typed or broken input', () => {
    for (const src of ['glass run "unclosed', "glass run 'x", 'glass $(', 'glass `ps', ')))', '\\', 'glass run -e', '"$(glass ps']) {
      expect(() => argv(src)).not.toThrow();
    }
    expect(argv('glass run "unclosed')).toEqual([['glass', 'run', 'unclosed']]);
  });

  it('keeps offsets: each word is where it is in the document', () => {
    const doc = '# t\n\n```bash\nsudo glass run --nosuch busybox\n```\n';
    const [inv] = invocationsIn(doc, 'markdown');
    const flag = inv!.words[2]!;
    expect(doc.slice(flag.start, flag.end)).toBe('--nosuch');
    expect(invocationsIn('```dockerfile\nRUN glass ps\n```\n', 'markdown')).toEqual([]);
  });
});
