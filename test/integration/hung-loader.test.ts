/**
 * A loader that never settles, across real processes and real memcached (issue 14, part 2): every caller
 * (the leader, its in-process joiners, other processes' waiters) settles by the documented policy within
 * its budget plus a margin, close() settles within its bound, and each worker then exits on its own.
 * The margins are generous upper bounds proving "does not hang", not speed.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS } from '../support/protocols.js';
import { killAllWorkers, spawnWorkers } from '../support/workers.js';

const WORKER = fileURLToPath(new URL('../fixtures/hung-worker.ts', import.meta.url));
const WAIT_MS = 800;
const HARD_MS = 1500;
const CLOSE_MS = 300;
const MARGIN_MS = 2000;

let node: MemcachedProcess;

beforeAll(async () => {
  node = await startMemcached();
});
afterEach(killAllWorkers);
afterAll(stopAllMemcached);

interface Done {
  loads: number;
  aborted: number;
  outcomes: Array<{ value: unknown; code: string | null; ms: number }>;
  closeMs: number;
}

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('a loader that never settles', () => {
    it('settles every caller of 3 processes x 20 by its budget, then close(), then the processes exit', async () => {
      const options = {
        namespace: `hung-${protocol}`,
        safeMode: 'always',
        waitTimeoutMs: WAIT_MS,
        onWaitTimeout: 'throw',
        hardTimeoutMs: HARD_MS,
        closeTimeoutMs: CLOSE_MS,
      };
      const group = await spawnWorkers(WORKER, {
        protocol,
        count: 3,
        env: { SERVERS: node.address, CACHE_OPTIONS: JSON.stringify(options) },
      });
      group.go({ key: 'never', callers: 20 });
      // Each worker exits on its own after close(): done() kills and rejects if one is still alive.
      const results = await group.done(20_000);
      expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
      const reports = results.map((r) => r.messages.find((m) => m.type === 'done') as unknown as Done);

      // One load cluster-wide: the lock winner's. Its signal was aborted by hardTimeoutMs.
      expect(reports.map((r) => r.loads).sort()).toEqual([0, 0, 1]);
      const leaderProcess = reports.find((r) => r.loads === 1) as Done;
      expect(leaderProcess.aborted).toBe(1);

      const outcomes = reports.flatMap((r) => r.outcomes);
      expect(outcomes).toHaveLength(60);
      expect(outcomes.every((o) => o.value === null)).toBe(true);
      // The leader rejects with E_LOAD_TIMEOUT; its joiners and every other process's callers give up at
      // their wait budget with E_WAIT_TIMEOUT ('throw').
      const loadTimeouts = outcomes.filter((o) => o.code === 'E_LOAD_TIMEOUT');
      const waitTimeouts = outcomes.filter((o) => o.code === 'E_WAIT_TIMEOUT');
      expect(loadTimeouts).toHaveLength(1);
      expect(waitTimeouts).toHaveLength(59);
      expect(loadTimeouts[0]?.ms).toBeLessThan(HARD_MS + MARGIN_MS);
      for (const o of waitTimeouts) expect(o.ms).toBeLessThan(WAIT_MS + MARGIN_MS);
      for (const r of reports) expect(r.closeMs).toBeLessThan(CLOSE_MS + MARGIN_MS);
    }, 30_000);

    it('without hardTimeoutMs: joiners give up at their budget, close() abandons the leader, the process exits', async () => {
      const options = {
        namespace: `hung2-${protocol}`,
        safeMode: 'always',
        maxConcurrentLoads: 20, // every call that gives up may start its load (the cap would queue some)
        waitTimeoutMs: WAIT_MS,
        closeTimeoutMs: CLOSE_MS,
      };
      const group = await spawnWorkers(WORKER, {
        protocol,
        count: 2,
        env: { SERVERS: node.address, CACHE_OPTIONS: JSON.stringify({ ...options, onWaitTimeout: 'stale' }) },
      });
      // Closed while the calls are pending: after the joiners' budget, long before anything else would end them.
      group.go({ key: 'never', callers: 10, closeAfterMs: WAIT_MS + 200 });
      const results = await group.done(20_000);
      expect(results.map((r) => r.code)).toEqual([0, 0]);
      const reports = results.map((r) => r.messages.find((m) => m.type === 'done') as unknown as Done);
      for (const r of reports) expect(r.closeMs).toBeLessThan(CLOSE_MS + MARGIN_MS);
      // 'stale' without a stale value loads: each joiner and waiter that gave up started its own (hung) load,
      // and close() abandoned every load with E_LOAD_TIMEOUT, aborting each loader's signal.
      const outcomes = reports.flatMap((r) => r.outcomes);
      expect(outcomes).toHaveLength(20);
      expect(outcomes.every((o) => o.code === 'E_LOAD_TIMEOUT')).toBe(true);
      expect(reports.reduce((n, r) => n + r.loads, 0)).toBe(20);
      expect(reports.reduce((n, r) => n + r.aborted, 0)).toBe(20);
    }, 30_000);
  });
});
