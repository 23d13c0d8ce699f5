import { describe, expect, it } from 'vitest';
import { checkFields, parseTemplate, render } from '../../runtime/cli/template.js';

const obj = { Id: 'abc', State: { Pid: 42, Running: true }, Args: ['-f', '-p', '80'], Config: { Env: ['A=1'], Labels: { b: '2', a: '1' } } };
const fmt = (f: string) => render(parseTemplate(f), obj);

describe('--format templates (Go text/template subset)', () => {
  it('prints fields, nested fields, JSON and joins', () => {
    expect(fmt('{{.State.Pid}}')).toBe('42');
    expect(fmt('pid={{ .State.Pid }} running={{.State.Running}}')).toBe('pid=42 running=true');
    expect(fmt('{{json .Config.Env}}')).toBe('["A=1"]');
    expect(fmt('{{join .Args " "}}')).toBe('-f -p 80');
    expect(fmt('{{.Id}}\\t{{.State.Pid}}')).toBe('abc\t42');
  });

  it("prints lists, maps and missing keys the way Go's %v does", () => {
    expect(fmt('{{.Args}}')).toBe('[-f -p 80]');
    expect(fmt('{{.Config.Labels}}')).toBe('map[a:1 b:2]');
    expect(fmt('{{.Nope}}')).toBe('<no value>');
    expect(fmt('{{json .Nope}}')).toBe('null');
  });

  it('refuses what it does not understand, with a hint', () => {
    expect(() => parseTemplate('{{range .Args}}{{.}}{{end}}')).toThrow(/not supported: glass --format understands/);
    expect(() => parseTemplate('{{.State.Pid')).toThrow(/unclosed action/);
    expect(() => parseTemplate('{{upper .Id}}')).toThrow(/not supported/);
  });

  it('ps and images know a fixed set of fields: an unknown one is an error, not <no value>', () => {
    expect(() => checkFields(parseTemplate('{{.Names}}\t{{json .ID}}'), ['ID', 'Names'], 'ps')).not.toThrow();
    expect(() => checkFields(parseTemplate('{{.Nmes}}'), ['ID', 'Names'], 'ps')).toThrow(/can't evaluate field Nmes: ps --format knows \.ID \.Names/);
    expect(() => checkFields(parseTemplate('{{.Names.X}}'), ['ID', 'Names'], 'ps')).toThrow(/can't evaluate field Names\.X/);
  });
});
