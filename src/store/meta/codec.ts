/**
 * The meta commands this transport sends and how it reads their answers (memcached's doc/protocol.txt,
 * "Meta Commands"; behaviour checked on memcached 1.6.18). Only base flags: `v` value, `c` CAS, `T` TTL,
 * `C` compare CAS, `M` mode (`ME` is add: `MA` is append), and `O` opaque, which the connection appends to
 * every meta command and checks on every answer so that a stream out of step is never read as an answer.
 * No `q` (noreply): every answer here matters, and a quiet miss saves 4 bytes but needs an `mn` per batch.
 */
import { InvalidOptionError } from '../../errors.js';
import type { CasDeleteOutcome, CasMismatch, CasToken, CasValue } from '../cas.js';
import { MetaProtocolError } from './parser.js';

/** Reads the answer to one command (line without CRLF, and its value block if any). */
export type AnswerReader<T> = (line: string, value: Buffer | null) => T;

/** memcached's limit; keys.ts keeps ours at 245 plus the lock's `safe-` prefix. */
const MAX_KEY_BYTES = 250;
/** Printable ASCII without space: anything else would end the key or the command line. */
const KEY = /^[\x21-\x7e]+$/;

/**
 * Throws InvalidOptionError for a key memcached would refuse or misread, before anything is sent: in a
 * text protocol a space or CRLF in a key would inject a command into the shared connection.
 */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_BYTES || !KEY.test(key)) {
    throw new InvalidOptionError(
      'key',
      'a memcached key: 1 to 250 printable ASCII characters, no space',
      key,
    );
  }
}

export const commands = {
  get: (key: string) => `mg ${key} v`,
  getWithCas: (key: string) => `mg ${key} v c`,
  touch: (key: string, exptime: number) => `mg ${key} T${exptime}`,
  set: (key: string, size: number, exptime: number) => `ms ${key} ${size} T${exptime}`,
  add: (key: string, size: number, exptime: number) => `ms ${key} ${size} ME T${exptime}`,
  addWithCas: (key: string, size: number, exptime: number) => `ms ${key} ${size} ME c T${exptime}`,
  setIfCas: (key: string, size: number, exptime: number, cas: CasToken) =>
    `ms ${key} ${size} C${cas} c T${exptime}`,
  delete: (key: string) => `md ${key}`,
  deleteIfCas: (key: string, cas: CasToken) => `md ${key} C${cas}`,
};

/** The two-letter status of an answer line. */
function status(line: string): string {
  return line.length === 2 || line.charCodeAt(2) === 0x20 ? line.slice(0, 2) : line;
}

function unexpected(line: string, command: string): MetaProtocolError {
  return new MetaProtocolError(`answer ${JSON.stringify(line.slice(0, 60))} to ${command}`);
}

/** The token of flag `flag` in an answer line (`c123` gives 123), or undefined. */
export function flagToken(line: string, flag: string): string | undefined {
  const at = line.indexOf(` ${flag}`);
  if (at === -1) return undefined;
  const end = line.indexOf(' ', at + 2);
  return line.slice(at + 2, end === -1 ? line.length : end);
}

function casOf(line: string): CasToken {
  const token = flagToken(line, 'c');
  if (token === undefined || !/^\d{1,20}$/.test(token)) throw unexpected(line, 'a CAS request');
  return BigInt(token);
}

export const readers = {
  value: ((line, value) => {
    if (value !== null) return value;
    if (status(line) === 'EN') return null;
    throw unexpected(line, 'mg v');
  }) as AnswerReader<Buffer | null>,

  valueWithCas: ((line, value) => {
    if (value !== null) return { value, cas: casOf(line) };
    if (status(line) === 'EN') return null;
    throw unexpected(line, 'mg v c');
  }) as AnswerReader<CasValue | null>,

  /** `mg T` (touch): HD when the item was there, EN when not. */
  found: ((line) => {
    const code = status(line);
    if (code === 'HD') return true;
    if (code === 'EN') return false;
    throw unexpected(line, 'mg T');
  }) as AnswerReader<boolean>,

  stored: ((line) => {
    if (status(line) === 'HD') return undefined;
    throw unexpected(line, 'ms');
  }) as AnswerReader<void>,

  /** `ms ME` (add): HD stored, NS already there. */
  added: ((line) => {
    const code = status(line);
    if (code === 'HD') return true;
    if (code === 'NS') return false;
    throw unexpected(line, 'ms ME');
  }) as AnswerReader<boolean>,

  addedWithCas: ((line) => {
    const code = status(line);
    if (code === 'HD') return casOf(line);
    if (code === 'NS') return null;
    throw unexpected(line, 'ms ME c');
  }) as AnswerReader<CasToken | null>,

  /** `ms C<cas> c`: the new CAS when stored, or why not. */
  storedIfCas: ((line) => {
    const code = status(line);
    if (code === 'HD') return casOf(line);
    if (code === 'EX') return 'changed';
    if (code === 'NF') return 'missing';
    throw unexpected(line, 'ms C');
  }) as AnswerReader<CasToken | CasMismatch>,

  /** `md`: HD deleted, NF absent. */
  deleted: ((line) => {
    const code = status(line);
    if (code === 'HD') return true;
    if (code === 'NF') return false;
    throw unexpected(line, 'md');
  }) as AnswerReader<boolean>,

  deletedIfCas: ((line) => {
    const code = status(line);
    if (code === 'HD') return 'deleted';
    if (code === 'EX') return 'changed';
    if (code === 'NF') return 'missing';
    throw unexpected(line, 'md C');
  }) as AnswerReader<CasDeleteOutcome>,
};
