/** The README's FAQ promise: the cache works under vitest fake timers, driven by advanceTimersByTimeAsync. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCache, MemoryStore } from '../src/index.js';

describe('with fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ages entries with the faked clock and lets a waiter see the holder’s value', async () => {
    const store = new MemoryStore();
    const [a, b] = [
      createCache({ store, ttl: 10, safeMode: 'always' }),
      createCache({ store, ttl: 10, safeMode: 'always' }),
    ];
    const loader = vi.fn(() => new Promise<string>((resolve) => setTimeout(() => resolve('v'), 1000)));
    const both = Promise.all([a.wrap('k', loader), b.wrap('k', loader)]);
    await vi.advanceTimersByTimeAsync(1100);
    expect(await both).toEqual(['v', 'v']);
    expect(loader).toHaveBeenCalledTimes(1);

    await vi.advanceTimersByTimeAsync(11_000); // past ttl: a miss again
    const reload = vi.fn(() => 'v2');
    expect(await a.wrap('k', reload)).toBe('v2');
    expect(reload).toHaveBeenCalledTimes(1);
  });
});
