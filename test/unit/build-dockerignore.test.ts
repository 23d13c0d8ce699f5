import { describe, expect, it } from 'vitest';
import { goClean, goPathMatch, IgnoreMatcher, readDockerignore } from '../../runtime/engine/build/dockerignore.js';

const excluded = (patterns: string[], path: string) => new IgnoreMatcher(patterns).matches(path);

describe('readDockerignore (Docker’s ReadAll)', () => {
  it('drops comments and blanks, trims, cleans, drops a leading "/" (also after "!")', () => {
    const text = 'test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! \n';
    expect(readDockerignore(text)).toEqual(['test1', 'test2', 'a/file/here', 'lastfile', '!inverted/abs/path', '!', '!']);
  });
  it('keeps a "#" that is not at column 0 as a pattern, cleans "a//b/../c/", strips a BOM and CRLF', () => {
    expect(readDockerignore('\uFEFF  #x\r\na//b/../c/\r\n./d\n')).toEqual(['#x', 'a/c', 'd']);
  });
  it('refuses a lone "!" the way Docker does', () => {
    expect(() => new IgnoreMatcher(readDockerignore('!\n'))).toThrow('illegal exclusion pattern: "!"');
  });
  it('refuses a malformed pattern with Docker’s words', () => {
    expect(() => new IgnoreMatcher(['['])).toThrow("Error checking context: 'syntax error in pattern'.");
  });
});

describe('IgnoreMatcher: the examples of Docker’s documentation (.dockerignore file)', () => {
  it('*/temp*: names starting with temp in any immediate subdirectory of the root', () => {
    const p = ['*/temp*'];
    expect(excluded(p, 'somedir/temporary.txt')).toBe(true);
    expect(excluded(p, 'somedir/temp')).toBe(true);
    expect(excluded(p, 'temp')).toBe(false);
    expect(excluded(p, 'a/b/temp')).toBe(false);
  });
  it('*/*/temp*: two levels below the root', () => {
    const p = ['*/*/temp*'];
    expect(excluded(p, 'somedir/subdir/temporary.txt')).toBe(true);
    expect(excluded(p, 'somedir/temporary.txt')).toBe(false);
  });
  it('temp?: a one-character extension of temp, in the root', () => {
    const p = ['temp?'];
    expect(excluded(p, 'tempa')).toBe(true);
    expect(excluded(p, 'tempb')).toBe(true);
    expect(excluded(p, 'temp')).toBe(false);
    expect(excluded(p, 'tempab')).toBe(false);
    expect(excluded(p, 'dir/tempa')).toBe(false);
  });
  it('**/*.go: every .go file, in the root too', () => {
    const p = ['**/*.go'];
    expect(excluded(p, 'main.go')).toBe(true);
    expect(excluded(p, 'a/b/c/x.go')).toBe(true);
    expect(excluded(p, 'a/b/x.gox')).toBe(false);
  });
  it('*.md then !README.md: all markdown but the README', () => {
    const p = ['*.md', '!README.md'];
    expect(excluded(p, 'CHANGES.md')).toBe(true);
    expect(excluded(p, 'README.md')).toBe(false);
  });
  it('*.md, !README*.md, README-secret.md: READMEs but not README-secret.md', () => {
    const p = ['*.md', '!README*.md', 'README-secret.md'];
    expect(excluded(p, 'README-secret.md')).toBe(true);
    expect(excluded(p, 'README-public.md')).toBe(false);
    expect(excluded(p, 'notes.md')).toBe(true);
  });
  it('*.md, README-secret.md, !README*.md: every README (the middle line has no effect)', () => {
    const p = ['*.md', 'README-secret.md', '!README*.md'];
    expect(excluded(p, 'README-secret.md')).toBe(false);
    expect(excluded(p, 'README.md')).toBe(false);
    expect(excluded(p, 'notes.md')).toBe(true);
  });
  it('only at the top: *.log does not match in subdirectories (unlike .gitignore)', () => {
    expect(excluded(['*.log'], 'x.log')).toBe(true);
    expect(excluded(['*.log'], 'logs/x.log')).toBe(false);
  });
});

describe('IgnoreMatcher: moby’s own cases', () => {
  it('a directory pattern covers what is under it; an exception rescues one file', () => {
    expect(excluded(['docs', '!docs/README.md'], 'docs/README.md')).toBe(false);
    expect(excluded(['docs/', '!docs/README.md'], 'docs/README.md')).toBe(false);
    expect(excluded(['docs/*', '!docs/README.md'], 'docs/README.md')).toBe(false);
    expect(excluded(['docs', '!docs/README.md'], 'docs/other.md')).toBe(true);
    expect(excluded(['!fileutils.go', '*.go'], 'fileutils.go')).toBe(true);
    expect(excluded(['*.go', '!fileutils.go'], 'fileutils.go')).toBe(false);
    expect(excluded(['*'], 'fileutils.go')).toBe(true);
    expect(excluded([], 'any/path/there')).toBe(false);
  });
  const table: [string, string, boolean][] = [
    ['**', 'file', true],
    ['**', 'dir/file', true],
    ['**/', 'dir/file', true],
    ['**/**', 'dir/file', true],
    ['dir/**', 'dir/file', true],
    ['dir/**', 'dir/dir2/file', true],
    ['**/dir', 'dir', true],
    // Docker 20.10 tests one parent, at the pattern's depth (2 here): no match for the file itself; the
    // walk still leaves it out, since the directory "dir" matches and is skipped (see build-context tests).
    ['**/dir', 'dir/file', false],
    ['**/dir2/*', 'dir/dir2/file', true],
    ['**/dir2/**', 'dir/dir2/dir3/file', true],
    ['**file', 'file', true],
    ['**file', 'dir/file', true],
    ['**/file', 'dir/dir/file', true],
    ['**/file*', 'dir/dir/file.txt', true],
    ['**/file*txt', 'dir/dir/file.txt', true],
    ['**/**/*.txt', 'dir/dir/file.txt', true],
    ['**/**/*.txt2', 'dir/dir/file.txt', false],
    ['**/*.txt', 'file.txt', true],
    ['a**/*.txt', 'a/dir/dir/file.txt', true],
    ['a/*.txt', 'a/dir/file.txt', false],
    ['a/*.txt', 'a/file.txt', true],
    ['a[b-d]e', 'ae', false],
    ['a[b-d]e', 'ace', true],
    ['a[^b-d]e', 'aze', true],
    ['.*', '.foo', true],
    ['.*', 'foo', false],
    ['abc.def', 'abcdef', false],
    ['abc.def', 'abc.def', true],
    ['abc?def', 'abcZdef', true],
    ['abc?def', 'abcdef', false],
    ['**/foo/bar', 'dir/dir2/foo/bar', true],
    ['abc/**', 'abc', false],
    ['abc/**', 'abc/def/ghi', true],
    ['**/.foo', '.foo', true],
    ['**/.foo', 'bar.foo', false],
    ['a(b)c/def', 'a(b)c/def', true],
    ['a.|)$(}+{bc', 'a.|)$(}+{bc', true],
    ['dist/*.whl', 'dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl', true],
    ['a\\*b', 'a*b', true],
    ['a^b', 'a^b', true],
  ];
  it.each(table)('%s against %s → %s', (pattern, path, want) => {
    expect(excluded([pattern], path)).toBe(want);
  });
  it('multi-pattern cases', () => {
    expect(excluded(['**', '!util/docker/web'], 'util/docker/web/foo')).toBe(false);
    expect(excluded(['**', '!util/docker/web', 'util/docker/web/foo'], 'util/docker/web/foo')).toBe(true);
  });
  it('walks into an excluded dir only for an exception that starts with it (Docker’s quirk)', () => {
    expect(new IgnoreMatcher(['docs', '!docs/README.md']).mayIncludeUnder('docs')).toBe(true);
    expect(new IgnoreMatcher(['docs', '!**/README.md']).mayIncludeUnder('docs')).toBe(false);
    expect(new IgnoreMatcher(['docs']).mayIncludeUnder('docs')).toBe(false);
  });
});

describe('goPathMatch (Go’s filepath.Match, for COPY wildcards)', () => {
  const cases: [string, string, boolean | 'bad'][] = [
    ['abc', 'abc', true],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a', true],
    ['a*', 'abc', true],
    ['a*', 'ab/c', false],
    ['a*/b', 'abc/b', true],
    ['a*/b', 'a/c/b', false],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
    ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abc', false],
    ['ab[^e-g]', 'abc', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false],
    ['a?b', 'a☺b', true],
    ['a[^a]b', 'a☺b', true],
    ['a???b', 'a☺b', false],
    ['[a-ζ]*', 'α', true],
    ['*[a-ζ]', 'A', false],
    ['a?b', 'a/b', false],
    ['a*b', 'a/b', false],
    ['[\\]a]', ']', true],
    ['[\\-]', '-', true],
    ['[x\\-]', 'x', true],
    ['[x\\-]', '-', true],
    ['[x\\-]', 'z', false],
    ['[\\-x]', 'x', true],
    ['[]a]', ']', 'bad'],
    ['[-]', '-', 'bad'],
    ['[x-]', 'x', 'bad'],
    ['[-x]', 'x', 'bad'],
    ['\\', 'a', 'bad'],
    ['[a-b-c]', 'a', 'bad'],
    ['[', 'a', 'bad'],
    ['[^', 'a', 'bad'],
    ['[^bc', 'a', 'bad'],
    ['a[', 'ab', 'bad'],
    ['*x', 'xxx', true],
  ];
  it.each(cases)('Match(%s, %s) = %s', (pattern, name, want) => {
    if (want === 'bad') expect(() => goPathMatch(pattern, name)).toThrow('syntax error in pattern');
    else expect(goPathMatch(pattern, name)).toBe(want);
  });
});

describe('goClean (Go’s path.Clean)', () => {
  it.each([
    ['', '.'],
    ['a//b/../c/', 'a/c'],
    ['/../x', '/x'],
    ['../x/..', '..'],
    ['./a/./b/', 'a/b'],
    ['/', '/'],
  ])('%s → %s', (input, want) => expect(goClean(input)).toBe(want));
});
