/**
 * Carrying out a `Route` (node-pool.ts): a read that may try a second node and copy home what it finds,
 * writes issued to every copy together, and a lock `add` that must win on every node it is taken on. The
 * primary's answer is the call's answer; the copies' failures are told to the routing (`report`), never
 * thrown: a replica that failed to take a write is the routing's business (it remembers the key), not the
 * caller's.
 */
import type { Placement, PoolRouting, Route, RouteEvent } from './node-pool.js';

type Report = PoolRouting['report'];

/** A TTL no longer than `maxTtl` (0, "no expiry", becomes `maxTtl`). */
export function capTtl(ttlSeconds: number, maxTtl: number | undefined): number {
  if (maxTtl === undefined) return ttlSeconds;
  return ttlSeconds <= 0 ? maxTtl : Math.min(ttlSeconds, maxTtl);
}

/**
 * Reads the primary; on a miss, the route's `next`, adding a value found there at the primary when
 * `copyHome` (an entry: never a lock, whose copy would outlive its holder's TTL).
 */
export function routedGet(
  key: string,
  route: Route,
  copyHome: boolean,
  report: Report,
): Promise<Buffer | null> {
  const read = route.primary.node.get(key);
  const next = route.next;
  // The hit path: one read, no extra promise.
  if (next === undefined) return read;
  return read.then((value) => (value === null ? readNext(key, route, next, copyHome, report) : value));
}

async function readNext(
  key: string,
  route: Route,
  next: Placement,
  copyHome: boolean,
  report: Report,
): Promise<Buffer | null> {
  let found: Buffer | null;
  try {
    found = await next.node.get(key);
  } catch {
    return null; // the primary answered: a miss; the failure is the next node's own evidence
  }
  if (found !== null && copyHome && next.maxTtl !== undefined) {
    addHome(key, found, route.primary, next.maxTtl, next, report);
  }
  return found;
}

/**
 * Adds `value` at the primary for at most `ttl` seconds (the original's expiry is unknown: `next.maxTtl`
 * bounds it), without delaying the reader; `add` never replaces a newer value.
 */
function addHome(
  key: string,
  value: Buffer,
  home: Placement,
  ttl: number,
  from: Placement,
  report: Report,
): void {
  home.node.add(key, value, capTtl(ttl, home.maxTtl)).then(
    (added) => {
      if (added) tell(report, { kind: 'warm-copied', key, node: home.node, from: from.node });
    },
    (error: unknown) =>
      tell(report, { kind: 'copy-failed', key, node: home.node, operation: 'add', error, stale: false }),
  );
}

/**
 * Runs `write` on the primary and every copy together; resolves or rejects as the primary did, once every
 * copy has settled too (each is bounded by its node's timeout), so a resolved write is on every live copy.
 * `entry`: the key is an entry (a copy that failed may hold an older value), not a lock.
 */
export function routedWrite<T>(
  operation: string,
  key: string,
  entry: boolean,
  route: Route,
  report: Report,
  write: (placement: Placement) => Promise<T>,
): Promise<T> {
  return route.copies.length === 0
    ? write(route.primary)
    : writeAll(operation, key, entry, route, report, write);
}

async function writeAll<T>(
  operation: string,
  key: string,
  entry: boolean,
  route: Route,
  report: Report,
  write: (placement: Placement) => Promise<T>,
): Promise<T> {
  const primary = write(route.primary);
  const copies = route.copies.map((placement) =>
    write(placement).then(undefined, (error: unknown) =>
      tell(report, { kind: 'copy-failed', key, node: placement.node, operation, error, stale: entry }),
    ),
  );
  await Promise.allSettled([primary, ...copies]);
  return primary;
}

/**
 * An `add` that holds only if it wins on the primary and then on every copy (a lock taken on two nodes while
 * routing moves home: whichever node another worker uses, it finds the lock). Losing on a copy gives back
 * what this call took on the nodes before it. A copy that fails (not lost) does not undo the win: the node
 * that failed cannot hand the same lock to anyone else either, as long as it fails.
 */
export async function routedAdd(
  key: string,
  route: Route,
  report: Report,
  add: (placement: Placement) => Promise<boolean>,
): Promise<boolean> {
  if (route.copies.length === 0) return add(route.primary);
  if (!(await add(route.primary))) return false;
  const taken: Placement[] = [route.primary];
  for (const placement of route.copies) {
    let won: boolean;
    try {
      won = await add(placement);
    } catch (error) {
      tell(report, { kind: 'copy-failed', key, node: placement.node, operation: 'add', error, stale: false });
      continue;
    }
    if (won) {
      taken.push(placement);
      continue;
    }
    await Promise.allSettled(taken.map((p) => p.node.delete(key)));
    return false;
  }
  return true;
}

/** Tells the routing of a call's side work: a listener that throws must not fail the call. */
export function tell(report: Report, event: RouteEvent): void {
  try {
    report?.(event);
  } catch {
    // The routing's bookkeeping is evidence, not part of the call.
  }
}
