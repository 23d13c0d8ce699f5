import { describe, expect, it } from 'vitest';
import { DOCKERFILE_INSTRUCTIONS } from '../../runtime/catalog/dockerfile-instructions.js';
import {
  DockerfileParseError,
  expandInstruction,
  findStage,
  parseDockerfile,
  parseGoDuration,
  parseInstructionLine,
  type Instruction,
} from '../../runtime/engine/build/dockerfile.js';

const only = (text: string): Instruction[] => parseDockerfile(`FROM busybox\n${text}`).stages[0]!.instructions;
const one = (text: string): Instruction => only(text)[0]!;
const parseError = (text: string): string => {
  try {
    parseDockerfile(text);
  } catch (e) {
    expect(e).toBeInstanceOf(DockerfileParseError);
    expect((e as DockerfileParseError).exitCode).toBe(1);
    return (e as Error).message;
  }
  throw new Error('expected a parse error');
};

describe('lines: continuations, comments, directives (Docker’s parser)', () => {
  it('joins continuations as moby’s continueIndent test file does', () => {
    const text = [
      'FROM ubuntu:14.04',
      '',
      'RUN echo hello\\',
      '  world\\',
      '  goodnight  \\',
      '  moon\\',
      '  light\\',
      'ning',
      'RUN echo hello  \\',
      '  world',
      'RUN echo hello \\',
      'goodbye\\',
      'frog',
      'RUN echo hi \\',
      ' \\',
      ' world \\',
      '\\',
      ' good\\',
      '\\',
      'night',
    ].join('\n');
    const df = parseDockerfile(text);
    const runs = df.stages[0]!.instructions.map((i) => (i.keyword === 'RUN' && !i.command.json ? i.command.text : ''));
    expect(runs).toEqual([
      'echo hello  world  goodnight    moon  lightning',
      'echo hello    world',
      'echo hello goodbyefrog',
      'echo hi   world  goodnight',
    ]);
    expect(df.stages[0]!.instructions.map((i) => [i.line, i.endLine])).toEqual([[3, 8], [9, 10], [11, 13], [14, 20]]);
  });

  it('drops comment lines inside a continuation (the documented example) and warns about empty ones', () => {
    const df = parseDockerfile('FROM busybox\nRUN echo hello \\\n# comment\nworld\nRUN echo a \\\n\n  b\n');
    const [first, second] = df.stages[0]!.instructions;
    expect(first).toMatchObject({ keyword: 'RUN', command: { json: false, text: 'echo hello world' }, line: 2, endLine: 4 });
    expect(second).toMatchObject({ command: { text: 'echo a   b' }, line: 5, endLine: 7 });
    expect(df.warnings).toEqual([
      '[WARNING]: Empty continuation line found in:\n    RUN echo a   b',
      '[WARNING]: Empty continuation lines will become errors in a future release.',
    ]);
  });

  it('keeps the keyword as written and the joined line in `original` (what "Step N/M :" prints)', () => {
    const [inst] = only('  run   echo "hi" \\\n   there  ');
    expect(inst).toMatchObject({ keyword: 'RUN', original: 'run   echo "hi"    there', line: 2 });
  });

  it('reads the escape directive (backtick: Windows paths) and the syntax directive', () => {
    const df = parseDockerfile('# escape=`\n# syntax=docker/dockerfile:1\nFROM busybox\nRUN dir c:\\ `\n  && echo ok\n');
    expect(df.directives).toEqual({ escape: '`', syntax: 'docker/dockerfile:1' });
    expect(df.stages[0]!.instructions[0]).toMatchObject({ command: { text: 'dir c:\\   && echo ok' } });
  });

  it('takes a directive only at the very top, before any comment or blank line', () => {
    expect(parseDockerfile('# comment\n# escape=`\nFROM busybox\n').directives.escape).toBe('\\');
    expect(parseDockerfile('\n# escape=`\nFROM busybox\n').directives.escape).toBe('\\');
    expect(parseDockerfile('  # Escape = ` \nFROM busybox\n').directives.escape).toBe('`');
  });

  it('refuses a bad or repeated escape directive with Docker’s words', () => {
    // Errors of Docker's line parser: "failed to parse Dockerfile: ..." (Docker names no line; glass adds it).
    expect(parseError('# escape=x\nFROM busybox\n')).toBe("failed to parse Dockerfile: invalid escape token 'x' does not match ` or \\ (line 1)");
    expect(parseError('# escape=`\n# escape=\\\nFROM busybox\n')).toBe('failed to parse Dockerfile: only one escape parser directive can be used (line 2)');
  });

  it('strips a BOM and CRLF line ends', () => {
    const df = parseDockerfile('\uFEFFFROM busybox\r\nRUN echo a\r\n');
    expect(df.stages[0]!.from.image).toBe('busybox');
    expect(df.stages[0]!.instructions[0]).toMatchObject({ command: { text: 'echo a' } });
  });
});

describe('instructions', () => {
  it('RUN/CMD/ENTRYPOINT: JSON exec form (spaces kept), shell form otherwise, also for bad JSON', () => {
    expect(one('CMD ["sh", "-c", "echo a  b"]')).toMatchObject({ command: { json: true, argv: ['sh', '-c', 'echo a  b'] } });
    expect(one('ENTRYPOINT ["top", "-b"] ignored')).toMatchObject({ command: { json: true, argv: ['top', '-b'] } });
    expect(one("CMD ['single']")).toMatchObject({ command: { json: false, text: "['single']" } });
    expect(one('RUN [ "a", ]')).toMatchObject({ command: { json: false, text: '[ "a", ]' } });
    expect(one('ENTRYPOINT []')).toMatchObject({ command: { json: true, argv: [] } });
    expect(parseError('FROM busybox\nCMD ["a", 1]')).toBe('failed to parse Dockerfile: when using JSON array syntax, arrays must be comprised of strings only (line 2)');
    expect(parseError('FROM busybox\nRUN')).toBe('dockerfile parse error line 2: RUN requires at least one argument');
  });

  it('ENV and LABEL: K=V pairs with quotes kept for expansion, and the old "K value" form', () => {
    expect(one('ENV A=1 B="x y" C=a\\ b')).toMatchObject({ pairs: [{ key: 'A', value: '1' }, { key: 'B', value: '"x y"' }, { key: 'C', value: 'a\\ b' }] });
    expect(one('ENV PATH /usr/local/bin:$PATH  and more')).toMatchObject({ pairs: [{ key: 'PATH', value: '/usr/local/bin:$PATH  and more' }] });
    expect(one('LABEL "com.example.vendor"="ACME Inc" version=1.0')).toMatchObject({
      pairs: [{ key: '"com.example.vendor"', value: '"ACME Inc"' }, { key: 'version', value: '1.0' }],
    });
    expect(parseError('FROM busybox\nENV A')).toBe('failed to parse Dockerfile: ENV must have two arguments (line 2)');
    expect(parseError('FROM busybox\nLABEL a=1 b')).toBe('failed to parse Dockerfile: Syntax error - can\'t find = in "b". Must be of the form: name=value (line 2)');
    expect(parseError('FROM busybox\nENV =x')).toBe('dockerfile parse error line 2: ENV names can not be blank');
  });

  it('ARG: names with and without defaults, several on a line', () => {
    expect(one('ARG A B=2 C="x y"')).toMatchObject({ args: [{ name: 'A' }, { name: 'B', value: '2' }, { name: 'C', value: '"x y"' }] });
    expect(parseError('FROM busybox\nARG =1')).toBe('dockerfile parse error line 2: ARG names can not be blank');
  });

  it('COPY/ADD: sources and dest, JSON form for names with spaces, flags', () => {
    expect(one('COPY --chown=1:2 --from=build a b /dst/')).toMatchObject({
      keyword: 'COPY', sources: ['a', 'b'], dest: '/dst/', json: false, from: 'build', chown: '1:2', flags: { chown: '1:2', from: 'build' },
    });
    expect(one('ADD\t\t[ "test file", "/tmp/test file" ]')).toMatchObject({ keyword: 'ADD', sources: ['test file'], dest: '/tmp/test file', json: true });
    expect(one('COPY --chown="app user" x /y')).toMatchObject({ chown: 'app user' });
    expect(parseError('FROM busybox\nCOPY onlyone')).toBe(
      'dockerfile parse error line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined.',
    );
    expect(parseError('FROM busybox\nADD --from=x a b')).toBe('dockerfile parse error line 2: Unknown flag: from');
    expect(parseError('FROM busybox\nCOPY --from a b')).toBe('dockerfile parse error line 2: Missing a value on flag: from');
    expect(parseError('FROM busybox\nCOPY --from=a --from=b a b')).toBe('dockerfile parse error line 2: Duplicate flag specified: from');
    expect(parseError('FROM busybox\nRUN --mount=type=cache,target=/x echo')).toBe('dockerfile parse error line 2: Unknown flag: mount');
  });

  it('EXPOSE (sorted as Docker sorts), VOLUME (words or JSON), USER, WORKDIR, STOPSIGNAL, MAINTAINER, SHELL', () => {
    expect(one('EXPOSE 8080 80/udp 443')).toMatchObject({ ports: ['443', '80/udp', '8080'] });
    expect(one('VOLUME /data /logs')).toMatchObject({ paths: ['/data', '/logs'], json: false });
    expect(one('VOLUME ["/my data"]')).toMatchObject({ paths: ['/my data'], json: true });
    expect(one('USER app:staff')).toMatchObject({ value: 'app:staff' });
    expect(one('WORKDIR /app/$DIR')).toMatchObject({ value: '/app/$DIR' });
    expect(one('STOPSIGNAL SIGQUIT')).toMatchObject({ value: 'SIGQUIT' });
    expect(one('MAINTAINER Seongyeol Lim <seongyeol37@gmail.com>')).toMatchObject({ value: 'Seongyeol Lim <seongyeol37@gmail.com>' });
    expect(one('SHELL ["/bin/ash", "-eo", "pipefail", "-c"]')).toMatchObject({ argv: ['/bin/ash', '-eo', 'pipefail', '-c'] });
    expect(parseError('FROM busybox\nSHELL /bin/sh -c')).toBe('dockerfile parse error line 2: SHELL requires the arguments to be in JSON form');
    expect(parseError('FROM busybox\nVOLUME [""]')).toBe('dockerfile parse error line 2: VOLUME specified can not be an empty string');
    expect(parseError('FROM busybox\nWORKDIR')).toBe('dockerfile parse error line 2: WORKDIR requires exactly one argument');
    expect(parseError('FROM busybox\nEXPOSE')).toBe('dockerfile parse error line 2: EXPOSE requires at least one argument');
  });

  it('HEALTHCHECK: moby’s health test file', () => {
    expect(parseError('FROM debian\nHEALTHCHECK')).toBe('dockerfile parse error line 2: HEALTHCHECK requires at least one argument');
    expect(parseError('FROM debian\nHEALTHCHECK --interval=5s --timeout=3s --retries=1 --grace=4s --exit-on-unhealthy \\\n  CMD /app/check.sh --quiet')).toBe(
      'dockerfile parse error line 2: Unknown flag: grace',
    );
    expect(parseError('FROM debian\nHEALTHCHECK CMD')).toBe('dockerfile parse error line 2: Missing command after HEALTHCHECK CMD');
    expect(one('HEALTHCHECK   CMD   a b')).toMatchObject({ healthcheck: { test: ['CMD-SHELL', 'a b'] } });
    expect(one('HEALTHCHECK --timeout=3s CMD ["foo"]')).toMatchObject({ healthcheck: { test: ['CMD', 'foo'], timeout: 3e9 } });
    expect(parseError('FROM debian\nHEALTHCHECK CONNECT TCP 7000')).toBe('dockerfile parse error line 2: Unknown type "CONNECT" in HEALTHCHECK (try CMD)');
    expect(one('HEALTHCHECK NONE')).toMatchObject({ healthcheck: { test: ['NONE'] } });
    expect(one('HEALTHCHECK --interval=1m30s --start-period=500ms --retries=3 CMD wget -q localhost')).toMatchObject({
      healthcheck: { test: ['CMD-SHELL', 'wget -q localhost'], interval: 90e9, startPeriod: 500e6, retries: 3 },
    });
    expect(parseError('FROM debian\nHEALTHCHECK --interval=10us CMD x')).toBe('dockerfile parse error line 2: Interval "interval" cannot be less than 1ms');
    expect(parseError('FROM debian\nHEALTHCHECK --retries=0 CMD x')).toBe('dockerfile parse error line 2: --retries must be at least 1 (not 0)');
    expect(parseError('FROM debian\nHEALTHCHECK --timeout=5 CMD x')).toBe('dockerfile parse error line 2: time: invalid duration "5"');
  });

  it('ONBUILD: keeps the trigger text; refuses the triggers Docker refuses', () => {
    expect(one('ONBUILD RUN echo "child"')).toMatchObject({ keyword: 'ONBUILD', triggerText: 'RUN echo "child"', trigger: { keyword: 'RUN' } });
    expect(one('ONBUILD RUNN x')).toMatchObject({ triggerText: 'RUNN x' });
    expect((one('ONBUILD RUNN x') as { trigger?: unknown }).trigger).toBeUndefined();
    expect(parseError('FROM busybox\nONBUILD ONBUILD RUN x')).toBe('dockerfile parse error line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
    expect(parseError('FROM busybox\nONBUILD FROM x')).toBe("dockerfile parse error line 2: FROM isn't allowed as an ONBUILD trigger");
    expect(parseError('FROM busybox\nONBUILD ENV A')).toBe('failed to parse Dockerfile: ENV must have two arguments (line 2)');
    expect(parseInstructionLine('COPY . /app', 1)).toMatchObject({ keyword: 'COPY', sources: ['.'], dest: '/app' });
  });

  it('unknown instruction: Docker’s words, the line, the keyword upper-cased', () => {
    expect(parseError('FROM busybox\nRUN echo\n\nrunn echo x\n')).toBe('dockerfile parse error line 4: unknown instruction: RUNN');
  });

  it('a heredoc (BuildKit only) gets Docker’s error and a line saying why', () => {
    const msg = parseError('FROM busybox\nRUN <<EOF\necho hi\nEOF\n');
    expect(msg).toMatch(/^dockerfile parse error line 3: unknown instruction: ECHO \(line 2 starts a heredoc, "<<EOF"/);
    // "<<" without its end marker after it is not a heredoc: Docker's words alone.
    expect(parseError('FROM busybox\nRUN cat <<X > /f\necho hi\n')).toBe('dockerfile parse error line 3: unknown instruction: ECHO');
  });
});

describe('stages', () => {
  const text = [
    'ARG BASE=busybox',
    'ARG TAG',
    'FROM $BASE:${TAG:-latest} AS Build',
    'RUN echo build > /out',
    'FROM --platform=linux/amd64 busybox',
    'COPY --from=build /out /out',
    'FROM scratch as final',
    '',
  ].join('\n');

  it('meta ARGs before FROM, stages with lower-cased names, flags on FROM', () => {
    const df = parseDockerfile(text);
    expect(df.metaArgs.map((a) => a.args)).toEqual([[{ name: 'BASE', value: 'busybox' }], [{ name: 'TAG' }]]);
    expect(df.stages.map((s) => [s.index, s.name, s.from.image, s.instructions.length])).toEqual([
      [0, 'build', '$BASE:${TAG:-latest}', 1],
      [1, undefined, 'busybox', 1],
      [2, 'final', 'scratch', 0],
    ]);
    expect(df.stages[1]!.from.platform).toBe('linux/amd64');
    expect(df.stages[0]!.from.original).toBe('FROM $BASE:${TAG:-latest} AS Build');
  });

  it('findStage by name (any case) or index', () => {
    const df = parseDockerfile(text);
    expect(findStage(df, 'BUILD')?.index).toBe(0);
    expect(findStage(df, '1')?.index).toBe(1);
    expect(findStage(df, 'nope')).toBeUndefined();
    expect(findStage(df, '7')).toBeUndefined();
  });

  it('refuses what Docker refuses: no FROM, bad stage names, an empty file', () => {
    expect(parseError('RUN echo\n')).toBe(
      'no build stage in current context (line 1: RUN comes before any FROM; a Dockerfile starts with FROM, only ARG may come before it)',
    );
    expect(parseError('ARG A\n')).toMatch(/^no build stage in current context \(the Dockerfile has no FROM/);
    expect(parseError('FROM busybox AS 1st\n')).toBe(
      'dockerfile parse error line 1: invalid name for build stage: "1st", name can\'t start with a number or contain symbols',
    );
    expect(parseError('FROM busybox AS\n')).toBe('dockerfile parse error line 1: FROM requires either one or three arguments');
    expect(parseError('# only a comment\n\n')).toBe('failed to parse Dockerfile: file with no instructions (line 1)');
  });
});

describe('expandInstruction (the instructions Docker expands, and only those)', () => {
  const env = ['DIR=/srv/app', 'USER=app', 'P=8080', 'NAME=my app'];
  it('expands ENV, LABEL, ARG defaults, COPY/ADD (and --chown), EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL', () => {
    expect(expandInstruction(one('ENV HOME_DIR=$DIR B="${NAME}"'), env)).toMatchObject({ pairs: [{ key: 'HOME_DIR', value: '/srv/app' }, { key: 'B', value: 'my app' }] });
    expect(expandInstruction(one('LABEL "x.y"="$NAME"'), env)).toMatchObject({ pairs: [{ key: 'x.y', value: 'my app' }] });
    expect(expandInstruction(one('ARG D=${DIR}/x'), env)).toMatchObject({ args: [{ name: 'D', value: '/srv/app/x' }] });
    expect(expandInstruction(one('COPY --chown=$USER app.py ${DIR}/'), env)).toMatchObject({ sources: ['app.py'], dest: '/srv/app/', chown: 'app' });
    expect(expandInstruction(one('EXPOSE $P'), env)).toMatchObject({ ports: ['8080'] });
    expect(expandInstruction(one('EXPOSE $PORTS 53/udp'), ['PORTS=80 443'])).toMatchObject({ ports: ['80', '443', '53/udp'] });
    expect(expandInstruction(one('VOLUME $DIR/data'), env)).toMatchObject({ paths: ['/srv/app/data'] });
    expect(expandInstruction(one('WORKDIR $DIR'), env)).toMatchObject({ value: '/srv/app' });
    expect(expandInstruction(one('USER ${USER}:${GROUP:-staff}'), env)).toMatchObject({ value: 'app:staff' });
  });
  it('leaves RUN, CMD and ENTRYPOINT to the shell', () => {
    expect(expandInstruction(one('RUN echo $DIR'), env)).toMatchObject({ command: { text: 'echo $DIR' } });
    expect(expandInstruction(one('CMD ["echo", "$DIR"]'), env)).toMatchObject({ command: { argv: ['echo', '$DIR'] } });
  });
});

describe('parseGoDuration (Go’s time.ParseDuration)', () => {
  it.each([
    ['30s', 30e9],
    ['1m30s', 90e9],
    ['1.5h', 5400e9],
    ['300ms', 300e6],
    ['2us', 2000],
    ['0', 0],
    ['5', undefined],
    ['', undefined],
    ['1x', undefined],
  ])('%s → %s', (s, ns) => expect(parseGoDuration(s)).toBe(ns));
});

describe('the instruction catalog (language server hovers)', () => {
  it('describes exactly the instructions the parser reads, each with a usage that parses', () => {
    const names = DOCKERFILE_INSTRUCTIONS.map((i) => i.name).sort();
    expect(names).toEqual(
      ['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'],
    );
    for (const spec of DOCKERFILE_INSTRUCTIONS) {
      // Known to the parser: whatever else may be wrong with "x y", it is not an unknown instruction.
      let message = '';
      try {
        parseInstructionLine(`${spec.name} x y`);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).not.toMatch(/unknown instruction/);
    }
  });
});
