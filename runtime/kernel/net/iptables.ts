import { exec, execStep, shellCommand, tryExec, withHostLock, type NetContext } from './run.js';

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

async function save(ctx: NetContext): Promise<SavedTables> {
  return parseSave((await exec(ctx, ['iptables-save'])).stdout);
}

/** Glass's rules on the host (`iptables-save`), all of them or those under a tag. */
export async function listGlassRules(ctx: NetContext, filter?: { tag: string; exact?: boolean }): Promise<ListedRule[]> {
  return glassRulesIn(await save(ctx), filter);
}

const sameArgs = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

async function ensureChainsLocked(ctx: NetContext): Promise<void> {
  const saved = await save(ctx);
  for (const c of GLASS_CHAINS) {
    if (saved.chains.get(c.table)?.has(c.chain)) continue;
    await execStep(
      ctx,
      { title: `Create iptables chain ${c.chain} (${c.table} table)`, why: 'Glass keeps its rules in chains of its own, so they can be listed (`iptables-save | grep GLASS`) and removed as a whole without touching anyone else\'s.' },
      ['iptables', '-w', '-t', c.table, '-N', c.chain],
      { okIf: /Chain already exists/ },
    );
  }
  for (const j of GLASS_JUMPS) {
    if (saved.rules.some((r) => r.table === j.table && r.chain === j.chain && sameArgs(r.args, j.args))) continue;
    // iptables-save may spell it differently: ask iptables itself before adding a second one.
    const check = await tryExec(ctx, ['iptables', '-w', '-t', j.table, '-C', j.chain, ...j.args]);
    if (check.exitCode === 0) continue;
    const argv = j.position
      ? ['iptables', '-w', '-t', j.table, '-I', j.chain, String(j.position), ...j.args]
      : ['iptables', '-w', '-t', j.table, '-A', j.chain, ...j.args];
    await execStep(ctx, { title: `Jump from ${j.chain} to ${j.args.at(-1)} (${j.table} table)`, why: j.why }, argv);
  }
}

/** Make glass's chains and the jumps to them, where missing (under the host lock). */
export async function ensureChains(ctx: NetContext): Promise<void> {
  await withHostLock('iptables', () => ensureChainsLocked(ctx));
}

/**
 * Add rules (each one Step with its own title and why), making glass's chains
 * and jumps first if needed; a rule already there (`-C`) is not added twice.
 * Under the host lock, so no other process removes the chains meanwhile.
 */
export async function addRules(ctx: NetContext, rules: ReadonlyArray<GlassRule & { title: string; why: string }>): Promise<void> {
  await withHostLock('iptables', async () => {
    await ensureChainsLocked(ctx);
    for (const r of rules) {
      const check = await tryExec(ctx, ruleArgv('-C', r));
      if (check.exitCode === 0) continue;
      await execStep(ctx, { title: r.title, why: r.why }, ruleArgv(r.position ? '-I' : '-A', r));
    }
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
    { okIf: /Bad rule|does a matching rule exist|No chain\/target\/match/ },
  );
}

/**
 * Delete every glass rule under a tag (a root's: "<rootHash>", or one
 * container's: "<rootHash>:<id>"), as listed by iptables-save; then remove
 * glass's chains if no rule of any root is left. Returns the rules deleted.
 */
export async function removeRulesTagged(ctx: NetContext, tag: string, opts: { exact?: boolean; why?: string } = {}): Promise<ListedRule[]> {
  return withHostLock('iptables', async () => {
    const rules = await listGlassRules(ctx, { tag, exact: opts.exact });
    for (const r of rules) {
      await execStep(
        ctx,
        { title: `Delete iptables rule ${r.chain} (${r.table} table) tagged glass:${r.tag}`, why: opts.why ?? 'Every rule glass adds carries a comment naming its state root and container, so clean-up finds exactly its own rules and no one else\'s.' },
        ['iptables', '-w', '-t', r.table, '-D', r.chain, ...r.args],
        { okIf: /Bad rule|does a matching rule exist|No chain\/target\/match/ },
      );
    }
    await deleteChainsIfUnusedLocked(ctx);
    return rules;
  });
}

async function deleteChainsIfUnusedLocked(ctx: NetContext): Promise<boolean> {
  const saved = await save(ctx);
  const ours = new Set<string>(GLASS_CHAINS.map((c) => c.chain));
  if (saved.rules.some((r) => ours.has(r.chain)) || glassRulesIn(saved).length) return false;
  for (const j of GLASS_JUMPS) {
    for (let n = 0; n < 10 && (await tryExec(ctx, ['iptables', '-w', '-t', j.table, '-C', j.chain, ...j.args])).exitCode === 0; n++) {
      await execStep(
        ctx,
        { title: `Remove the jump from ${j.chain} to ${j.args.at(-1)} (${j.table} table)`, why: 'No glass rule is left on this host (in any state root): the jumps into glass\'s chains go, then the chains.' },
        ['iptables', '-w', '-t', j.table, '-D', j.chain, ...j.args],
        { okIf: /Bad rule|does a matching rule exist|No chain\/target\/match/ },
      );
    }
  }
  for (const c of GLASS_CHAINS) {
    if (!saved.chains.get(c.table)?.has(c.chain)) continue;
    await execStep(
      ctx,
      { title: `Delete iptables chain ${c.chain} (${c.table} table)`, why: 'Empty and no longer jumped to: nothing of glass\'s is left in iptables.' },
      ['iptables', '-w', '-t', c.table, '-X', c.chain],
      { okIf: /No chain\/target\/match/ },
    );
  }
  return true;
}

/**
 * Remove glass's jumps and chains when no glass rule of any root remains;
 * returns whether it did. Safe to call after any clean-up.
 */
export async function deleteChainsIfUnused(ctx: NetContext): Promise<boolean> {
  return withHostLock('iptables', () => deleteChainsIfUnusedLocked(ctx));
}

/** For a Step's command line: the rule as a learner would type it. */
export function ruleCommand(op: '-A' | '-I' | '-D', r: GlassRule): string {
  return shellCommand(ruleArgv(op, r));
}
