/**
 * A lesson as data: what runtime/learn/parse.ts makes of a lessons/NN-slug.md
 * file, and what the terminal runner, CI (--auto), the notebooks and the VS
 * Code extension read. The format is documented in lessons/README.md.
 */

/** A shell script from a fenced block (`sh run`, `sh check`...). */
export interface Block {
  code: string;
  /** 1-based line of the opening fence in the lesson file. */
  line: number;
}

export interface RunBlock extends Block {
  /** `sh run tty`: the command needs the learner's terminal (run -it, attach). */
  tty: boolean;
}

export interface LessonStep {
  /** 1-based position in the lesson. */
  index: number;
  title: string;
  /** 1-based line of its `##` heading. */
  line: number;
  /** The step's explanation as Markdown, up to its run block (all of it when there is none), without task blocks and hint. */
  prose: string;
  /** The Markdown after the run block: what to look at in the output. */
  after: string;
  run?: RunBlock;
  check?: Block;
  /** What CI runs to complete the step; when absent, the run block. */
  solve?: Block;
  setup?: Block;
  cleanup?: Block;
  /** Markdown shown when the check fails (the text after "Hint:"). */
  hint?: string;
}

export interface Lesson {
  /** The file name without .md: "01-first-container". */
  id: string;
  number: number;
  /** Path of the lesson file. */
  file: string;
  title: string;
  minutes: number;
  /** Catalog ids it teaches: a command ("run") or command.flag ("run.rm"); global flags as global.flag. */
  teaches: string[];
  /** Runtime features it needs (runtime/catalog/features.ts). */
  needs: string[];
  /** Markdown between the title and the first step. */
  intro: string;
  /** Runs quietly before the first step. */
  setup?: Block;
  /** Runs at the lesson's end, also when the learner leaves it half-way. */
  cleanup?: Block;
  steps: LessonStep[];
}

/** A lesson file that does not follow the format: where, and what is wrong. */
export class LessonFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'LessonFormatError';
  }
}

/** The script CI runs for a step: its solve, else its run block (never a tty one). */
export function solveOf(step: LessonStep): Block | undefined {
  return step.solve ?? (step.run && !step.run.tty ? step.run : undefined);
}
