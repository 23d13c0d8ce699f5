// Unit tests for the command catalog, parser, help and Docker-exact formatters.
// Expected strings come from /work/shared/reference/docker-20.10-transcript.md.
import { describe, expect, it } from 'vitest';
import { COMMANDS, GLOBAL_FLAGS, findCommand, type FlagSpec } from '../../runtime/catalog/commands.js';
import { UsageError, formatUsageError, parseArgs, parseGoDuration } from '../../runtime/cli/parse.js';
import { formatFlags, formatHelp } from '../../runtime/cli/help.js';
import { lessonFor } from '../../runtime/catalog/lessons.js';
import {
  createdAgo,
  formatG,
  humanDuration,
  humanSize,
  logTimestamp,
  psCommand,
  psStatus,
  shortId,
  table,
} from '../../runtime/cli/format.js';
import { summaryCommand } from '../../runtime/engine/containers/status.js';

/** The UsageError thrown for argv (fails the test if none is thrown). */
function usageError(argv: string[]): UsageError {
  try {
    parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error(`expected a UsageError for: ${argv.join(' ')}`);
}

/** Lines of a transcript block, joined back with a final newline. */
const lines = (...l: string[]) => l.join('\n') + '\n';

describe('catalog', () => {
  it('describes every command completely', () => {
    expect(COMMANDS.length).toBeGreaterThanOrEqual(19);
    for (const c of COMMANDS) {
      expect(c.summary, c.name).toMatch(/\S/);
      expect(c.summary, c.name).not.toContain('\n');
      const sentences = c.explain.split(/(?<=[.!?])\s+(?=[A-Z`])/).length;
      expect(sentences, `${c.name} explain sentences`).toBeGreaterThanOrEqual(1);
      expect(sentences, `${c.name} explain sentences`).toBeLessThanOrEqual(4);
      expect(c.explain.length, c.name).toBeGreaterThan(60);
      expect(c.usage.startsWith(`glass ${c.name}`), c.usage).toBe(true);
      expect(c.usage.includes('[OPTIONS]'), c.usage).toBe(c.flags.length > 0);
      expect(Array.isArray(c.kernel)).toBe(true);
      // Only the last positional may be variadic; required ones come first.
      c.args.forEach((a, i) => {
        if (a.variadic) expect(i, `${c.name} ${a.name}`).toBe(c.args.length - 1);
        if (a.required && i > 0) expect(c.args[i - 1]!.required, `${c.name} ${a.name}`).toBe(true);
      });
    }
  });

  it('describes every flag with a summary and a default of its type', () => {
    const check = (f: FlagSpec, where: string) => {
      expect(f.summary, `${where} --${f.name}`).toMatch(/\S/);
      expect(f.name).toMatch(/^[a-z][a-z-]*$/);
      if (f.short !== undefined) expect(f.short).toMatch(/^[a-zA-Z]$/);
      if (f.default !== undefined) {
        const want = { bool: 'boolean', int: 'number', string: 'string', list: 'string', duration: 'string' }[f.type];
        expect(typeof f.default, `${where} --${f.name}`).toBe(want);
      }
    };
    for (const f of GLOBAL_FLAGS) check(f, 'global');
    for (const c of COMMANDS) {
      for (const f of c.flags) check(f, c.name);
      const longs = c.flags.map((f) => f.name);
      const shorts = c.flags.flatMap((f) => (f.short ? [f.short] : []));
      expect(new Set(longs).size, c.name).toBe(longs.length);
      expect(new Set(shorts).size, c.name).toBe(shorts.length);
      for (const g of GLOBAL_FLAGS) expect(longs, c.name).not.toContain(g.name);
    }
  });

  it('has the global flags and only run/create stop flags at the image (exec, top: at the container)', () => {
    expect(GLOBAL_FLAGS.map((f) => f.name).sort()).toEqual(['explain', 'help', 'no-color', 'root']);
    // Like docker's: what follows the image (run, create) or the container (exec, top) is the command's own.
    const stopping = COMMANDS.filter((c) => !c.interspersed).map((c) => c.name);
    expect(stopping.filter((n) => !['exec', 'top'].includes(n)).sort()).toEqual(['create', 'run']);
    expect(stopping).toContain('exec');
    expect(findCommand('run')!.flags.map((f) => f.name)).toContain('detach');
    expect(findCommand('create')!.flags.map((f) => f.name)).not.toContain('detach');
  });

  it('finds commands by name and alias', () => {
    expect(findCommand('ps')?.name).toBe('ps');
    expect(findCommand('nope')).toBeUndefined();
    for (const c of COMMANDS) for (const a of c.aliases ?? []) expect(findCommand(a)).toBe(c);
  });
});

describe('parseArgs', () => {
  it('returns no command for an empty command line or top-level --help', () => {
    expect(parseArgs([])).toMatchObject({ command: undefined, args: [], global: { help: false, explain: false, color: true } });
    expect(parseArgs(['--help']).global.help).toBe(true);
    expect(parseArgs(['-h']).global.help).toBe(true);
  });

  it('stops at the image for run: the rest is the container command', () => {
    const p = parseArgs(['run', 'busybox', 'ls', '-l']);
    expect(p.command?.name).toBe('run');
    expect(p.args).toEqual(['busybox', 'ls', '-l']);
    expect(p.flags.detach).toBe(false);
    const q = parseArgs(['run', '--rm', 'busybox', 'sh', '-c', 'exit 42', '--rm', '--name', 'x']);
    expect(q.args).toEqual(['busybox', 'sh', '-c', 'exit 42', '--rm', '--name', 'x']);
    expect(q.flags.name).toBe('');
  });

  it('parses the transcript run line', () => {
    const p = parseArgs('run --rm -e FOO=bar -w /tmp -u 65534:65534 --hostname myhost busybox sh -c'.split(' ').concat('echo $FOO'));
    expect(p.flags).toMatchObject({ rm: true, env: ['FOO=bar'], workdir: '/tmp', user: '65534:65534', hostname: 'myhost' });
    expect(p.args).toEqual(['busybox', 'sh', '-c', 'echo $FOO']);
    expect(parseArgs(['run', '--rm', '--entrypoint', '/bin/echo', 'busybox', 'from-entrypoint']).flags.entrypoint).toBe('/bin/echo');
  });

  it('reads combined short bools and a trailing value flag in a cluster', () => {
    expect(parseArgs(['run', '-it', 'busybox', 'sh']).flags).toMatchObject({ interactive: true, tty: true, detach: false });
    expect(parseArgs(['run', '-dit', 'busybox']).flags).toMatchObject({ interactive: true, tty: true, detach: true });
    const p = parseArgs(['run', '-de', 'FOO=1', 'busybox']);
    expect(p.flags).toMatchObject({ detach: true, env: ['FOO=1'] });
    expect(p.args).toEqual(['busybox']);
    expect(parseArgs(['run', '-itw', '/tmp', 'busybox']).flags).toMatchObject({ interactive: true, tty: true, workdir: '/tmp' });
    expect(parseArgs(['run', '-itw/tmp', 'busybox']).flags.workdir).toBe('/tmp');
  });

  it('takes values as --flag value, --flag=value, -eK=V and -e=K=V', () => {
    expect(parseArgs(['run', '--name=x', 'busybox']).flags.name).toBe('x');
    expect(parseArgs(['run', '--name', 'x', 'busybox']).flags.name).toBe('x');
    expect(parseArgs(['run', '--name=', 'busybox']).flags.name).toBe('');
    expect(parseArgs(['run', '-eK=V', 'busybox']).flags.env).toEqual(['K=V']);
    expect(parseArgs(['run', '-e=K=V', 'busybox']).flags.env).toEqual(['K=V']);
    // Like pflag, a flag that needs a value takes the next word even if it starts with '-'.
    expect(parseArgs(['run', '--name', '-x', 'busybox']).flags.name).toBe('-x');
  });

  it('accumulates list flags without splitting on commas', () => {
    const p = parseArgs(['run', '-e', 'A=1', '-e', 'B=2', '--env=C=3,4', '--env-file', 'a.env', '--env-file=b.env', 'busybox']);
    expect(p.flags.env).toEqual(['A=1', 'B=2', 'C=3,4']);
    expect(p.flags['env-file']).toEqual(['a.env', 'b.env']);
    expect(parseArgs(['import', '-c', 'CMD ["sh"]', '--change', 'ENV A=1', '-', 'busybox']).flags.change).toEqual(['CMD ["sh"]', 'ENV A=1']);
  });

  it('accepts explicit values for bool flags', () => {
    expect(parseArgs(['run', '--rm=false', 'busybox']).flags.rm).toBe(false);
    expect(parseArgs(['run', '--rm=true', 'busybox']).flags.rm).toBe(true);
    expect(parseArgs(['run', '-d=false', 'busybox']).flags.detach).toBe(false);
    expect(parseArgs(['attach', '--sig-proxy=false', 'web']).flags['sig-proxy']).toBe(false);
    // A bool never takes the next word: "false" here is the image.
    expect(parseArgs(['run', '--rm', 'false']).args).toEqual(['false']);
    expect(usageError(['run', '--rm=maybe', 'busybox']).message).toBe(
      'invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
    );
  });

  it('fills in defaults for every flag of the command', () => {
    expect(parseArgs(['stop', 'web']).flags).toEqual({ time: 10 });
    expect(parseArgs(['restart', 'web']).flags).toEqual({ time: 10 });
    expect(parseArgs(['kill', 'web']).flags).toEqual({ signal: 'KILL' });
    expect(parseArgs(['ps']).flags).toEqual({ all: false, filter: [], format: '', last: -1, latest: false, 'no-trunc': false, quiet: false });
    expect(parseArgs(['logs', 'logger']).flags).toEqual({ follow: false, tail: 'all', timestamps: false });
    expect(parseArgs(['attach', 'web']).flags).toEqual({ 'no-stdin': false, 'sig-proxy': true });
    const run = parseArgs(['run', 'busybox']).flags;
    expect(run).toMatchObject({ env: [], 'env-file': [], name: '', rm: false, tty: false });
    expect(Object.keys(run).sort()).toEqual(findCommand('run')!.flags.map((f) => f.name).sort());
  });

  it('records which flags were given', () => {
    const p = parseArgs(['stop', '-t', '10', 'web']);
    expect([...p.changed]).toEqual(['time']);
    expect(parseArgs(['stop', 'web']).changed.size).toBe(0);
  });

  it('validates and converts int flags', () => {
    expect(parseArgs(['stop', '-t', '1', 'web']).flags.time).toBe(1);
    expect(parseArgs(['stop', '--time=0', 'web']).flags.time).toBe(0);
    expect(parseArgs(['stop', '-t3', 'web']).flags.time).toBe(3);
    expect(parseArgs(['ps', '-n', '-1']).flags.last).toBe(-1);
    expect(parseArgs(['ps', '--last=2']).flags.last).toBe(2);
    const e = usageError(['stop', '-t', 'abc', 'web']);
    expect(e.message).toBe('invalid argument "abc" for "-t, --time" flag: strconv.ParseInt: parsing "abc": invalid syntax');
    expect(e.command).toBe('stop');
    expect(e.exitCode).toBe(125);
  });

  it('accepts global flags before the command and among its flags', () => {
    const p = parseArgs(['--root', '/x', '--explain', 'run', 'busybox', 'true']);
    expect(p.global).toEqual({ root: '/x', explain: true, help: false, color: true });
    expect(p.args).toEqual(['busybox', 'true']);
    const q = parseArgs(['rm', '--root=/y', '-f', '--no-color', 'c1', '--explain', 'c2']);
    expect(q.global).toEqual({ root: '/y', explain: true, help: false, color: false });
    expect(q.flags.force).toBe(true);
    expect(q.args).toEqual(['c1', 'c2']);
    expect(parseArgs(['run', '--explain', '--rm', 'busybox']).global.explain).toBe(true);
    // After run's image, a glass flag is the container's.
    const r = parseArgs(['run', 'busybox', '--explain']);
    expect(r.global.explain).toBe(false);
    expect(r.args).toEqual(['busybox', '--explain']);
    expect(parseArgs(['--no-color', 'ps']).global.color).toBe(false);
  });

  it("gives run's -h to --hostname and -h elsewhere to help", () => {
    expect(parseArgs(['run', '-h', 'myhost', 'busybox']).flags.hostname).toBe('myhost');
    expect(parseArgs(['run', '-h', 'myhost', 'busybox']).global.help).toBe(false);
    expect(parseArgs(['ps', '-h']).global.help).toBe(true);
    expect(parseArgs(['run', '--help']).global.help).toBe(true);
  });

  it('ends flags at --', () => {
    expect(parseArgs(['rm', '-f', '--', '-weird', '--force']).args).toEqual(['-weird', '--force']);
    expect(parseArgs(['run', '--', 'busybox', 'ls']).args).toEqual(['busybox', 'ls']);
    // After run's image, "--" belongs to the container command.
    expect(parseArgs(['run', 'busybox', '--', 'ls']).args).toEqual(['busybox', '--', 'ls']);
    expect(parseArgs(['--', 'ps']).command?.name).toBe('ps');
  });

  it('treats a lone "-" as a positional (stdin)', () => {
    const p = parseArgs(['import', '-m', 'msg', '-', 'busybox:latest']);
    expect(p.args).toEqual(['-', 'busybox:latest']);
    expect(p.flags.message).toBe('msg');
  });

  it("reports unknown flags with Docker's wording", () => {
    const e = usageError(['run', '--bogus', 'busybox']);
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe('unknown flag: --bogus');
    expect(e.command).toBe('run');
    expect(e.exitCode).toBe(125);
    expect(usageError(['run', '--bogus=1', 'busybox']).message).toBe('unknown flag: --bogus');
    expect(usageError(['ps', '-z']).message).toBe("unknown shorthand flag: 'z' in -z");
    expect(usageError(['ps', '-aqz']).message).toBe("unknown shorthand flag: 'z' in -z");
    expect(usageError(['ps', '-zaq']).message).toBe("unknown shorthand flag: 'z' in -zaq");
    expect(usageError(['ps', '---all']).message).toBe('bad flag syntax: ---all');
    const top = usageError(['--bogus', 'ps']);
    expect(top.message).toBe('unknown flag: --bogus');
    expect(top.command).toBeUndefined();
  });

  it('reports a missing flag value', () => {
    expect(usageError(['run', '--name']).message).toBe('flag needs an argument: --name');
    expect(usageError(['run', '-w']).message).toBe("flag needs an argument: 'w' in -w");
    expect(usageError(['run', '-itw']).message).toBe("flag needs an argument: 'w' in -w");
    expect(usageError(['--root']).message).toBe('flag needs an argument: --root');
  });

  it("checks argument counts with Docker's wording", () => {
    const rm = usageError(['rm']);
    expect(rm.message).toBe('"glass rm" requires at least 1 argument.');
    expect(rm.command).toBe('rm');
    // cobra's Args check returns a plain error: docker exits 1 ("docker run" with no image, too).
    expect(rm.exitCode).toBe(1);
    expect(usageError(['run']).exitCode).toBe(1);
    expect(usageError(['run']).message).toBe('"glass run" requires at least 1 argument.');
    expect(usageError(['run', '-d']).message).toBe('"glass run" requires at least 1 argument.');
    expect(usageError(['tag', 'a']).message).toBe('"glass tag" requires exactly 2 arguments.');
    expect(usageError(['logs']).message).toBe('"glass logs" requires exactly 1 argument.');
    expect(usageError(['logs', 'a', 'b']).message).toBe('"glass logs" requires exactly 1 argument.');
    expect(usageError(['import']).message).toBe('"glass import" requires at least 1 and at most 2 arguments.');
    expect(usageError(['version', 'x']).message).toBe('"glass version" accepts no arguments.');
    expect(usageError(['ps', 'x']).message).toBe('"glass ps" accepts no arguments.');
    expect(usageError(['help', 'a', 'b', 'c']).message).toBe('"glass help" accepts at most 2 arguments.');
    expect(parseArgs(['help', 'run']).args).toEqual(['run']);
    expect(parseArgs(['stop', 'a', 'b', 'c']).args).toEqual(['a', 'b', 'c']);
  });

  it('skips the argument check when --help is asked for', () => {
    const p = parseArgs(['rm', '--help']);
    expect(p.command?.name).toBe('rm');
    expect(p.global.help).toBe(true);
  });

  it('rejects unknown commands', () => {
    const e = usageError(['bogus']);
    expect(e.message).toBe("'bogus' is not a glass command.");
    expect(e.command).toBeUndefined();
    expect(e.exitCode).toBe(1); // docker: "'bogus' is not a docker command." exits 1
  });

  it('formats usage errors the way the CLI prints them', () => {
    expect(formatUsageError(usageError(['run', '--bogus']))).toBe("glass: unknown flag: --bogus\nSee 'glass run --help'.");
    expect(formatUsageError(usageError(['bogus']))).toBe("glass: 'bogus' is not a glass command.\nSee 'glass --help'.");
    // A wrong number of arguments also shows the usage line and summary, as docker's cli/required.go does.
    expect(formatUsageError(usageError(['run']))).toBe(
      lines('glass: "glass run" requires at least 1 argument.', "See 'glass run --help'.", '', 'Usage:  glass run [OPTIONS] IMAGE [COMMAND] [ARG...]', '', findCommand('run')!.summary).trimEnd(),
    );
  });

  it("parses Go durations", () => {
    expect(parseGoDuration('10s')).toBe(10_000);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('1.5h')).toBe(5_400_000);
    expect(parseGoDuration('-2ms')).toBe(-2);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('10')).toBeUndefined();
    expect(parseGoDuration('x')).toBeUndefined();
    expect(parseGoDuration('')).toBeUndefined();
  });
});

describe('help', () => {
  it('lists every command with its summary at the top level', () => {
    const h = formatHelp();
    expect(h.startsWith('\nUsage:  glass [OPTIONS] COMMAND\n')).toBe(true);
    expect(h).toContain('Commands:\n');
    for (const c of COMMANDS) {
      // A subcommand (`volume create`) is listed under its management command (`volume`), as docker does.
      if (c.name.includes(' ')) expect(h).toMatch(new RegExp(`\n  ${c.name.split(' ')[0]} +Manage `));
      else expect(h).toContain(`  ${c.name.padEnd(11)} ${c.summary}\n`);
    }
    expect(h).toContain('Management Commands:\n');
    expect(formatHelp(undefined, 'container')).toContain('\nUsage:  glass container COMMAND\n\nManage containers\n\nCommands:\n  prune       Remove all stopped containers\n');
    expect(h).toContain('      --explain       Print each kernel step as it happens\n');
    expect(h).toContain("Run 'glass COMMAND --help' for more information on a command.\n");
    // Commands appear under their group's heading.
    expect(h.indexOf('  images ')).toBeGreaterThan(h.indexOf('Image Commands:'));
    expect(h.indexOf('  run ')).toBeLessThan(h.indexOf('Image Commands:'));
  });

  it("lays out a command's options like docker's --help", () => {
    const run = formatHelp(findCommand('run'));
    expect(run.startsWith('\nUsage:  glass run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun a command in a new container\n')).toBe(true);
    expect(run).toContain('\nWhat happens in the kernel:\n  ');
    expect(run).toContain('Kernel features: overlayfs, mount namespace');
    expect(run).toContain('Lesson: glass learn 1 (lessons/01-first-container.md)\n');
    expect(run).toContain('\nOptions:\n');
    // The column is as wide as the longest option (--memory-reservation bytes); long summaries wrap under it.
    expect(run).toContain('  -d, --detach                     Run container in background and print\n                                   container ID\n');
    expect(run).toContain('      --name string                Assign a name to the container\n');
    expect(run).toContain('  -e, --env list                   Set environment variables\n');
    // Options are sorted by long name, as pflag does.
    expect(run.indexOf('--detach')).toBeLessThan(run.indexOf('--entrypoint'));
    expect(run.indexOf('--user')).toBeLessThan(run.indexOf('--workdir'));
    // These are docker 20.10's own lines for the same flags.
    expect(formatHelp(findCommand('stop'))).toContain(
      '\nOptions:\n  -t, --time int   Seconds to wait for stop before killing it (default 10)\n',
    );
    expect(formatHelp(findCommand('kill'))).toContain(
      '  -s, --signal string   Signal to send to the container (default "KILL")\n',
    );
    expect(formatHelp(findCommand('attach'))).toContain(
      '      --sig-proxy   Proxy all received signals to the process (default true)\n',
    );
    expect(formatHelp(findCommand('logs'))).toContain(
      '  -n, --tail string   Number of lines to show from the end of the logs\n                      (default "all")\n',
    );
  });

  it('keeps help lines within 80 columns except single long words', () => {
    for (const c of [undefined, ...COMMANDS]) {
      for (const line of formatHelp(c).split('\n')) {
        if (line.startsWith('  ') && /^  [a-z]+ +\S/.test(line) && c === undefined) continue; // command list, as docker
        expect(line.length, line).toBeLessThanOrEqual(80);
      }
    }
  });

  it('wraps long option text the way pflag does', () => {
    const flags: FlagSpec[] = [
      { name: 'last', short: 'n', type: 'int', default: -1, summary: 'Show n last created containers (includes all states)' },
      { name: 'all', short: 'a', type: 'bool', summary: 'Show all containers (default shows just running)' },
    ];
    expect(formatFlags(flags)).toBe(
      lines(
        '  -a, --all        Show all containers (default shows just running)',
        '  -n, --last int   Show n last created containers (includes all states)',
        '                   (default -1)',
      ),
    );
    expect(formatFlags(flags, 0)).toContain('  -n, --last int   Show n last created containers (includes all states) (default -1)\n');
  });

  it('omits sections a command does not have', () => {
    const tag = formatHelp(findCommand('tag'));
    expect(tag).not.toContain('Options:');
    expect(tag).not.toContain('Kernel features:');
    // Every command names the lesson that teaches it (runtime/catalog/lessons.ts), and only that one.
    for (const c of COMMANDS) {
      const lesson = lessonFor(c.name);
      const lines = formatHelp(c).split('\n').filter((l) => l.startsWith('Lesson:'));
      expect(lines).toEqual(lesson ? [`Lesson: glass learn ${Number(lesson.slice(0, 2))} (lessons/${lesson}.md)`] : []);
    }
  });
});

describe('table', () => {
  it('reproduces docker ps -a from its cells', () => {
    const headers = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'];
    const rows = [
      ['95f279e3abe7', 'busybox', '"sleep 1000"', '22 seconds ago', 'Up 21 seconds', '', 'peer-a'],
      ['ee413d78e7d8', 'busybox', '"sh"', '24 seconds ago', 'Created', '', 'store'],
      ['ab315b2c65d8', 'busybox', '"sh -c \'for i in 1 2…"', '36 seconds ago', 'Up 35 seconds', '', 'logger'],
      ['e90886423ff8', 'busybox', '"sleep 1000"', '40 seconds ago', 'Up 39 seconds', '53/udp, 5432/tcp', 'db'],
      ['770406c8b7f7', 'busybox', '"httpd -f -p 80"', '44 seconds ago', 'Exited (137) Less than a second ago', '', 'web'],
    ];
    expect(table(headers, rows)).toBe(
      lines(
        'CONTAINER ID   IMAGE     COMMAND                  CREATED          STATUS                                PORTS              NAMES',
        '95f279e3abe7   busybox   "sleep 1000"             22 seconds ago   Up 21 seconds                                            peer-a',
        'ee413d78e7d8   busybox   "sh"                     24 seconds ago   Created                                                  store',
        'ab315b2c65d8   busybox   "sh -c \'for i in 1 2…"   36 seconds ago   Up 35 seconds                                            logger',
        'e90886423ff8   busybox   "sleep 1000"             40 seconds ago   Up 39 seconds                         53/udp, 5432/tcp   db',
        '770406c8b7f7   busybox   "httpd -f -p 80"         44 seconds ago   Exited (137) Less than a second ago                      web',
      ),
    );
  });

  it('reproduces docker ps with ports', () => {
    expect(
      table(
        ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
        [['770406c8b7f7', 'busybox', '"httpd -f -p 80"', '1 second ago', 'Up 1 second', '0.0.0.0:8080->80/tcp, :::8080->80/tcp', 'web']],
      ),
    ).toBe(
      lines(
        'CONTAINER ID   IMAGE     COMMAND            CREATED        STATUS        PORTS                                   NAMES',
        '770406c8b7f7   busybox   "httpd -f -p 80"   1 second ago   Up 1 second   0.0.0.0:8080->80/tcp, :::8080->80/tcp   web',
      ),
    );
  });

  it('applies the minimum column width of 10 (docker images, volume ls, network ls)', () => {
    expect(
      table(
        ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'],
        [
          ['web-snap', '1', 'c295b1f026c7', 'Less than a second ago', '1.99MB'],
          ['web-snap', '2', '89f389658b7d', 'Less than a second ago', '1.99MB'],
          ['busybox', 'latest', '3685bb67234a', '2 minutes ago', '1.99MB'],
        ],
      ),
    ).toBe(
      lines(
        'REPOSITORY   TAG       IMAGE ID       CREATED                  SIZE',
        'web-snap     1         c295b1f026c7   Less than a second ago   1.99MB',
        'web-snap     2         89f389658b7d   Less than a second ago   1.99MB',
        'busybox      latest    3685bb67234a   2 minutes ago            1.99MB',
      ),
    );
    expect(table(['DRIVER', 'VOLUME NAME'], [['local', 'data']])).toBe(lines('DRIVER    VOLUME NAME', 'local     data'));
    expect(
      table(
        ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'],
        [
          ['43c8a380cbc0', 'bridge', 'bridge', 'local'],
          ['bfcae9eeb39e', 'none', 'null', 'local'],
        ],
      ),
    ).toBe(
      lines(
        'NETWORK ID     NAME      DRIVER    SCOPE',
        '43c8a380cbc0   bridge    bridge    local',
        'bfcae9eeb39e   none      null      local',
      ),
    );
  });

  it('pads empty middle cells (docker history) and leaves no trailing spaces', () => {
    expect(
      table(
        ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
        [
          ['89f389658b7d', 'Less than a second ago', 'httpd -f -p 80', '121B', 'msg'],
          ['3685bb67234a', '2 minutes ago', '', '1.99MB', 'Imported from -'],
          ['0123456789ab', '2 minutes ago', '', '1.99MB', ''],
        ],
      ),
    ).toBe(
      lines(
        'IMAGE          CREATED                  CREATED BY       SIZE      COMMENT',
        '89f389658b7d   Less than a second ago   httpd -f -p 80   121B      msg',
        '3685bb67234a   2 minutes ago                             1.99MB    Imported from -',
        '0123456789ab   2 minutes ago                             1.99MB',
      ),
    );
    expect(table(['CONTAINER ID'], [])).toBe('CONTAINER ID\n');
  });
});

describe('humanDuration', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  it.each([
    [-5 * s, 'Less than a second'],
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * s, '1 second'],
    [1999, '1 second'],
    [2 * s, '2 seconds'],
    [21 * s + 400, '21 seconds'],
    [59 * s + 999, '59 seconds'],
    [60 * s, 'About a minute'],
    [2 * m - 1, 'About a minute'],
    [2 * m, '2 minutes'],
    [59 * m + 59 * s, '59 minutes'],
    [60 * m, 'About an hour'],
    [90 * m - 1, 'About an hour'],
    [90 * m, '2 hours'],
    [47 * h, '47 hours'],
    [47 * h + 30 * m, '2 days'],
    [13 * d, '13 days'],
    [14 * d, '2 weeks'],
    [59 * d, '8 weeks'],
    [60 * d, '2 months'],
    [729 * d, '24 months'],
    [730 * d, '2 years'],
    [1100 * d, '3 years'],
  ])('%d ms → %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe('humanSize', () => {
  it.each([
    [0, '0B'],
    [121, '121B'],
    [999, '999B'],
    [1000, '1kB'],
    [1234, '1.23kB'],
    [1500, '1.5kB'],
    [2450, '2.45kB'],
    [2030, '2.03kB'],
    [1990000, '1.99MB'],
    [1125, '1.12kB'], // an exact half rounds to even, as Go does
    [1135, '1.14kB'], // 1.135 is really 1.13500000000000000888...
    [12000, '12kB'],
    [999500, '1e+03kB'], // Go's %.3g switches to exponent form here
    [23.54e9, '23.5GB'],
  ])('%d → %s', (bytes, want) => {
    expect(humanSize(bytes)).toBe(want);
  });

  it("matches Go's %g beyond sizes", () => {
    expect(formatG(0.0001234, 3)).toBe('0.000123');
    expect(formatG(0.00001234, 3)).toBe('1.23e-05');
    expect(formatG(123456, 3)).toBe('1.23e+05');
    expect(formatG(100, 3)).toBe('100');
    expect(formatG(0.5, 3)).toBe('0.5');
    expect(formatG(2.5, 1)).toBe('2');
    expect(formatG(3.5, 1)).toBe('4');
    expect(formatG(1e22, 4)).toBe('1e+22');
    expect(humanSize(1234567, 4)).toBe('1.235MB');
  });
});

describe('psCommand', () => {
  it('matches the COMMAND column of the transcript', () => {
    expect(psCommand(summaryCommand('sh', ['-c', 'for i in 1 2 3; do echo out $i; echo err $i >&2; done; sleep 1000']), false)).toBe(
      '"sh -c \'for i in 1 2…"',
    );
    expect(psCommand(summaryCommand('httpd', ['-f', '-p', '80']), false)).toBe('"httpd -f -p 80"');
    expect(psCommand(summaryCommand('sleep', ['1000']), false)).toBe('"sleep 1000"');
    expect(psCommand(summaryCommand('sh', []), false)).toBe('"sh"');
  });

  it('does not truncate with --no-trunc and truncates at 20 runes otherwise', () => {
    expect(psCommand(summaryCommand('sh', ['-c', 'for i in 1 2 3; do echo; done']), true)).toBe('"sh -c \'for i in 1 2 3; do echo; done\'"');
    expect(psCommand(summaryCommand('abcdefghij', ['klmnopqrs']), false)).toBe('"abcdefghij klmnopqrs"'); // exactly 20
    expect(psCommand(summaryCommand('abcdefghij', ['klmnopqrst']), false)).toBe('"abcdefghij klmnopqr…"');
    expect(psCommand(summaryCommand('echo', ['héllo wörld ünïcode!']), false)).toBe('"echo \'héllo wörld ü…"');
  });

  it('escapes like strconv.Quote', () => {
    expect(psCommand(summaryCommand('echo', ['a"b\\c']), false)).toBe('"echo a\\"b\\\\c"');
    expect(psCommand(summaryCommand('printf', ['a\nb\t\x1b']), true)).toBe('"printf a\\nb\\t\\x1b"');
    expect(psCommand(summaryCommand('echo', ['\x7f\u0085\u00a0é']), true)).toBe('"echo \\x7f\\u0085\\u00a0é"');
  });
});

describe('psStatus and createdAgo', () => {
  const now = new Date('2026-11-23T10:53:15.300Z');
  it('gives the STATUS column of the transcript', () => {
    expect(psStatus({ status: 'running', startedAt: '2026-11-23T10:52:53.438261199Z' }, now)).toBe('Up 21 seconds');
    expect(psStatus({ status: 'created' }, now)).toBe('Created');
    expect(
      psStatus(
        { status: 'exited', exitCode: 137, startedAt: '2026-11-23T10:52:31Z', finishedAt: '2026-11-23T10:53:15.100Z' },
        now,
      ),
    ).toBe('Exited (137) Less than a second ago');
    expect(psStatus({ status: 'running', startedAt: '2026-11-23T10:53:15.000Z' }, now)).toBe('Up Less than a second');
    expect(psStatus({ status: 'running', startedAt: '2026-11-23T10:52:14.000Z' }, now)).toBe('Up About a minute');
  });

  it('covers the other states as moby does', () => {
    expect(psStatus({ status: 'paused', startedAt: '2026-11-23T10:52:15Z' }, now)).toBe('Up About a minute (Paused)');
    expect(psStatus({ status: 'restarting', exitCode: 1, finishedAt: '2026-11-23T10:53:10Z' }, now)).toBe('Restarting (1) 5 seconds ago');
    expect(psStatus({ status: 'dead' }, now)).toBe('Dead');
    expect(psStatus({ status: 'exited', exitCode: 0, startedAt: '2026-11-23T10:50:00Z', finishedAt: '2026-11-23T10:51:00Z' }, now)).toBe(
      'Exited (0) 2 minutes ago',
    );
    // Never started (start failed): still "Created"; Go's zero time counts as absent.
    expect(psStatus({ status: 'exited', exitCode: 127, startedAt: '0001-01-01T00:00:00Z' }, now)).toBe('Created');
  });

  it('gives the CREATED column, counting from the whole second', () => {
    expect(createdAgo('2026-11-23T10:52:53.018165945Z', now)).toBe('22 seconds ago');
    expect(createdAgo('2026-11-23T10:53:15.000Z', now)).toBe('Less than a second ago');
    expect(createdAgo('2026-11-23T10:51:10Z', now)).toBe('2 minutes ago');
    // docker ps right after `docker run -d`: created 0.6 s ago at x.9 s reads "1 second ago".
    expect(createdAgo('2026-11-23T10:53:14.900Z', new Date('2026-11-23T10:53:15.500Z'))).toBe('1 second ago');
  });
});

describe('shortId and logTimestamp', () => {
  it('shortens IDs like stringid.TruncateID', () => {
    expect(shortId('sha256:3685bb67234a2dd71a1b64995a8055cafd4520d3fb1783abe4c304a9e614e107')).toBe('3685bb67234a');
    expect(shortId('770406c8b7f734fcc1ff11e57e2b32c9188b69277ba10a0366cfb8999a6a9815')).toBe('770406c8b7f7');
    expect(shortId('abc')).toBe('abc');
  });

  it('prints RFC3339 with exactly nine fractional digits in UTC', () => {
    expect(logTimestamp('2026-11-23T10:53:02.028478873Z')).toBe('2026-11-23T10:53:02.028478873Z');
    expect(logTimestamp('2026-11-23T10:53:02.0284Z')).toBe('2026-11-23T10:53:02.028400000Z');
    expect(logTimestamp('2026-11-23T10:53:02Z')).toBe('2026-11-23T10:53:02.000000000Z');
    expect(logTimestamp('2026-11-23T10:53:02.1234567891Z')).toBe('2026-11-23T10:53:02.123456789Z');
    expect(logTimestamp('2026-11-23T12:53:02.5+02:00')).toBe('2026-11-23T10:53:02.500000000Z');
    expect(logTimestamp(new Date('2026-11-23T10:53:02.030Z'))).toBe('2026-11-23T10:53:02.030000000Z');
    expect(() => logTimestamp('yesterday')).toThrow();
  });
});
