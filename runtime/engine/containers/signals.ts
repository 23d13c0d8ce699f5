import { constants as osConstants } from 'node:os';
import { GlassError } from '../errors.js';

/**
 * Signals as users write them: "KILL", "SIGKILL", "kill" or "9" (Docker
 * accepts each). A bad one is refused before anything is sent.
 */
export function parseSignal(s: string | number): NodeJS.Signals | number {
  if (typeof s === 'number' || /^\d+$/.test(s)) {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new GlassError('INVALID_ARGUMENT', `invalid signal: ${s} (signals are 1 to 64)`);
    return n;
  }
  const name = ('SIG' + s.toUpperCase().replace(/^SIG/, '')) as NodeJS.Signals;
  if (!(name in osConstants.signals)) throw new GlassError('INVALID_ARGUMENT', `invalid signal: ${s} (try KILL, TERM, INT, HUP or a number)`);
  return name;
}

/** The signal's number, as Docker's kill event reports it (signal=15). */
export function signalNumber(sig: NodeJS.Signals | number): number {
  return typeof sig === 'number' ? sig : (osConstants.signals as Record<string, number>)[sig] ?? 0;
}
