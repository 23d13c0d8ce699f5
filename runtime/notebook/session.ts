/**
 * A notebook's session with glass: one Engine over one state root, and the
 * label every container the notebook makes carries (glass.notebook=<name>),
 * so that glass.cleanup(), the kernel's exit, or the next run of the same
 * notebook can find and remove them — even after the kernel was killed
 * half-way through a cell.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { createEngine, type Engine } from '../engine/index.js';
import { projectRoot } from '../learn/lessons.js';
import { oneLine, oneLineErrors } from './errors.js';

/** The label key of every container a notebook makes (glass run/create also add it from GLASS_LEARN_LABEL). */
export const NOTEBOOK_LABEL_KEY = 'glass.notebook';

export interface NotebookOptions {
  /** State root; default $GLASS_ROOT or /var/lib/glass, as for the CLI. */
  root?: string;
}

export interface Session {
  /** The notebook's name: its containers carry the label glass.notebook=<name>. */
  readonly name: string;
  /** "glass.notebook=<name>". */
  readonly label: string;
  /** The label as CreateOptions.labels takes it: pass it to engine.containers.create/run yourself. */
  readonly labels: Record<string, string>;
  /** The Engine: the one API glass has (runtime/engine/ENGINE-API.md). Its errors come out as glass's one line. */
  readonly engine: Engine;
  readonly root: string;
  /** How many containers of an earlier run of this notebook were removed when it began. */
  readonly leftovers: number;
}

let current: Session | undefined;
let exitHooked = false;

/** The glass launcher of this checkout (bin/glass), for command lines and the clean-up at exit. */
export function glassBin(): string {
  return join(projectRoot(), 'bin', 'glass');
}

/**
 * Begin (or begin again) the notebook `name`: check that glass can work here
 * (root, the state root), remove the containers an earlier run of this
 * notebook left (a kernel killed mid-run leaves them), and arrange for this
 * run's containers to be removed when the kernel exits. Call it in the first
 * cell; as non-root it fails there with glass's not-root message.
 */
export async function notebook(name: string, opts: NotebookOptions = {}): Promise<Session> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`notebook name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`);
  const engine = oneLineEngine(createEngine({ root: opts.root }));
  const removed = await oneLineErrors(engine.root, () => removeLabelled(engine, `${NOTEBOOK_LABEL_KEY}=${name}`));
  const s: Session = { name, label: `${NOTEBOOK_LABEL_KEY}=${name}`, labels: { [NOTEBOOK_LABEL_KEY]: name }, engine, root: engine.root, leftovers: removed };
  const text = `glass notebook ${name}: state root ${s.root}; its containers carry the label ${s.label}${removed ? `; removed ${removed} left by an earlier run` : ''}`;
  Object.defineProperty(s, inspect.custom, { value: () => text, enumerable: false });
  current = s;
  hookExit();
  return current;
}

/** The current session; a notebook that did not call glass.notebook() gets one named "notebook". */
export async function session(): Promise<Session> {
  return current ?? notebook('notebook');
}

/** The session if one began, without starting one. */
export function currentSession(): Session | undefined {
  return current;
}

/**
 * Remove every container this notebook made (those with its label), running
 * or not, then its networks (made with nb.labels). Returns how many
 * containers were removed.
 */
export async function cleanup(): Promise<number> {
  const s = current;
  if (!s) return 0;
  return oneLineErrors(s.root, () => removeLabelled(s.engine, s.label));
}

/**
 * The engine as a notebook uses it: the same object and calls, except that an
 * operation that fails with glass's error fails with glass's one line (see
 * NotebookError), so a cell calling the engine directly shows what the CLI
 * would print rather than a stack trace.
 */
function oneLineEngine(engine: Engine): Engine {
  const wrap = <T extends object>(api: T): T =>
    new Proxy(api, {
      get(target, key, receiver) {
        const v = Reflect.get(target, key, receiver) as unknown;
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          const r = (v as (...a: unknown[]) => unknown).apply(target, args);
          return r instanceof Promise ? r.catch((e: unknown) => Promise.reject(oneLine(e, engine.root))) : r;
        };
      },
    });
  return {
    root: engine.root,
    containers: wrap(engine.containers),
    images: wrap(engine.images),
    events: wrap(engine.events),
    system: wrap(engine.system),
    volumes: wrap(engine.volumes),
    networks: wrap(engine.networks),
    builds: wrap(engine.builds),
    onStep: (l) => engine.onStep(l),
  };
}

/** Remove the containers with the label, then the networks with it (a network goes once no container is on it); returns how many containers. */
async function removeLabelled(engine: Engine, label: string): Promise<number> {
  const mine = await engine.containers.list({ all: true, filters: { label: [label] } });
  for (const c of mine) await engine.containers.remove(c.Id, { force: true });
  await engine.networks.prune({ filters: [`label=${label}`] });
  return mine.length;
}

/**
 * When the kernel exits (shut down, restarted, SIGTERM), remove this
 * notebook's containers and networks. An exit handler cannot wait for promises, so this
 * runs the CLI synchronously. A kernel killed with SIGKILL runs nothing: the
 * next glass.notebook() of the same name, or glass.cleanup(), removes them.
 */
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', cleanupNow);
  for (const sig of ['SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanupNow();
      process.exit(128 + (sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

function cleanupNow(): void {
  const s = current;
  if (!s) return;
  const script =
    'ids=$("$0" --root "$1" ps -aq --no-trunc --filter "label=$2") && if [ -n "$ids" ]; then "$0" --root "$1" rm -f $ids >/dev/null; fi; ' +
    '"$0" --root "$1" network prune -f --filter "label=$2" >/dev/null';
  try {
    execFileSync('sh', ['-c', script, glassBin(), s.root, s.label], { stdio: 'ignore', timeout: 30_000 });
  } catch {
    // Nothing more can be done at exit: the next run of the notebook removes them.
  }
}
