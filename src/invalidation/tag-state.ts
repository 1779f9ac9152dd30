/**
 * What memcached holds for one tag, and how an entry's stamp of it is judged. A tag's state is two random
 * versions and a time: `current` changes with every invalidation of the tag, `epoch` only with a hard one,
 * and `atMs` says when the last one happened (the invalidating process's clock: it bounds only how long
 * the old value is served stale, never whether it is fresh). Versions are compared for equality only, so
 * clocks and counters need not agree across hosts.
 *
 *   stored  `sgt1 <current> <epoch> <atMs>`        an entry's stamp: `<current> <epoch>`
 */
import { randomBytes } from 'node:crypto';

export interface TagState {
  current: string;
  epoch: string;
  /** Epoch ms of the last invalidation (or of the tag's creation), by the writer's clock. */
  atMs: number;
}

/** How an entry's stamp of a tag stands against the tag's state now. */
export type StampVerdict =
  /** The tag was not invalidated since the entry's load started. */
  | { kind: 'fresh' }
  /** Soft invalidation (or the tag's state is gone: evicted, a node lost): stale from `sinceMs`. */
  | { kind: 'stale'; sinceMs: number }
  /** Hard invalidation since the load: the entry is not servable at all. */
  | { kind: 'gone' };

const PREFIX = 'sgt1 ';
const STATE = /^sgt1 ([\w-]{1,64}) ([\w-]{1,64}) (\d{1,16})$/;
/** States decoded lately, by their stored text: a tag's state changes rarely and is read on every hit. */
const decoded = new Map<string, TagState>();
const DECODED_MAX = 1024;

/** A random version: 64 bits, so two invalidations never pick the same one. */
export function newVersion(): string {
  return randomBytes(8).toString('base64url');
}

/** The state a tag gets when it is created, or invalidated softly (`epoch` kept) or hard (a new one). */
export function nextState(previous: TagState | null, hard: boolean, nowMs = Date.now()): TagState {
  const epoch = previous && !hard ? previous.epoch : newVersion();
  return { current: newVersion(), epoch, atMs: Math.round(nowMs) };
}

export function encodeTagState(state: TagState): Buffer {
  return Buffer.from(`${PREFIX}${state.current} ${state.epoch} ${state.atMs}`, 'latin1');
}

/** The state stored under a tag key; null for bytes that are not one (read as a tag without state). */
export function decodeTagState(bytes: Buffer | null): TagState | null {
  if (bytes === null) return null;
  const text = bytes.toString('latin1');
  const known = decoded.get(text);
  if (known !== undefined) return known;
  const match = STATE.exec(text);
  if (!match) return null;
  const state = { current: match[1] as string, epoch: match[2] as string, atMs: Number(match[3]) };
  if (decoded.size >= DECODED_MAX) decoded.clear();
  decoded.set(text, state);
  return state;
}

/** What an entry stores for a tag: the versions it had when the entry's load started. */
export function stampOf(state: TagState): string {
  return `${state.current} ${state.epoch}`;
}

/** Judges an entry's stamp of a tag against the tag's state now (null: the tag has no state). */
export function judgeStamp(stamp: string, state: TagState | null, nowMs: number): StampVerdict {
  if (state === null) return { kind: 'stale', sinceMs: nowMs };
  // The usual case, without allocating: the stamp is exactly `<current> <epoch>`.
  const space = state.current.length;
  const exact =
    stamp.length === space + 1 + state.epoch.length &&
    stamp.charCodeAt(space) === 32 &&
    stamp.startsWith(state.current) &&
    stamp.endsWith(state.epoch);
  if (exact) return FRESH;
  if (stamp.slice(stamp.indexOf(' ') + 1) === state.epoch) return { kind: 'stale', sinceMs: state.atMs };
  return { kind: 'gone' };
}

const FRESH: StampVerdict = Object.freeze({ kind: 'fresh' });
