import { describe, expect, it } from 'vitest';
import { type SketchCounter, SpaceSaving } from '../../src/warmup/space-saving.js';

class Counter implements SketchCounter {
  index = 0;
  constructor(
    readonly key: string,
    readonly error: number,
    public weight: number,
  ) {}
}

/** Adds `weight` to `key`, admitting it in place of the lightest counter when untracked. */
function observe(sketch: SpaceSaving<Counter>, key: string, weight: number): void {
  const counter = sketch.get(key);
  if (counter) {
    counter.weight += weight;
    sketch.reweigh(counter);
  } else {
    const error = sketch.floor();
    sketch.add(new Counter(key, error, error + weight));
  }
}

describe('SpaceSaving', () => {
  it('counts exactly while the distinct keys fit', () => {
    const sketch = new SpaceSaving<Counter>(10);
    for (let i = 0; i < 100; i++) observe(sketch, `k${i % 10}`, i % 10);
    expect(sketch.size).toBe(10);
    for (let k = 0; k < 10; k++) expect(sketch.get(`k${k}`)?.weight).toBe(k * 10);
    expect(sketch.counters().every((c) => c.error === 0)).toBe(true);
  });

  it('replaces the lightest counter, which passes its weight on as error', () => {
    const sketch = new SpaceSaving<Counter>(3);
    observe(sketch, 'a', 5);
    observe(sketch, 'b', 1);
    observe(sketch, 'c', 9);
    observe(sketch, 'd', 2);
    expect(sketch.get('b')).toBeUndefined();
    expect(sketch.get('d')).toMatchObject({ weight: 3, error: 1 });
    expect(sketch.size).toBe(3);
  });

  it('keeps the heap in order under arbitrary updates (up and down) and never exceeds capacity', () => {
    const sketch = new SpaceSaving<Counter>(64);
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 20_000; i++) {
      const key = `k${Math.floor(random() * 500)}`;
      const counter = sketch.get(key);
      if (counter && random() < 0.3) {
        counter.weight = Math.max(counter.error, counter.weight - random() * 50); // a cost went down
        sketch.reweigh(counter);
      } else {
        observe(sketch, key, random() * 100);
      }
      expect(sketch.size).toBeLessThanOrEqual(64);
    }
    const weights = sketch.counters().map((c) => c.weight);
    expect(sketch.floor()).toBe(Math.min(...weights));
    sketch.counters().forEach((c, i) => {
      expect(c.index).toBe(i);
      if (i > 0) expect((sketch.counters()[(i - 1) >> 1] as Counter).weight).toBeLessThanOrEqual(c.weight);
    });
  });
});
