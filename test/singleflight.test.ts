import { describe, expect, it } from 'vitest';
import { Singleflight } from '../src/read-through/singleflight.js';
import { deferred } from './support/deferred.js';

describe('Singleflight', () => {
  it('runs one call while 100 pile up, and gives all of them its result', async () => {
    const group = new Singleflight<number>();
    const gate = deferred<number>();
    let calls = 0;
    const flights = Array.from({ length: 100 }, () =>
      group.run('k', () => {
        calls++;
        return gate.promise;
      }),
    );
    expect(flights.filter((f) => f.joined)).toHaveLength(99);
    gate.resolve(7);
    expect(await Promise.all(flights.map((f) => f.promise))).toEqual(new Array(100).fill(7));
    expect(calls).toBe(1);
    expect(group.size).toBe(0);
  });

  it('gives every joiner the same error, then starts afresh', async () => {
    const group = new Singleflight<number>();
    const gate = deferred<number>();
    const a = group.run('k', () => gate.promise);
    const b = group.run('k', () => Promise.resolve(1));
    gate.reject(new Error('boom'));
    await expect(a.promise).rejects.toThrow('boom');
    await expect(b.promise).rejects.toThrow('boom');
    const c = group.run('k', () => Promise.resolve(2));
    expect(c.joined).toBe(false);
    expect(await c.promise).toBe(2);
  });

  it('keeps keys apart', async () => {
    const group = new Singleflight<string>();
    const a = group.run('a', async () => 'a');
    const b = group.run('b', async () => 'b');
    expect(b.joined).toBe(false);
    expect(await Promise.all([a.promise, b.promise])).toEqual(['a', 'b']);
  });
});
