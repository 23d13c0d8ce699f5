/** (B-parse: API stub, filled in next.) */
import type { BuildContext } from './context.js';
import type { ResolvedSource } from './context.js';

/** sha256 hex of one entry: a tar-header-like record (name, mode, uid, gid, size, type, link; no mtime) + content. */
export async function entryChecksum(ctx: BuildContext, path: string): Promise<string> {
  void ctx; void path;
  throw new Error('B-parse: not implemented yet');
}

/** Docker's copy hash of ONE resolved source: "file:<hex>" or "dir:<hex>" (dir = sha256 of its entries' sums, sorted, joined by ","). */
export async function sourceChecksum(ctx: BuildContext, src: ResolvedSource): Promise<string> {
  void ctx; void src;
  throw new Error('B-parse: not implemented yet');
}

/** Docker's getSourceHashFromInfos: one hash as is, several → "multi:" + sha256(hashes joined by ","). */
export function combineChecksums(hashes: string[]): string {
  void hashes;
  throw new Error('B-parse: not implemented yet');
}
