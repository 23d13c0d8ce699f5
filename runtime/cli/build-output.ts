import chalk from 'chalk';
import type { BuildProgress, BuildResult, CacheVerdict } from '../engine/index.js';
import { humanSize, jsonMessageRenderer } from './jsonmessage.js';

/*
 * What `glass build` prints, from the engine's BuildProgress events.
 *
 * - classic: Docker 20.10's classic builder, byte for byte where it can be
 *   (Step N/M, ---> Running in, the step's own output, ---> ID, Using cache,
 *   Successfully built/tagged), so a learner can put the two side by side.
 * - tty: a compact display for a terminal: one line per step, redrawn in
 *   place while it runs, with the last lines of a RUN's output below it.
 * - quiet (-q): nothing while it runs; the classic text is kept, and given
 *   to stderr if the build fails (as Docker's CLI does), else only the ID.
 *
 * `--explain` adds each step's cache verdict, one dim line, to the classic
 * display (on stderr, with the kernel steps --explain prints).
 */

export interface BuildDisplay {
  progress(p: BuildProgress): void;
  /** The build succeeded: "Successfully built/tagged" (or -q's ID). */
  succeeded(result: BuildResult): void;
  /** The build failed or was interrupted: settle the display (the caller prints the error after). */
  failed(): void;
}

/** Docker's short ID: the first 12 hex digits, without "sha256:" ('' stays '' — FROM scratch). */
export function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * "Sending build context to Docker daemon  2.048kB": Docker's CLI prints
 * its upload progress this way (progress.NewProgressReader, the size as
 * units.HumanSize in 8 columns), ending "\r" and, as the last update, "\r\n".
 */
export function contextLine(bytes: number): string {
  return `Sending build context to Docker daemon ${humanSize(bytes).padStart(8)}\r\r\n`;
}

/** The two lines --explain adds for a cache verdict. */
export function verdictLines(v: CacheVerdict): string {
  const head = `${chalk.bold('▸')} ${chalk.cyan('[cache]')} ${v.hit ? chalk.green('hit') : chalk.yellow('miss')}: ${v.reason}`;
  const key = v.key ? `\n    ${chalk.dim('key:')} ${chalk.dim(`parent ${short(v.key.parent) || '(scratch)'}, ${v.key.cmd.join(' ')}`)}` : '';
  return `${head}${key}\n`;
}

/** Decodes a stream of byte chunks to text without cutting a UTF-8 character in two. */
function decoders(): (stream: 'stdout' | 'stderr', data: Uint8Array) => string {
  const d = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  return (stream, data) => d[stream].decode(data, { stream: true });
}

/** The classic display. `explain` receives the verdict lines (stderr), when --explain is on. */
export function classicDisplay(write: (s: string) => void, explain?: (s: string) => void): BuildDisplay {
  const decode = decoders();
  // Pull messages inside FROM, as Docker's CLI shows a pull in a build's stream (plain lines off a terminal).
  const pull = jsonMessageRenderer(write, false);
  return {
    progress(p) {
      switch (p.type) {
        case 'context':
          return write(contextLine(p.bytes));
        case 'step':
          return write(`Step ${p.step}/${p.total} : ${p.instruction}\n`);
        case 'cache':
          write(' ---> Using cache\n');
          explain?.(verdictLines(p.verdict));
          return;
        case 'miss':
          explain?.(verdictLines(p.verdict));
          return;
        case 'running':
          return write(` ---> Running in ${short(p.containerId)}\n`);
        case 'output':
          return write(decode(p.stream, p.data));
        case 'removing':
          return write(`Removing intermediate container ${short(p.containerId)}\n`);
        case 'image':
          return write(` ---> ${short(p.id)}\n`);
        case 'pull':
          return pull({ id: p.id, status: p.status });
        case 'warning':
          return write(`${p.message}\n`);
      }
    },
    succeeded(result) {
      write(`Successfully built ${short(result.id)}\n`);
      for (const t of result.tags) write(`Successfully tagged ${t}\n`);
    },
    failed() {},
  };
}

/**
 * -q: the classic text goes to a buffer; on success only the image ID is
 * printed, on failure the buffer goes to stderr, before the error (Docker's
 * CLI: `fmt.Fprintf(dockerCli.Err(), "%s%s", progBuff, buildBuff)`).
 */
export function quietDisplay(out: (s: string) => void, err: (s: string) => void): BuildDisplay {
  let kept = '';
  const inner = classicDisplay((s) => (kept += s));
  return {
    progress: (p) => inner.progress(p),
    succeeded: (result) => out(`${result.id}\n`),
    failed: () => {
      if (kept) err(kept);
    },
  };
}

const ESC = '\x1b[';
/** Lines of a running step's output shown under it. */
const TAIL_LINES = 6;
/** What is kept of a step's output, to show in full if it fails. */
const KEEP_BYTES = 64 * 1024;

interface TtyStep {
  label: string;
  started: number;
  /** Set when the step has made its image (or come from the cache). */
  done?: { id: string; cached: boolean; ms: number };
  /** The step's output so far (the last KEEP_BYTES of it). */
  output: string;
  /** What is going on inside the step: "Running in 1a2b3c", a pull's last status. */
  status?: string;
}

/**
 * The compact terminal display: finished steps stay as one line each
 * ("[2/7] RUN make  ✓ 9f8e7d6c5b4a 1.2s", "(cached)"); the running step is
 * redrawn in place with its elapsed time and the last lines of its output.
 * The live part is erased and written again on every change (cursor up,
 * clear to the end of the screen), so nothing else may write to the
 * terminal meanwhile: --explain uses the classic display instead.
 */
export function ttyDisplay(write: (s: string) => void, columns: number): BuildDisplay {
  let current: TtyStep | undefined;
  /** Lines the live part takes on the screen now. */
  let liveLines = 0;
  const width = Math.max(20, columns - 1);
  // A step's line keeps room for what follows the instruction (its image ID and time, or a status).
  const labelWidth = Math.max(20, width - 30);
  const fit = (s: string) => (s.length > labelWidth ? `${s.slice(0, labelWidth - 1)}…` : s);
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

  const lineOf = (s: TtyStep): string => {
    if (s.done) {
      const what = s.done.cached ? chalk.green('(cached)') : chalk.dim(secs(s.done.ms));
      return `${chalk.green('✓')} ${fit(s.label)}  ${chalk.dim(short(s.done.id))} ${what}`;
    }
    const status = s.status ? `  ${chalk.dim(s.status.slice(0, 26))}` : '';
    return `${chalk.cyan('•')} ${fit(s.label)}  ${chalk.dim(secs(Date.now() - s.started))}${status}`;
  };
  const tailOf = (s: TtyStep): string[] => {
    const lines = s.output.split(/\r?\n/);
    if (lines[lines.length - 1] === '') lines.pop();
    // Control characters and escape sequences in a program's output would move the cursor under the display.
    const plain = (l: string) => l.replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f]/g, '').replace(/\t/g, ' ');
    return lines.slice(-TAIL_LINES).map((l) => chalk.dim(`  │ ${plain(l).slice(0, width - 4)}`));
  };
  const erase = () => {
    if (liveLines > 0) write(`\r${ESC}${liveLines}A${ESC}J`);
    else write(`\r${ESC}J`);
    liveLines = 0;
  };
  const draw = () => {
    erase();
    if (!current) return;
    const lines = [lineOf(current), ...tailOf(current)];
    write(lines.join('\n') + '\n');
    liveLines = lines.length;
  };
  /** Write lines that stay above the live part. */
  const permanent = (text: string) => {
    erase();
    write(text.endsWith('\n') ? text : `${text}\n`);
    draw();
  };
  const finish = (id: string, cached: boolean) => {
    if (!current) return;
    current.done = { id, cached, ms: Date.now() - current.started };
    erase();
    write(`${lineOf(current)}\n`);
    current = undefined;
  };
  const decode = decoders();
  const timer = setInterval(() => current && draw(), 200);
  timer.unref();
  // A chatty RUN (a compiler, a package manager) writes thousands of chunks: redraw at most every 50 ms for them.
  let pending: NodeJS.Timeout | undefined;
  const drawSoon = () => {
    pending ??= setTimeout(() => {
      pending = undefined;
      draw();
    }, 50);
  };
  let cached = false;

  return {
    progress(p) {
      switch (p.type) {
        case 'context':
          return permanent(contextLine(p.bytes).replace(/\r+\n$/, '\n'));
        case 'step':
          // A step with no image of its own (an ARG before FROM) ends when the next begins.
          if (current) finish('', false);
          cached = false;
          // A named stage is shown as BuildKit shows it: [builder 2/7].
          current = { label: `[${p.stage ? `${p.stage} ` : ''}${p.step}/${p.total}] ${p.instruction}`, started: Date.now(), output: '' };
          return draw();
        case 'cache':
          cached = true;
          return;
        case 'miss':
          return;
        case 'running':
          if (current) current.status = `running in ${short(p.containerId)}`;
          return draw();
        case 'output':
          if (current) current.output = (current.output + decode(p.stream, p.data)).slice(-KEEP_BYTES);
          return drawSoon();
        case 'removing':
          return;
        case 'image':
          return finish(p.id, cached);
        case 'pull':
          if (current) current.status = `${p.id ? `${p.id}: ` : ''}${p.status}`;
          return draw();
        case 'warning':
          return permanent(chalk.yellow(p.message));
      }
    },
    succeeded(result) {
      clearInterval(timer);
      clearTimeout(pending);
      if (current) finish('', false);
      erase();
      write(`Successfully built ${short(result.id)}\n`);
      for (const t of result.tags) write(`Successfully tagged ${t}\n`);
    },
    failed() {
      clearInterval(timer);
      clearTimeout(pending);
      erase();
      if (!current) return;
      // The step that failed, and all that was kept of its output: the reason is usually in its last lines.
      write(`${chalk.red('✗')} ${fit(current.label)}  ${chalk.dim(secs(Date.now() - current.started))}\n`);
      if (current.output) write(current.output.endsWith('\n') ? current.output : `${current.output}\n`);
      current = undefined;
    },
  };
}
