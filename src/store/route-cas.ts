/**
 * Compare-and-swap over a `Route` (node-pool.ts). A CAS token is one node's version of one item, so the
 * primary decides: the comparison runs there, and the copies follow only when it succeeded, with plain
 * writes (an entry's replicas then hold the value the primary accepted). A key routed with another (a
 * lock) taken while its node is on its way home is added on the copies too, and given back at the primary
 * (by its CAS) when a copy is held by someone else: won everywhere or nowhere. Its owner-checked read,
 * extension and release look at the primary, then (where the primary has none) at the route's `next`.
 */
import type { CasDeleteOutcome, CasMismatch, CasToken, CasValue } from './cas.js';
import type { Placement, PoolRouting, Route } from './node-pool.js';
import { capTtl, tell } from './route-calls.js';

type Report = PoolRouting['report'];

/** A lock on its way home may be held on either node of its route: the primary, else `next`. */
export async function routedGetWithCas(key: string, route: Route, single: boolean): Promise<CasValue | null> {
  const found = await route.primary.node.getWithCas(key);
  if (found !== null || !single || route.next === undefined) return found;
  return route.next.node.getWithCas(key);
}

export async function routedAddWithCas(
  key: string,
  value: Buffer,
  ttlSeconds: number,
  single: boolean,
  route: Route,
  report: Report,
): Promise<CasToken | null> {
  const { primary, copies } = route;
  const token = await primary.node.addWithCas(key, value, capTtl(ttlSeconds, primary.maxTtl));
  if (token === null || copies.length === 0) return token;
  const add = (p: Placement) => p.node.add(key, value, capTtl(ttlSeconds, p.maxTtl));
  if (!single) {
    await followCopies('add', key, copies, report, add);
    return token;
  }
  for (const copy of copies) {
    let won: boolean;
    try {
      won = await add(copy);
    } catch (error) {
      tell(report, { kind: 'copy-failed', key, node: copy.node, operation: 'add', error, stale: false });
      continue; // a node that fails cannot give the lock to anyone else either
    }
    if (!won) {
      await primary.node.deleteIfCas(key, token).catch(() => undefined);
      return null;
    }
  }
  return token;
}

export async function routedSetIfCas(
  key: string,
  value: Buffer,
  ttlSeconds: number,
  cas: CasToken,
  single: boolean,
  route: Route,
  report: Report,
): Promise<CasToken | CasMismatch> {
  const { primary, copies } = route;
  const outcome = await primary.node.setIfCas(key, value, capTtl(ttlSeconds, primary.maxTtl), cas);
  // A lock held on `next` only (taken there before routing moved) is extended there.
  const next = route.next;
  if (single && outcome === 'missing' && next !== undefined) {
    return next.node.setIfCas(key, value, capTtl(ttlSeconds, next.maxTtl), cas);
  }
  if (typeof outcome === 'bigint' && !single)
    await followCopies('set', key, copies, report, (p) =>
      p.node.set(key, value, capTtl(ttlSeconds, p.maxTtl)),
    );
  return outcome;
}

export async function routedDeleteIfCas(
  key: string,
  cas: CasToken,
  single: boolean,
  route: Route,
  report: Report,
): Promise<CasDeleteOutcome> {
  const outcome = await route.primary.node.deleteIfCas(key, cas);
  if (outcome === 'deleted' && !single)
    await followCopies('delete', key, route.copies, report, (p) => p.node.delete(key));
  return outcome;
}

/** The copies of an entry follow a write the primary accepted; their failures are reported, not thrown. */
async function followCopies<T>(
  operation: string,
  key: string,
  copies: readonly Placement[],
  report: Report,
  write: (placement: Placement) => Promise<T>,
): Promise<void> {
  await Promise.all(
    copies.map((copy) =>
      write(copy).then(undefined, (error: unknown) =>
        tell(report, { kind: 'copy-failed', key, node: copy.node, operation, error, stale: true }),
      ),
    ),
  );
}
