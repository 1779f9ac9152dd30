/**
 * Safe mode through a Store the cache did not create: a throwaway wrapper that counts calls around the
 * memcached pool. The wrapper forwards call options and `nodePool`, nothing else; a node SIGKILLed under
 * load by 4 worker processes must end as it does without the wrapper (test/integration/safe-mode.test.ts).
 * Once, around a memjs pool: the wrapper forwards through the Store seam, above any transport, and the
 * same kill runs on both protocols in safe-mode.test.ts (a second run here would add ~10 s to CI).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectContained, killUnderLoad } from '../support/kill-under-load.js';
import { stopAllMemcached } from '../support/memcached.js';
import { killAllWorkers } from '../support/workers.js';

afterEach(killAllWorkers);
afterAll(stopAllMemcached);

describe('a counting wrapper around the memcached pool (4 workers, 3 nodes, 300 keys)', () => {
  it('keeps safe mode working: a node SIGKILLed under load has the same outcome as without the wrapper', async () => {
    const result = await killUnderLoad({ probeIntervalMs: 500 }, { env: { COUNTING_STORE: '1' } });
    // The cache's calls went through the wrapper (a request joined to another in flight makes none).
    for (const r of result.reports) expect(r.storeCalls).toBeGreaterThan(r.requests / 2);
    expectContained(result, 500);
  });
});
