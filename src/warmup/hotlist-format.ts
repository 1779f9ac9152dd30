/**
 * The hotlist file: versioned JSON that outlives memcached. One file per process; readers merge them.
 *
 *   { "version": 1, "writtenAt": "2025-01-01T00:00:00.000Z", "pid": 123, "host": "web-1",
 *     "entries": [{ "key": "product:[42]", "count": 1200, "costMs": 85.2,
 *                   "replay": { "kind": "loader", "name": "product", "args": [42] } }] }
 *
 * `replay` is null when warmup cannot reproduce the request (a plain `wrap()` key, or arguments that are
 * not plain JSON and would come back different).
 */
import { StampedeGuardError } from '../errors.js';
import type { Replay } from '../recorder.js';
import { describeJsonError } from './json-error.js';

export const HOTLIST_VERSION = 1;

/** One key of a hotlist: how often it was requested and what loading it costs. */
export interface HotlistEntry {
  /** The cache key as the application gave it (before namespacing). */
  key: string;
  /** Requests seen (summed over processes when merged). */
  count: number;
  /** Estimated cost of one load, in ms (count-weighted mean over processes when merged). */
  costMs: number;
  /** How to reproduce the request, or null when it cannot be replayed. */
  replay: Replay | null;
}

/** A hotlist entry with its rank: `count * costMs`, the database time its loss would cost. */
export interface RankedEntry extends HotlistEntry {
  impactMs: number;
}

export interface HotlistFile {
  version: typeof HOTLIST_VERSION;
  /** ISO date of the write. */
  writtenAt: string;
  pid: number;
  host: string;
  entries: HotlistEntry[];
}

/** A hotlist file is missing, unreadable, corrupt or of another version. The message names the file. */
export class HotlistError extends StampedeGuardError<'E_HOTLIST'> {
  /** The file or directory involved. */
  readonly file: string;

  constructor(file: string, reason: string, cause?: unknown) {
    super('E_HOTLIST', `hotlist ${file}: ${reason}`, { cause });
    this.file = file;
  }
}

/** Parses and validates the text of a hotlist file. Throws `HotlistError` naming `file`. */
export function parseHotlist(text: string, file: string): HotlistFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new HotlistError(file, `not valid JSON ${describeJsonError(error as Error, text)}`, error);
  }
  if (!isRecord(data)) throw new HotlistError(file, 'not a hotlist (expected a JSON object)');
  if (data.version !== HOTLIST_VERSION) {
    throw new HotlistError(
      file,
      `unsupported version ${JSON.stringify(data.version)} (expected ${HOTLIST_VERSION})`,
    );
  }
  if (!Array.isArray(data.entries)) throw new HotlistError(file, '`entries` is not an array');
  const entries = data.entries.map((raw, i) => {
    const problem = entryProblem(raw);
    if (problem) throw new HotlistError(file, `entries[${i}]: ${problem}`);
    return raw as HotlistEntry;
  });
  return {
    version: HOTLIST_VERSION,
    writtenAt: String(data.writtenAt ?? ''),
    pid: Number(data.pid ?? 0),
    host: String(data.host ?? ''),
    entries,
  };
}

function entryProblem(raw: unknown): string | undefined {
  if (!isRecord(raw)) return 'not an object';
  if (typeof raw.key !== 'string' || raw.key.length === 0) return '`key` is not a non-empty string';
  if (!isNonNegative(raw.count)) return '`count` is not a number >= 0';
  if (!isNonNegative(raw.costMs)) return '`costMs` is not a number >= 0';
  if (raw.replay !== null && !isReplay(raw.replay)) return '`replay` is neither null nor a valid replay';
  return undefined;
}

function isReplay(value: unknown): value is Replay {
  if (!isRecord(value)) return false;
  if (value.kind === 'url') return typeof value.url === 'string' && value.url.length > 0;
  return (
    value.kind === 'loader' &&
    typeof value.name === 'string' &&
    value.name.length > 0 &&
    Array.isArray(value.args)
  );
}

/**
 * Whether `value` survives a JSON round trip unchanged (null, booleans, finite numbers, strings, arrays
 * and plain objects of those). A Date or a BigInt would come back as something else, and a replay with
 * other arguments could load another key.
 */
export function isPlainJson(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isPlainJson(v, depth + 1));
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value).every((v) => isPlainJson(v, depth + 1));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
