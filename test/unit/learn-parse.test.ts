import { describe, expect, it } from 'vitest';
import { FEATURES } from '../../runtime/catalog/features.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLesson } from '../../runtime/learn/parse.js';
import { loadLessons, isComing, findLesson, missingFeatures } from '../../runtime/learn/lessons.js';
import { LessonFormatError, solveOf } from '../../runtime/learn/model.js';

const LESSONS = join(import.meta.dirname, '../../lessons');

/** The complete small lesson of lessons/README.md: the documented example must parse. */
function readmeExample(): string {
  const readme = readFileSync(join(LESSONS, 'README.md'), 'utf8');
  const m = /````markdown\n([\s\S]*?)\n````/.exec(readme);
  if (!m) throw new Error('lessons/README.md has no ````markdown example');
  return m[1] + '\n';
}

const FRONT = '---\ntitle: T\nminutes: 5\nteaches: [run]\nneeds: [containers]\n---\n';
const STEP = '## Do it\n\n```sh run\nglass run --rm busybox true\n```\n\n```sh check\nexit_code_is 0\n```\n\n> **Hint:** run it.\n';

/** The error a malformed lesson gives: file:line: problem. */
function problem(source: string, file = '/l/01-x.md'): string {
  try {
    parseLesson(source, file);
  } catch (e) {
    expect(e).toBeInstanceOf(LessonFormatError);
    return (e as Error).message;
  }
  throw new Error('parsed without error');
}

describe('lesson parser', () => {
  it("parses the README's complete example into steps with run, check, hint, cleanup", () => {
    const l = parseLesson(readmeExample(), '/x/01-hello-glass.md');
    expect(l).toMatchObject({ id: '01-hello-glass', number: 1, title: 'Hello, glass', minutes: 2, teaches: ['run'], needs: ['containers'] });
    expect(l.intro).toBe('A container is a process the kernel has put in its own namespaces.');
    expect(l.steps.map((s) => s.title)).toEqual(['Say hello', 'Keep one running']);
    const [one, two] = l.steps;
    expect(one.run).toEqual({ code: 'glass run --rm busybox echo hello from a container', line: 16, tty: false });
    expect(one.check?.code).toBe("output_has 'hello from a container'");
    expect(one.hint).toMatch(/^run `glass run --rm busybox echo hello from a container`/);
    expect(one.prose).toBe('Run `echo` inside a busybox container:');
    expect(one.after).toBe('The first line of output comes from inside the container.');
    expect(solveOf(one)).toBe(one.run);
    expect(two.cleanup?.code).toContain('glass rm -f hello');
    // Task blocks and the hint are not prose.
    expect(two.prose).not.toContain('```');
    expect(two.prose).not.toContain('Hint');
  });

  it('reads tty run blocks, solve, setup and lesson-level setup/cleanup', () => {
    const l = parseLesson(
      FRONT +
        '\n# T\n\nIntro.\n\n```sh setup\necho s\n```\n\n```sh cleanup\necho c\n```\n\n## Shell\n\n```sh run tty\nglass run -it busybox sh\n```\n\n```sh solve\nglass run -d -it busybox sh\n```\n\n```sh setup\ntrue\n```\n\n```sh check\ntrue\n```\n\n> Hint: start it.\n',
      '/l/02-y.md',
    );
    expect(l.setup?.code).toBe('echo s');
    expect(l.cleanup?.code).toBe('echo c');
    expect(l.steps[0].run?.tty).toBe(true);
    expect(solveOf(l.steps[0])?.code).toBe('glass run -d -it busybox sh');
    expect(l.steps[0].hint).toBe('start it.');
  });

  it('ordinary code samples stay in the prose; <details> around hidden blocks is fine', () => {
    const l = parseLesson(FRONT + '\n# T\n\n## S\n\nLook:\n\n```sh\nls /proc\n```\n\n<details><summary>CI</summary>\n\n```sh solve\ntrue\n```\n\n</details>\n\n```sh check\ntrue\n```\n\n> **Hint** do it\n', '/l/01-x.md');
    expect(l.steps[0].prose).toContain('ls /proc');
    expect(l.steps[0].solve?.code).toBe('true');
    expect(l.steps[0].hint).toBe('do it');
  });

  it('a malformed lesson is refused with its file, line and what is wrong', () => {
    expect(problem('# T\n', '/l/01-x.md')).toMatch(/^\/l\/01-x\.md:1: a lesson starts with front matter/);
    expect(problem('---\ntitle: T\n', '/l/01-x.md')).toMatch(/:1: the front matter has no closing '---'/);
    expect(problem('---\ntitle: [unclosed\n---\n# T\n')).toMatch(/^\/l\/01-x\.md:\d+: front matter is not valid YAML/);
    expect(problem(FRONT.replace('minutes: 5', 'minutes: 5\ncolour: red') + '# T\n' + STEP)).toMatch(/:4: unknown front matter key 'colour'/);
    expect(problem(FRONT.replace('minutes: 5', 'minutes: lots') + '# T\n' + STEP)).toMatch(/:3: minutes must be a whole number from 1 to 60/);
    expect(problem(FRONT.replace('teaches: [run]', 'teaches: [run.bogus]') + '# T\n' + STEP)).toMatch(/:4: 'run.bogus' in teaches: 'glass run' has no flag --bogus/);
    expect(problem(FRONT.replace('teaches: [run]', 'teaches: [fly]') + '# T\n' + STEP)).toMatch(/glass has no command 'fly'/);
    expect(problem(FRONT.replace('needs: [containers]', 'needs: [teleport]') + '# T\n' + STEP)).toMatch(/:5: unknown feature 'teleport'/);
    expect(problem(FRONT.replace('title: T\n', '') + '# T\n' + STEP)).toMatch(/front matter lacks 'title'/);
    expect(problem(FRONT + STEP)).toMatch(/:7: the lesson starts with its # title/);
    expect(problem(FRONT + '# T\n\nNo steps.\n')).toMatch(/:7: the lesson has no steps/);
    expect(problem(FRONT + '# T\n# Again\n' + STEP)).toMatch(/:8: a lesson has one level-1 heading/);
    expect(problem(FRONT + '# T\n' + STEP.replace('sh check', 'sh chek'))).toMatch(/:14: unknown block role 'chek'/);
    expect(problem(FRONT + '# T\n' + STEP.replace('> **Hint:** run it.\n', ''))).toMatch(/:8: step 1 \('Do it'\) has a check but no hint/);
    expect(problem(FRONT + '# T\n' + STEP.replace(/```sh check\nexit_code_is 0\n```\n/, ''))).toMatch(/:10: step 1 \('Do it'\) suggests a command but has no ```sh check block/);
    expect(problem(FRONT + '# T\n' + STEP.replace('sh run', 'sh run tty'))).toMatch(/:10: step 1 \('Do it'\): a tty command needs a ```sh solve block/);
    expect(problem(FRONT + '# T\n' + STEP + '\n```sh check\ntrue\n```\n')).toMatch(/already has a check block/);
    expect(problem(FRONT + '# T\n' + STEP.replace('glass run --rm busybox true', ''))).toMatch(/:10: the run block is empty/);
    expect(problem(FRONT + '# T\n' + STEP.replace('sh check', 'sh check tty'))).toMatch(/'tty' marks a run block/);
    expect(problem(FRONT + '# T\n```sh run\ntrue\n```\n' + STEP)).toMatch(/:8: a 'run' block belongs to a step/);
    expect(problem(FRONT + '# T\n' + STEP, '/l/lesson.md')).toMatch(/^\/l\/lesson\.md:1: a lesson file is named NN-slug\.md/);
    expect(problem(FRONT + '# T\0\n' + STEP)).toMatch(/NUL byte/);
    expect(problem(FRONT + '# T\n' + 'x'.repeat(300_000))).toMatch(/at most 262144/);
  });

  it('a coming lesson may be only its front matter and a line', () => {
    // Every feature has landed by now: as things were before builds landed.
    const before = { ...FEATURES, build: { ...FEATURES.build!, landed: false } };
    const text = '---\ntitle: Build\nminutes: 10\nteaches: []\nneeds: [build]\n---\n\n# Build\n\n*Coming.*\n';
    const l = parseLesson(text, '/l/12-build.md', before);
    expect(l.steps).toEqual([]);
    expect(missingFeatures(l, before)).toEqual(['build']);
    expect(() => parseLesson(text, '/l/12-build.md')).toThrow(/the lesson has no steps/);
  });

  it('every shipped lesson parses; lessons are found by number or id', () => {
    const lessons = loadLessons(LESSONS);
    expect(lessons.length).toBeGreaterThanOrEqual(6);
    for (const l of lessons) expect(l.id).toMatch(/^\d\d-[a-z0-9-]+$/);
    const first = lessons[0];
    expect(findLesson(lessons, String(first.number))).toBe(first);
    expect(findLesson(lessons, first.id)).toBe(first);
    expect(findLesson(lessons, '99')).toBeUndefined();
    // Only the named lesson is read when one is named.
    expect(loadLessons(LESSONS, String(first.number)).map((l) => l.id)).toEqual([first.id]);
  });
});
