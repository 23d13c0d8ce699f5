import { describe, expect, it } from 'vitest';
import { expandWord, expandWords, ShellLexError } from '../../runtime/engine/build/shell-words.js';

/**
 * Docker's variable expansion, checked against moby's own lexer table
 * (builder/dockerfile/shell/envVarTest, the Unix rows) and its word-splitting
 * table (builder/dockerfile/wordsTest): input | expected, "error" = must fail.
 */
const env = ['PWD=/home', 'SHELL=bash', 'KOREAN=한국어'];

const ENV_VAR_TEST: [string, string][] = [
  ['hello', 'hello'],
  ["he'll'o", 'hello'],
  ["he'llo", 'error'],
  ["he\\'llo", "he'llo"],
  ["he\\\\'llo", 'error'],
  ['abc\\tdef', 'abctdef'],
  ['"abc\\tdef"', 'abc\\tdef'],
  ['"abc\\\\tdef"', 'abc\\tdef'],
  ["'abc\\tdef'", 'abc\\tdef'],
  ['hello\\', 'hello'],
  ['hello\\\\', 'hello\\'],
  ['"hello', 'error'],
  ['"hello\\"', 'error'],
  ['"hel\'lo"', "hel'lo"],
  ["'hello", 'error'],
  ["'hello\\'", 'hello\\'],
  ["'hello\\there'", 'hello\\there'],
  ["'hello\\\\there'", 'hello\\\\there'],
  ['"\'\'"', "''"],
  ['$.', '$.'],
  ['$1', ''],
  ['he$1x', 'hex'],
  ['he$.x', 'he$.x'],
  ['he$pwd.', 'he.'],
  ['he$PWD', 'he/home'],
  ['he\\$PWD', 'he$PWD'],
  ['he\\\\$PWD', 'he\\/home'],
  ['"he\\$PWD"', 'he$PWD'],
  ['"he\\\\$PWD"', 'he\\/home'],
  ['\\${}', '${}'],
  ['\\${}aaa', '${}aaa'],
  ['he\\${}', 'he${}'],
  ['he\\${}xx', 'he${}xx'],
  ['${}', 'error'],
  ['${}aaa', 'error'],
  ['he${}', 'error'],
  ['he${}xx', 'error'],
  ['he${hi}', 'he'],
  ['he${hi}xx', 'hexx'],
  ['he${PWD}', 'he/home'],
  ['he${.}', 'error'],
  ['he${XXX:-000}xx', 'he000xx'],
  ['he${PWD:-000}xx', 'he/homexx'],
  ['he${XXX:-$PWD}xx', 'he/homexx'],
  ['he${XXX:-${PWD:-yyy}}xx', 'he/homexx'],
  ['he${XXX:-${YYY:-yyy}}xx', 'heyyyxx'],
  ['he${XXX:YYY}', 'error'],
  ['he${XXX:+${PWD}}xx', 'hexx'],
  ['he${PWD:+${XXX}}xx', 'hexx'],
  ['he${PWD:+${SHELL}}xx', 'hebashxx'],
  ['he${XXX:+000}xx', 'hexx'],
  ['he${PWD:+000}xx', 'he000xx'],
  ["'he${XX}'", 'he${XX}'],
  ['"he${PWD}"', 'he/home'],
  ['"he\'$PWD\'"', "he'/home'"],
  ['"$PWD"', '/home'],
  ["'$PWD'", '$PWD'],
  ["'\\$PWD'", '\\$PWD'],
  ['\'"hello"\'', '"hello"'],
  ["'he\\$PWD'", 'he\\$PWD'],
  ['he${PWD', 'error'],
  ['he${PWD:=000}xx', 'error'],
  ['he${PWD:+${PWD}:}xx', 'he/home:xx'],
  ['he${XXX:-\\$PWD:}xx', 'he$PWD:xx'],
  ['he${XXX:-\\${PWD}z}xx', 'he${PWDz}xx'],
  ['안녕하세요', '안녕하세요'],
  ["안'녕'하세요", '안녕하세요'],
  ["안'녕하세요", 'error'],
  ["안녕\\'하세요", "안녕'하세요"],
  ['안녕\\t하세요', '안녕t하세요'],
  ['"안녕\\t하세요"', '안녕\\t하세요'],
  ['안녕$1x', '안녕x'],
  ['안녕${XXX:-${YYY:-yyy}}xx', '안녕yyyxx'],
  ['$KOREAN', '한국어'],
  ['안녕$KOREAN', '안녕한국어'],
  ['${{aaa}', 'error'],
  ['${aaa}}', '}'],
  ['${aaa', 'error'],
  ['${{aaa:-bbb}', 'error'],
  ['${aaa:-bbb}}', 'bbb}'],
  ['${aaa:-bbb', 'error'],
  ['${aaa:-bbb}', 'bbb'],
  ['${aaa:-${bbb:-ccc}}', 'ccc'],
  ['${aaa:-bbb ${foo}', 'error'],
  ['${aaa:-bbb {foo}', 'bbb {foo'],
  ['${:}', 'error'],
  ['${:-bbb}', 'error'],
  ['${:+bbb}', 'error'],
];

describe('expandWord: moby envVarTest', () => {
  it.each(ENV_VAR_TEST)('%s → %s', (input, expected) => {
    if (expected === 'error') expect(() => expandWord(input, env)).toThrow(ShellLexError);
    else expect(expandWord(input, env)).toBe(expected);
  });
});

describe('expandWords: moby wordsTest', () => {
  const words = (input: string, e: string[]) => expandWords(input, e);
  it('splits a variable on its spaces but keeps a quoted one whole', () => {
    expect(words('hello', [])).toEqual(['hello']);
    expect(words('hello${hi}bye', [])).toEqual(['hellobye']);
    expect(words('hello${hi}bye', ['hi=hi'])).toEqual(['hellohibye']);
    const space = ['space=abc  def'];
    expect(words('hello${space}bye', space)).toEqual(['helloabc', 'defbye']);
    expect(words('hello"${space}"bye', space)).toEqual(['helloabc  defbye']);
    expect(words('hello "${space}"bye', space)).toEqual(['hello', 'abc  defbye']);
    const leading = ['leading=  ab c'];
    expect(words('hello${leading}def', leading)).toEqual(['hello', 'ab', 'cdef']);
    expect(words('hello"${leading}" def', leading)).toEqual(['hello  ab c', 'def']);
    expect(words('hello"${leading}"', leading)).toEqual(['hello  ab c']);
    expect(words('hello${leading}', leading)).toEqual(['hello', 'ab', 'c']);
    const trailing = ['trailing=ab c   '];
    expect(words('hello${trailing}', trailing)).toEqual(['helloab', 'c']);
    expect(words('hello${trailing}d', trailing)).toEqual(['helloab', 'c', 'd']);
    expect(words('hello"${trailing}"d', trailing)).toEqual(['helloab c   d']);
    expect(words('hel"lo${trailing}"', trailing)).toEqual(['helloab c   ']);
    expect(words('hello" there  "', [])).toEqual(['hello there  ']);
    expect(words('hello there     ', [])).toEqual(['hello', 'there']);
    expect(words('hello\\ there', [])).toEqual(['hello there']);
    expect(words('hello\\" there', [])).toEqual(['hello"', 'there']);
  });
});

describe('expandWord: Docker specifics', () => {
  it('takes the first definition in a K=V list (ENV before build args) and accepts a map', () => {
    expect(expandWord('$A', ['A=env', 'A=arg'])).toBe('env');
    expect(expandWord('${A}-${B:-none}', { A: '1' })).toBe('1-none');
  });
  it('names the word in its error, as Docker does', () => {
    expect(() => expandWord('${A:-x', [])).toThrow('failed to process "${A:-x": syntax error: missing \'}\'');
    expect(() => expandWord('${A', [])).toThrow("missing ':' in substitution");
    expect(() => expandWord('${A-x}', [])).toThrow("missing ':' in substitution");
    expect(() => expandWord('${A:?x}', [])).toThrow('unsupported modifier (?) in substitution');
  });
  it('uses ` as the escape character under "# escape=`"', () => {
    expect(expandWord('C:\\dir`$X', ['X=1'], '`')).toBe('C:\\dir$X');
    expect(expandWord('"a`"b"', [], '`')).toBe('a"b');
  });
});
