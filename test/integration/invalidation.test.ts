/**
 * Invalidation across real processes and real memcached, on both transports (issue 12's acceptance):
 * the race of a load in flight with delete / set / invalidate / invalidateTags (the invalidation in one
 * process, the load in the other), also during a grace background refresh; a soft purge under load in
 * 4 processes x 50 callers; 1,000 tagged entries in 4 processes and one invalidateTags().
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCache, MemcachedStore, MetaStore } from '../../src/index.js';
import { CountingStore } from '../support/counting-store.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { command, nextMessage } from '../support/worker-commands.js';
import { killAllWorkers, spawnWorkers, type WorkerGroup } from '../support/workers.js';

const WORKER = fileURLToPath(new URL('../fixtures/invalidation-worker.ts', import.meta.url));
const LOADER_MS = 300;
let node: MemcachedProcess;
let dir: string;
let round = 0;

beforeAll(async () => {
  node = await startMemcached();
  dir = mkdtempSync(join(tmpdir(), 'sg-invalidation-'));
});
afterEach(killAllWorkers);
afterAll(async () => {
  await stopAllMemcached();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['binary', 'meta'] as const)('invalidation across processes (%s)', (protocol) => {
  async function cluster(count: number, options: object = {}) {
    // A generous opTimeoutMs: the tests are about the race, and share 2 cores with whatever else runs.
    const db = join(dir, `db-${round++}`);
    writeFileSync(db, 'old');
    const namespace = `inv${round}`;
    const group = await spawnWorkers(WORKER, {
      count,
      env: {
        SERVERS: node.address,
        DB_FILE: db,
        CACHE_OPTIONS: JSON.stringify({
          namespace,
          protocol,
          safeMode: 'always',
          opTimeoutMs: 2000,
          ...options,
        }),
      },
    });
    return { group, db, namespace };
  }

  const invalidations: Array<[string, (g: WorkerGroup) => Promise<unknown>]> = [
    ['delete', (g) => command(g, 0, 'delete', { key: 'row' })],
    ['set', (g) => command(g, 0, 'set', { key: 'row', value: 'new' })],
    ['invalidate', (g) => command(g, 0, 'invalidate', { key: 'row' })],
    ['invalidateTags', (g) => command(g, 0, 'invalidateTags', { tags: ['rows'] })],
  ];

  it.each(invalidations)('a load in flight in another process never undoes %s()', async (_, invalidate) => {
    const { group, db } = await cluster(2);
    const loading = command(group, 1, 'answer', { key: 'row', tags: ['rows'], loaderMs: LOADER_MS });
    expect(await nextMessage(group, 1, 'load-start')).toMatchObject({ seen: 'old' });
    writeFileSync(db, 'new');
    await invalidate(group);
    expect(await loading).toMatchObject({ value: 'old', source: 'loaded' }); // its own caller only
    for (const index of [0, 1]) {
      const next = await command(group, index, 'answer', { key: 'row', tags: ['rows'], loaderMs: 10 });
      expect(next.value).toBe('new');
    }
  });

  it('a grace background refresh in flight never undoes an invalidation in another process', async () => {
    const { group, db } = await cluster(2, { grace: 30 });
    await command(group, 0, 'answer', { key: 'row', loaderMs: 0, options: { ttl: 0.2 } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Past its TTL, within grace: the stale value now, and a background refresh that reads the old row.
    const stale = await command(group, 1, 'answer', { key: 'row', loaderMs: LOADER_MS });
    expect(stale).toMatchObject({ value: 'old', source: 'stale' });
    expect(await nextMessage(group, 1, 'load-start')).toMatchObject({ seen: 'old' });
    writeFileSync(db, 'new');
    await command(group, 0, 'invalidate', { key: 'row' });
    expect(await nextMessage(group, 1, 'superseded')).toMatchObject({ reason: 'changed', background: true });
    // Never the old value as fresh: stale (it was invalidated) until a refresh has stored the new row
    // (one that found the lock still held by the superseded refresh does nothing: the next read retries).
    for (let read = 0; ; read++) {
      const after = await command(group, read % 2, 'answer', { key: 'row', loaderMs: 10 });
      if (after.source === 'hit') {
        expect(after.value).toBe('new');
        break;
      }
      expect(after).toMatchObject({ value: 'old', source: 'stale' });
      expect(read).toBeLessThan(50);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it('soft purge under load: 4 processes x 50 callers served stale at once, 1 refresh, then the new value', async () => {
    const { group, db, namespace } = await cluster(4, { grace: 30 });
    await command(group, 0, 'answer', { key: 'hot', loaderMs: 0 });
    writeFileSync(db, 'new');
    await command(group, 0, 'invalidate', { key: 'hot' });
    const bursts = await Promise.all(
      [0, 1, 2, 3].map((i) => command(group, i, 'burst', { key: 'hot', callers: 50, loaderMs: LOADER_MS })),
    );
    const answers = bursts.flatMap((b) => b.answers as Array<{ value: string; source: string; ms: number }>);
    expect(answers).toHaveLength(200);
    expect(answers.every((a) => a.value === 'old' && a.source === 'stale')).toBe(true);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(LOADER_MS); // nobody waited for the loader
    const closed = await Promise.all([0, 1, 2, 3].map((i) => command(group, i, 'close')));
    // The one load of 'hot' before the purge was worker 0's; exactly one refresh after it, cluster-wide.
    expect(closed.reduce((sum, c) => sum + (c.loads as number), 0)).toBe(2);
    const reader = createCache({ servers: node.address, namespace, protocol, safeMode: 'off' });
    expect(await reader.answer('hot', () => 'not loaded')).toMatchObject({ value: 'new', source: 'hit' });
    await reader.close();
  });

  it('tags: 1,000 entries in 4 processes, one invalidateTags(), none fresh anywhere; its cost ignores their number', async () => {
    // 1,000 loads at once on 2 shared cores: a generous opTimeoutMs, so no write is lost to a slow answer.
    const { group, namespace } = await cluster(4, { safeMode: 'off', opTimeoutMs: 5000 });
    const keys = Array.from({ length: 1000 }, (_, i) => `item:${i}`);
    await Promise.all(
      [0, 1, 2, 3].map((w) =>
        command(group, w, 'fill', { keys: keys.filter((_, i) => i % 4 === w), tags: ['catalog'] }),
      ),
    );
    // Twice: the first read of each process finds no epoch and creates one, the second keeps the tag's state
    // under it (invalidation/tag-versions.ts), so the reads after the call show it is not trusted past it.
    for (const round of [1, 2])
      for (const w of [0, 1, 2, 3])
        expect(await command(group, w, 'fresh', { keys }), `round ${round}`).toMatchObject({ fresh: 1000 });
    // What one call costs in memcached calls, counted in this process with 1,000 entries and with none.
    const inner =
      protocol === 'meta'
        ? new MetaStore({ servers: [{ address: node.address, weight: 1 }], opTimeoutMs: 1000 })
        : new MemcachedStore({ servers: [{ address: node.address, weight: 1 }], opTimeoutMs: 1000 });
    const counting = new CountingStore(inner);
    const cache = createCache({ store: counting, namespace, safeMode: 'off' });
    await cache.invalidateTags(['catalog']);
    const withEntries = counting.calls;
    counting.calls = 0;
    await cache.invalidateTags(['no-entries-carry-this']);
    expect(withEntries).toBe(counting.calls);
    expect(withEntries).toBeLessThanOrEqual(3);
    for (const w of [0, 1, 2, 3])
      expect(await command(group, w, 'fresh', { keys })).toMatchObject({ fresh: 0 });
    await cache.close();
    await inner.close();
  });
});
