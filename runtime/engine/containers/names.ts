import { randomBytes, randomInt } from 'node:crypto';

/**
 * Container IDs are 256 random bits written as 64 hex digits, shown by their
 * first 12, like Docker's. Names are adjective_surname pairs, also like
 * Docker's, honouring people who built the systems containers stand on.
 */
export const newId = () => randomBytes(32).toString('hex');

const ADJECTIVES = [
  'brave', 'calm', 'clever', 'curious', 'eager', 'fervent', 'gentle', 'happy', 'hopeful', 'jolly',
  'keen', 'kind', 'lucid', 'merry', 'modest', 'nifty', 'patient', 'quiet', 'quirky', 'relaxed',
  'serene', 'sharp', 'stoic', 'sweet', 'tender', 'upbeat', 'vibrant', 'wise', 'witty', 'zealous',
];
const SURNAMES = [
  'thompson', 'ritchie', 'torvalds', 'kernighan', 'hopper', 'lovelace', 'hamilton', 'liskov', 'knuth', 'dijkstra',
  'lamport', 'tanenbaum', 'mccarthy', 'backus', 'allen', 'goldwasser', 'turing', 'babbage', 'shannon', 'cerf',
  'kahn', 'metcalfe', 'perlman', 'wozniak', 'joy', 'pike', 'thompson', 'bellard', 'corbato', 'saltzer',
];

export function randomName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
}

/** Docker's rule: at least two characters, [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
export const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export const isValidName = (name: string) => VALID_NAME.test(name);
