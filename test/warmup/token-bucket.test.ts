import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket } from '../../src/warmup/token-bucket.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TokenBucket', () => {
  it('spaces takes evenly at the rate, in call order', async () => {
    const bucket = new TokenBucket(10); // one per 100 ms
    const granted: number[] = [];
    const start = performance.now();
    const takes = Array.from({ length: 4 }, (_, i) =>
      bucket.take().then(() => granted.push(Math.round(performance.now() - start) * 10 + i)),
    );
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(takes);
    expect(granted).toEqual([0, 1001, 2002, 3003]); // at 0, 100, 200, 300 ms, in order
  });

  it('does not bank tokens during a pause (no burst)', async () => {
    const bucket = new TokenBucket(10);
    await bucket.take();
    await vi.advanceTimersByTimeAsync(5000);
    await bucket.take(); // the one token that refilled
    let third = false;
    void bucket.take().then(() => {
      third = true;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(third).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(third).toBe(true);
  });

  it('rejects a waiting take when aborted', async () => {
    const bucket = new TokenBucket(1);
    await bucket.take();
    const stop = new AbortController();
    const waiting = bucket.take(stop.signal);
    stop.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    await expect(bucket.take(stop.signal)).rejects.toThrow('stop');
  });
});
