/**
 * Listeners are user code: whatever one does (throw an Error, throw a value that cannot even be printed,
 * return a promise that rejects), no call fails, no other listener misses the event, and the process
 * neither exits nor sees an unhandled rejection. The failure becomes a StampedeGuardWarning.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeThrown } from '../src/errors.js';
import { TypedEmitter } from '../src/events.js';
import { createCache, MemoryStore } from '../src/index.js';
import { sleep } from './support/deferred.js';
import { freePort } from './support/memcached.js';

/** Thrown values that break naive error handling: `String()` of the first two throws. */
const unprintable = () => [
  Object.create(null) as object,
  { toString: () => ({}), valueOf: () => ({}) },
  new Proxy(
    {},
    {
      getPrototypeOf: () => {
        throw new Error('trap');
      },
    },
  ),
];

let warnings: string[];
let processFailures: unknown[];
const onProcessFailure = (error: unknown) => processFailures.push(error);

beforeEach(() => {
  warnings = [];
  processFailures = [];
  vi.spyOn(process, 'emitWarning').mockImplementation((warning) => {
    warnings.push(String(warning));
  });
  process.on('unhandledRejection', onProcessFailure);
  process.on('uncaughtException', onProcessFailure);
});

afterEach(() => {
  vi.restoreAllMocks();
  process.off('unhandledRejection', onProcessFailure);
  process.off('uncaughtException', onProcessFailure);
});

describe('describeThrown()', () => {
  it('describes anything without throwing', () => {
    expect(describeThrown(new Error('boom'))).toBe('boom');
    expect(describeThrown('text')).toBe('text');
    expect(describeThrown(Object.create(null))).toBe('[object Object]');
    for (const value of unprintable()) expect(typeof describeThrown(value)).toBe('string');
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(describeThrown(proxy)).toBe('a value that cannot be described');
  });
});

describe('TypedEmitter', () => {
  it('knows who listens as listeners come and go (on, off, once that fired, removed once)', () => {
    const emitter = new TypedEmitter<{ tick: null; tock: null }>();
    const listener = () => undefined;
    expect(emitter.listening('tick')).toBe(false);
    emitter.on('tick', listener).on('tick', listener);
    expect(emitter.listening('tick')).toBe(true);
    expect(emitter.listening('tock')).toBe(false);
    emitter.off('tick', listener);
    expect(emitter.listening('tick')).toBe(true);
    emitter.off('tick', listener);
    expect(emitter.listening('tick')).toBe(false);
    emitter.once('tock', listener);
    emitter.emit('tock', null);
    expect(emitter.listening('tock')).toBe(false);
    emitter.once('tock', listener);
    emitter.off('tock', listener);
    expect(emitter.listening('tock')).toBe(false);
  });

  it('calls every listener even when earlier ones throw, and warns once per failure', () => {
    const emitter = new TypedEmitter<{ tick: { n: number } }>();
    const heard: number[] = [];
    for (const value of unprintable()) {
      emitter.on('tick', () => {
        throw value;
      });
    }
    emitter.once('tick', (e) => heard.push(e.n));
    emitter.on('tick', (e) => heard.push(e.n * 10));
    expect(() => emitter.emit('tick', { n: 1 })).not.toThrow();
    emitter.emit('tick', { n: 2 });
    expect(heard).toEqual([1, 10, 20]); // the once listener heard the first tick only
    expect(warnings).toHaveLength(6);
    expect(warnings[0]).toMatch(/a 'tick' listener threw: \[object Object\]/);
  });

  it('turns an async listener that rejects into a warning, not an unhandled rejection', async () => {
    const emitter = new TypedEmitter<{ tick: null }>();
    emitter.on('tick', async () => {
      throw Object.create(null);
    });
    emitter.on('tick', () => Promise.reject(new Error('later')));
    emitter.emit('tick', null);
    await sleep(20);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/a 'tick' listener threw: later/);
    expect(processFailures).toEqual([]);
  });
});

describe('a cache whose listeners misbehave', () => {
  it('still answers every wrap() when a listener throws a value String() cannot print', async () => {
    const cache = createCache({ store: new MemoryStore(), safeMode: 'always' });
    for (const name of ['miss', 'load', 'lock:acquired', 'lock:released', 'hit'] as const) {
      cache.on(name, () => {
        throw Object.create(null);
      });
    }
    expect(await cache.wrap('k', () => 'v')).toBe('v');
    expect(await cache.wrap('k', () => 'not called')).toBe('v');
    expect(warnings.length).toBeGreaterThanOrEqual(5);
    await cache.close();
  });

  it('does not reject anything when an async listener rejects', async () => {
    const cache = createCache({ store: new MemoryStore() });
    cache.on('miss', async () => {
      throw new Error('async listener');
    });
    expect(await cache.wrap('k', () => 'v')).toBe('v');
    await sleep(20);
    expect(processFailures).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining('async listener')]);
    await cache.close();
  });

  it("survives a 'node:down' listener that throws an unprintable value (monitor and call paths)", async () => {
    const dead = `127.0.0.1:${await freePort()}`; // nothing listens: refused, down at the first call
    const cache = createCache({ servers: [dead], opTimeoutMs: 100, probeIntervalMs: 50 });
    const downs: unknown[] = [];
    cache.on('node:down', () => {
      throw Object.create(null);
    });
    cache.on('node:down', (e) => downs.push(e));
    expect(await cache.wrap('k', () => 'from loader')).toBe('from loader');
    await sleep(200); // a few probe rounds, each failing
    expect(downs).toEqual([{ node: dead, reason: 'refused' }]);
    expect(processFailures).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/'node:down' listener threw/)]);
    await cache.close();
  });
});
