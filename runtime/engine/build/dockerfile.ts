/** (B-parse: API stub, filled in next.) */
import { GlassError } from '../errors.js';

export type Keyword =
  | 'FROM' | 'RUN' | 'CMD' | 'LABEL' | 'MAINTAINER' | 'EXPOSE' | 'ENV' | 'ADD' | 'COPY' | 'ENTRYPOINT'
  | 'VOLUME' | 'USER' | 'WORKDIR' | 'ARG' | 'ONBUILD' | 'STOPSIGNAL' | 'HEALTHCHECK' | 'SHELL';

interface Base {
  /** 1-based line where the instruction starts (continuations: the first line). */
  line: number;
  endLine: number;
  /** Docker's node.Original, trimmed: the logical line with continuations joined, keyword as written ("Step 2/7 : " prints it). */
  original: string;
  /** The --name=value flags before the arguments, as written (unexpanded). */
  flags: Record<string, string>;
}
/** RUN / CMD / ENTRYPOINT arguments: exec form (JSON array) or shell form (the text, unexpanded: the shell expands it). */
export type CommandForm = { json: true; argv: string[] } | { json: false; text: string };
/** Raw words keep their quotes; expand each with shell-words.expandWord at build time (Docker's ProcessWord). */
export interface KeyValue { key: string; value: string }
export interface ArgDecl { name: string; /** raw default (unexpanded), undefined for `ARG name` */ value?: string }
export interface HealthcheckSpec {
  /** ["NONE"] | ["CMD", ...argv] | ["CMD-SHELL", text] as Docker's config stores it. */
  test: string[];
  /** Durations in nanoseconds (Docker's JSON), undefined = not given (inherit / default). */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  retries?: number;
}

export type Instruction = Base &
  (
    | { keyword: 'FROM'; /** raw image word (meta ARGs expand it) */ image: string; /** lower-cased `AS name` */ stageName?: string; platform?: string }
    | { keyword: 'RUN' | 'CMD' | 'ENTRYPOINT'; command: CommandForm }
    | { keyword: 'SHELL'; argv: string[] }
    | { keyword: 'ENV' | 'LABEL'; pairs: KeyValue[] }
    | { keyword: 'ARG'; args: ArgDecl[] }
    | { keyword: 'MAINTAINER' | 'USER' | 'WORKDIR' | 'STOPSIGNAL'; /** raw (unexpanded except MAINTAINER) */ value: string }
    | { keyword: 'EXPOSE'; /** raw words */ ports: string[] }
    | { keyword: 'VOLUME'; /** raw words (JSON form: the strings) */ paths: string[]; json: boolean }
    | { keyword: 'COPY' | 'ADD'; /** raw words, last is dest */ sources: string[]; dest: string; json: boolean; from?: string; chown?: string; chmod?: string }
    | { keyword: 'HEALTHCHECK'; healthcheck: HealthcheckSpec }
    | { keyword: 'ONBUILD'; /** the trigger as written ("RUN echo hi"), stored in the image's OnBuild */ triggerText: string; trigger: Instruction }
  );

export type FromInstruction = Extract<Instruction, { keyword: 'FROM' }>;

export interface Stage {
  index: number;
  /** lower-cased `AS` name */
  name?: string;
  from: FromInstruction;
  /** the stage's instructions after its FROM */
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  directives: { escape: '\\' | '`'; syntax?: string };
  /** ARGs before the first FROM (they may be used in FROM lines only) */
  metaArgs: Extract<Instruction, { keyword: 'ARG' }>[];
  stages: Stage[];
  /** Docker's parser warnings ("[WARNING]: Empty continuation line found in: ...") */
  warnings: string[];
}

/** A parse error: message in Docker 20.10's words, e.g. "dockerfile parse error line 3: unknown instruction: RUNN". */
export class DockerfileParseError extends GlassError {
  constructor(readonly line: number, detail: string) {
    super('INVALID_ARGUMENT', `dockerfile parse error line ${line}: ${detail}`, 1);
    this.name = 'DockerfileParseError';
  }
}

/** Parse a Dockerfile's text. Throws DockerfileParseError. */
export function parseDockerfile(text: string): ParsedDockerfile {
  void text;
  throw new Error('B-parse: not implemented yet');
}

/** Parse one instruction line alone (ONBUILD triggers when they run in a child build). */
export function parseInstructionLine(text: string, line = 1, escape: '\\' | '`' = '\\'): Instruction {
  void text; void line; void escape;
  throw new Error('B-parse: not implemented yet');
}

/** Stage by name (case-insensitive) or index ("0"); undefined when none. */
export function findStage(df: ParsedDockerfile, nameOrIndex: string): Stage | undefined {
  void df; void nameOrIndex;
  throw new Error('B-parse: not implemented yet');
}
