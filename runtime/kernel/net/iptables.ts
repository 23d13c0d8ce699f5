import { exec, execStep, hostRunner, reportBatch, shellCommand, withHostLock, type BatchCommand, type NetContext } from './run.js';

/**
 * iptables: NAT and filtering for glass's bridges. Everything glass adds is
 * in chains of its own, jumped to from the built-in ones, so `iptables-save |
 * grep -i glass` shows all of it and it goes as a whole:
 *
 *   nat    GLASS-POSTROUTING  from POSTROUTING: MASQUERADE a subnet's traffic leaving by another interface
 *   nat    GLASS-DNAT         from PREROUTING and OUTPUT (to local addresses only): published ports
 *   filter GLASS-FORWARD      from FORWARD, inserted first: what may cross between bridges and the world
 *
 * Every rule in them carries `-m comment --comment glass:<tag>` (tag =
 * <rootHash> or <rootHash>:<containerId>), so each state root (many test
 * files run at once on one host) finds and removes exactly its own. The
 * jumps and the chains are shared by all roots: made when missing, removed
 * only when no glass rule of any root is left. Both happen under a host-wide
 * lock, and `-w` waits for iptables' own lock.
 */

export type Table = 'nat' | 'filter';

export const GLASS_CHAINS = [
  { table: 'nat', chain: 'GLASS-POSTROUTING' },
  { table: 'nat', chain: 'GLASS-DNAT' },
  { table: 'filter', chain: 'GLASS-FORWARD' },
] as const satisfies ReadonlyArray<{ table: Table; chain: string }>;

export type GlassChain = (typeof GLASS_CHAINS)[number]['chain'];

interface Jump {
  table: Table;
  chain: string;
  args: string[];
  /** Insert at this position instead of appending. */
  position?: number;
  why: string;
}

/** The jumps from the built-in chains into glass's. */
export const GLASS_JUMPS: readonly Jump[] = [
  {
    table: 'nat',
    chain: 'POSTROUTING',
    args: ['-j', 'GLASS-POSTROUTING'],
    why: 'Every packet about to leave the host passes POSTROUTING; glass\'s chain masquerades the ones coming from a container subnet, so replies find their way back to the host and from there to the container.',
  },
  {
    table: 'nat',
    chain: 'PREROUTING',
    args: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'GLASS-DNAT'],
    why: 'Packets arriving from other hosts or namespaces pass PREROUTING; those addressed to one of this host\'s own addresses go through glass\'s published ports (DNAT to a container).',
  },
  {
    table: 'nat',
    chain: 'OUTPUT',
    args: ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'GLASS-DNAT'],
    why: 'Packets made by programs on the host itself skip PREROUTING: they pass OUTPUT. So that `curl 127.0.0.1:8080` on the host reaches a published port, OUTPUT jumps to the same DNAT chain for local destinations.',
  },
  {
    table: 'filter',
    chain: 'FORWARD',
    args: ['-j', 'GLASS-FORWARD'],
    position: 1,
    why: 'Packets routed through the host (container to the world, published port to a container) pass FORWARD. The jump goes first, so a FORWARD policy of DROP (Docker sets one) does not stop glass\'s traffic.',
  },
];

/** A rule glass adds: its table, chain, match and target arguments (without the comment) and tag. */
export interface GlassRule {
  table: Table;
  chain: string;
  /** e.g. ['-s', '172.18.0.0/16', '!', '-o', 'glass0', '-j', 'MASQUERADE'] */
  args: string[];
  /** "<rootHash>" or "<rootHash>:<containerId>": the comment is "glass:<tag>". */
  tag: string;
  /** Insert at this position (1 = first) instead of appending. */
  position?: number;
}

/** A glass rule as iptables-save lists it (args as listed: iptables adds implied matches such as `-m tcp`). */
export interface ListedRule {
  table: Table;
  chain: string;
  /** Everything after "-A CHAIN", tokenised, the comment included. */
  args: string[];
  tag: string;
  /** The iptables-save line. */
  line: string;
}

export const COMMENT_PREFIX = 'glass:';

/** The argv of an iptables command on a rule: op -A, -I, -C or -D. */
export function ruleArgv(op: '-A' | '-I' | '-C' | '-D', r: Pick<GlassRule, 'table' | 'chain' | 'args' | 'tag'> & { position?: number }): string[] {
  return [
    'iptables', '-w', '-t', r.table, op, r.chain,
    ...(op === '-I' && r.position ? [String(r.position)] : []),
    ...r.args, '-m', 'comment', '--comment', `${COMMENT_PREFIX}${r.tag}`,
  ];
}

/** Split an iptables-save line into words as a shell would ("double quotes" with \-escapes). */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      inWord = true;
      for (i++; i < line.length && line[i] !== '"'; i++) cur += line[i] === '\\' && i + 1 < line.length ? line[++i] : line[i];
    } else if (c === ' ' || c === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

export interface SavedTables {
  /** table → user-defined and built-in chain names present. */
  chains: Map<string, Set<string>>;
  /** Every rule: table, chain and args (tokenised, after "-A CHAIN"). */
  rules: Array<{ table: Table; chain: string; args: string[]; line: string }>;
}

/** Parse `iptables-save` output. */
export function parseSave(text: string): SavedTables {
  const chains = new Map<string, Set<string>>();
  const rules: SavedTables['rules'] = [];
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      if (!chains.has(table)) chains.set(table, new Set());
    } else if (line.startsWith(':')) {
      chains.get(table)?.add(line.slice(1).split(' ')[0]!);
    } else if (line.startsWith('-A ')) {
      const words = tokenize(line);
      rules.push({ table: table as Table, chain: words[1]!, args: words.slice(2), line });
    }
  }
  return { chains, rules };
}

/** The tag of a rule's glass comment, or undefined when it has none. */
export function glassTagOf(args: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < args.length; i++) {
    if (args[i] === '--comment' && args[i + 1]!.startsWith(COMMENT_PREFIX)) return args[i + 1]!.slice(COMMENT_PREFIX.length);
  }
  return undefined;
}

/** Does `tag` fall under `filter` (equal, or filter + ":" + more: a root's filter matches its containers' rules)? */
export function tagMatches(tag: string, filter: string, exact = false): boolean {
  return tag === filter || (!exact && tag.startsWith(`${filter}:`));
}

/** Glass's rules from parsed iptables-save output, optionally only those under a tag. */
export function glassRulesIn(saved: SavedTables, filter?: { tag: string; exact?: boolean }): ListedRule[] {
  const out: ListedRule[] = [];
  for (const r of saved.rules) {
    const tag = glassTagOf(r.args);
    if (tag === undefined) continue;
    if (filter && !tagMatches(tag, filter.tag, filter.exact)) continue;
    out.push({ ...r, tag });
  }
  return out;
}

/** The rules of the built-in chains that jump into glass's (PREROUTING, OUTPUT, POSTROUTING, FORWARD → GLASS-…). */
export function glassJumpsIn(saved: SavedTables): SavedTables['rules'] {
  const ours = new Set<string>(GLASS_CHAINS.map((c) => c.chain));
  return saved.rules.filter((r) => !ours.has(r.chain) && ours.has(r.args[r.args.indexOf('-j') + 1] ?? ''));
}

async function save(ctx: NetContext): Promise<SavedTables> {
  return parseSave((await exec(ctx, ['iptables-save'])).stdout);
}

/** Glass's rules on the host (`iptables-save`), all of them or those under a tag. */
export async function listGlassRules(ctx: NetContext, filter?: { tag: string; exact?: boolean }): Promise<ListedRule[]> {
  return glassRulesIn(await save(ctx), filter);
}

/** One `iptables-save`, read for a picture: glass's rules (all, or under a tag) and the jumps into its chains. */
export async function readGlassRuleset(ctx: NetContext, filter?: { tag: string; exact?: boolean }): Promise<{ rules: ListedRule[]; jumps: SavedTables['rules'] }> {
  const saved = await save(ctx);
  return { rules: glassRulesIn(saved, filter), jumps: glassJumpsIn(saved) };
}

/**
 * A rule's words as iptables-save would list them, for telling whether a rule
 * is already there without asking iptables once per rule (`-C`): save adds the
 * implied protocol match (`-p tcp -m tcp`) and a host's /32, and moves the
 * comment; the order of the other words does not matter for the comparison.
 */
export function ruleKey(args: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-m' && ['tcp', 'udp', 'sctp', 'comment'].includes(args[i + 1] ?? '')) {
      i++;
      continue;
    }
    if (a === '--comment') {
      i++;
      continue;
    }
    if ((a === '-s' || a === '-d') && args[i + 1] && /^\d+\.\d+\.\d+\.\d+$/.test(args[i + 1]!)) {
      out.push(a, `${args[++i]}/32`);
      continue;
    }
    out.push(a);
  }
  return out.sort().join(' ');
}

/** A line of iptables-restore input: words as a shell would split them, quoted where needed. */
const restoreWords = (words: readonly string[]) => words.map((w) => (/^[A-Za-z0-9_@%+=:,./!\-[\]]+$/.test(w) ? w : `"${w.replace(/(["\\])/g, '\\$1')}"`)).join(' ');

/** One change of a restore batch: its table, its words after the table (`-A CHAIN …`, `-N CHAIN`), and its Step. */
interface TableChange {
  table: Table;
  words: string[];
  title: string;
  why: string;
  /** A failure whose message matches is fine (run alone, after a failed batch). */
  okIf?: RegExp;
}

const learnerArgv = (c: TableChange) => ['iptables', '-w', '-t', c.table, ...c.words];
const GONE = /Bad rule|does a matching rule exist|No chain\/target\/match/;

/**
 * Apply changes to several tables in ONE process: `iptables-restore --noflush`
 * reads them as `*table` / rule lines / `COMMIT` (the format iptables-save
 * prints) and commits each table at once, instead of one `iptables` process
 * (which reads the whole ruleset) per rule. Each change is still its own
 * Step, with the single `iptables` command a learner could type. If the
 * batch is refused, the changes are made one by one, so the trace names the
 * one that failed and says nothing that did not happen.
 */
async function restore(ctx: NetContext, changes: readonly TableChange[]): Promise<void> {
  if (!changes.length) return;
  const input: string[] = [];
  for (const table of [...new Set(changes.map((c) => c.table))]) {
    input.push(`*${table}`, ...changes.filter((c) => c.table === table).map((c) => restoreWords(c.words)), 'COMMIT');
  }
  const r = await (ctx.run ?? hostRunner)(['iptables-restore', '-w', '--noflush'], `${input.join('\n')}\n`);
  const cmds: BatchCommand[] = changes.map((c) => ({ title: c.title, why: c.why, argv: learnerArgv(c), ...(c.okIf ? { okIf: c.okIf } : {}) }));
  if (r.exitCode === 0) return reportBatch(ctx, cmds, new Map());
  for (const c of cmds) await execStep(ctx, { title: c.title, why: c.why }, c.argv, c.okIf ? { okIf: c.okIf } : {});
}

/** The chains and jumps glass's rules need that `saved` lacks. */
function missingChains(saved: SavedTables): TableChange[] {
  const out: TableChange[] = [];
  for (const c of GLASS_CHAINS) {
    if (saved.chains.get(c.table)?.has(c.chain)) continue;
    out.push({
      table: c.table, words: ['-N', c.chain], okIf: /Chain already exists/,
      title: `Create iptables chain ${c.chain} (${c.table} table)`,
      why: 'Glass keeps its rules in chains of its own, so they can be listed (`iptables-save | grep GLASS`) and removed as a whole without touching anyone else\'s.',
    });
  }
  for (const j of GLASS_JUMPS) {
    if (saved.rules.some((r) => r.table === j.table && r.chain === j.chain && ruleKey(r.args) === ruleKey(j.args))) continue;
    out.push({
      table: j.table, words: j.position ? ['-I', j.chain, String(j.position), ...j.args] : ['-A', j.chain, ...j.args],
      title: `Jump from ${j.chain} to ${j.args.at(-1)} (${j.table} table)`, why: j.why,
    });
  }
  return out;
}

/** Make glass's chains and the jumps to them, where missing (under the host lock). */
export async function ensureChains(ctx: NetContext): Promise<void> {
  await withHostLock('iptables', async () => restore(ctx, missingChains(await save(ctx))));
}

/**
 * Add rules (each one Step with its own title and why), making glass's chains
 * and jumps first if needed; a rule already listed (same table, chain, tag and
 * words) is not added twice. One `iptables-save` and one `iptables-restore`,
 * under the host lock, so no other glass process removes the chains meanwhile.
 */
export async function addRules(ctx: NetContext, rules: ReadonlyArray<GlassRule & { title: string; why: string }>): Promise<void> {
  await withHostLock('iptables', async () => {
    const saved = await save(ctx);
    const have = new Set(saved.rules.map((r) => `${r.table} ${r.chain} ${glassTagOf(r.args) ?? ''} ${ruleKey(r.args)}`));
    const changes = missingChains(saved);
    for (const r of rules) {
      const key = `${r.table} ${r.chain} ${r.tag} ${ruleKey(r.args)}`;
      if (have.has(key)) continue;
      have.add(key);
      const argv = ruleArgv(r.position ? '-I' : '-A', r);
      changes.push({ table: r.table, words: argv.slice(4), title: r.title, why: r.why });
    }
    await restore(ctx, changes);
  });
}

/** Add one rule (see addRules). */
export async function addRule(ctx: NetContext, rule: GlassRule & { title: string; why: string }): Promise<void> {
  await addRules(ctx, [rule]);
}

/** Delete one rule; one already gone is fine. */
export async function deleteRule(ctx: NetContext, rule: GlassRule, info?: { title?: string; why?: string }): Promise<void> {
  await execStep(
    ctx,
    { title: info?.title ?? `Delete iptables rule from ${rule.chain}`, why: info?.why ?? 'What glass set up for a container goes with it.' },
    ruleArgv('-D', rule),
    { okIf: GONE },
  );
}

/** When no glass rule of any root is left after `deleting`: the jumps, then the chains. */
function chainRemoval(saved: SavedTables, deleting: ReadonlySet<string>): TableChange[] {
  const ours = new Set<string>(GLASS_CHAINS.map((c) => c.chain));
  const left = saved.rules.filter((r) => !deleting.has(r.line));
  if (left.some((r) => ours.has(r.chain) || glassTagOf(r.args) !== undefined)) return [];
  const out: TableChange[] = [];
  for (const j of GLASS_JUMPS) {
    for (const r of left.filter((l) => l.table === j.table && l.chain === j.chain && ruleKey(l.args) === ruleKey(j.args))) {
      out.push({
        table: r.table, words: ['-D', r.chain, ...r.args], okIf: GONE,
        title: `Remove the jump from ${r.chain} to ${j.args.at(-1)} (${r.table} table)`,
        why: 'No glass rule is left on this host (in any state root): the jumps into glass\'s chains go, then the chains.',
      });
    }
  }
  for (const c of GLASS_CHAINS) {
    if (!saved.chains.get(c.table)?.has(c.chain)) continue;
    out.push({
      table: c.table, words: ['-X', c.chain], okIf: /No chain\/target\/match/,
      title: `Delete iptables chain ${c.chain} (${c.table} table)`,
      why: 'Empty and no longer jumped to: nothing of glass\'s is left in iptables.',
    });
  }
  return out;
}

/**
 * Delete every glass rule under a tag (a root's: "<rootHash>", or one
 * container's: "<rootHash>:<id>"), exactly as iptables-save lists them; then
 * glass's jumps and chains if no rule of any root is left. One save, one
 * restore. Returns the rules deleted.
 */
export async function removeRulesTagged(ctx: NetContext, tag: string, opts: { exact?: boolean; why?: string } = {}): Promise<ListedRule[]> {
  return withHostLock('iptables', async () => {
    const saved = await save(ctx);
    const rules = glassRulesIn(saved, { tag, exact: opts.exact });
    const changes: TableChange[] = rules.map((r) => ({
      table: r.table, words: ['-D', r.chain, ...r.args], okIf: GONE,
      title: `Delete iptables rule ${r.chain} (${r.table} table) tagged glass:${r.tag}`,
      why: opts.why ?? 'Every rule glass adds carries a comment naming its state root and container, so clean-up finds exactly its own rules and no one else\'s.',
    }));
    await restore(ctx, [...changes, ...chainRemoval(saved, new Set(rules.map((r) => r.line)))]);
    return rules;
  });
}

/**
 * Remove glass's jumps and chains when no glass rule of any root remains;
 * returns whether it did. Safe to call after any clean-up.
 */
export async function deleteChainsIfUnused(ctx: NetContext): Promise<boolean> {
  return withHostLock('iptables', async () => {
    const changes = chainRemoval(await save(ctx), new Set());
    await restore(ctx, changes);
    return changes.length > 0;
  });
}

/** For a Step's command line: the rule as a learner would type it. */
export function ruleCommand(op: '-A' | '-I' | '-D', r: GlassRule): string {
  return shellCommand(ruleArgv(op, r));
}
