/**
 * Weighted Space-Saving (Metwally et al., 2005): at most `capacity` counters whatever the number of
 * distinct keys. A key that is not tracked takes the lightest counter's place and inherits its weight as
 * `error`, so any key whose true weight exceeds total weight / capacity is guaranteed to be tracked, and
 * a tracked weight overestimates by at most its `error`.
 *
 * Weights here are updated by arbitrary amounts (up and down, as cost estimates change), so the counters
 * sit in an indexed binary min-heap rather than the unit-increment bucket list: an update is O(log k) in
 * the worst case and O(1) in the common one, since heavy keys live near the leaves and rarely move.
 */

/** What the sketch needs of a counter; the recorder keeps its own fields next to these. */
export interface SketchCounter {
  readonly key: string;
  /** The ranking weight (overestimate): `error` plus what was observed since the key was tracked. */
  weight: number;
  /** Weight inherited from the counter this key replaced: the bound on the overestimate. */
  readonly error: number;
  /** Position in the heap, maintained by the sketch. */
  index: number;
}

export class SpaceSaving<C extends SketchCounter> {
  readonly capacity: number;
  readonly #byKey = new Map<string, C>();
  readonly #heap: C[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#heap.length;
  }

  get(key: string): C | undefined {
    return this.#byKey.get(key);
  }

  /** The weight a new counter inherits as its error: the lightest weight when full, else 0. */
  floor(): number {
    return this.#heap.length < this.capacity ? 0 : (this.#heap[0]?.weight ?? 0);
  }

  /** Tracks a new counter (its key must not be tracked), evicting the lightest one when full. */
  add(counter: C): void {
    const heap = this.#heap;
    if (heap.length >= this.capacity) {
      const lightest = heap[0] as C;
      this.#byKey.delete(lightest.key);
      counter.index = 0;
      heap[0] = counter;
    } else {
      counter.index = heap.length;
      heap.push(counter);
    }
    this.#byKey.set(counter.key, counter);
    this.reweigh(counter);
  }

  /** Restores the heap order after the caller changed `counter.weight`. */
  reweigh(counter: C): void {
    if (!this.#siftUp(counter.index)) this.#siftDown(counter.index);
  }

  /** Every tracked counter, in no particular order. */
  counters(): readonly C[] {
    return this.#heap;
  }

  #siftUp(i: number): boolean {
    const heap = this.#heap;
    const item = heap[i] as C;
    const start = i;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex] as C;
      if (parent.weight <= item.weight) break;
      heap[i] = parent;
      parent.index = i;
      i = parentIndex;
    }
    heap[i] = item;
    item.index = i;
    return i !== start;
  }

  #siftDown(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const item = heap[i] as C;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && (heap[right] as C).weight < (heap[left] as C).weight) child = right;
      const smaller = heap[child] as C;
      if (smaller.weight >= item.weight) break;
      heap[i] = smaller;
      smaller.index = i;
      i = child;
    }
    heap[i] = item;
    item.index = i;
  }
}
