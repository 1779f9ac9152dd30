import { describe, expect, it } from 'vitest';
import { RendezvousRouter } from '../src/store/rendezvous.js';

const keys = Array.from({ length: 20_000 }, (_, i) => `app:user:${i}`);
const nodes = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `10.0.0.${i + 1}:11211`, weight: 1 }));

function shares(router: RendezvousRouter, count: number): number[] {
  const counts = new Array<number>(count).fill(0);
  for (const key of keys) counts[router.pick(key)] = (counts[router.pick(key)] ?? 0) + 1;
  return counts.map((c) => c / keys.length);
}

describe('RendezvousRouter', () => {
  it('spreads keys evenly over equal nodes', () => {
    for (const share of shares(new RendezvousRouter(nodes(4)), 4)) expect(share).toBeCloseTo(0.25, 1);
  });

  it('honours weights', () => {
    const weighted = nodes(3).map((n, i) => ({ ...n, weight: i === 0 ? 2 : 1 }));
    const s = shares(new RendezvousRouter(weighted), 3);
    expect(s[0]).toBeCloseTo(0.5, 1);
    expect(s[1]).toBeCloseTo(0.25, 1);
  });

  it('moves only the removed node’s keys when a node goes away', () => {
    const four = nodes(4);
    const before = new RendezvousRouter(four);
    const after = new RendezvousRouter(four.filter((_, i) => i !== 2));
    let moved = 0;
    let onRemoved = 0;
    for (const key of keys) {
      const owner = four[before.pick(key)]?.id;
      const next = four.filter((_, i) => i !== 2)[after.pick(key)]?.id;
      if (owner === four[2]?.id) onRemoved++;
      else if (owner !== next) moved++;
    }
    expect(moved).toBe(0);
    expect(onRemoved / keys.length).toBeCloseTo(0.25, 1);
  });

  it('ranks every node, the owner first, the same in every process', () => {
    const router = new RendezvousRouter(nodes(5));
    const rank = router.rank('app:user:7');
    expect(rank).toHaveLength(5);
    expect(new Set(rank).size).toBe(5);
    expect(rank[0]).toBe(router.pick('app:user:7'));
    expect(new RendezvousRouter(nodes(5)).rank('app:user:7')).toEqual(rank);
  });
});
