/**
 * The node-death scenario of the safe-mode tests: 4 worker processes (test/fixtures/steady-worker.ts)
 * loop over 300 keys on 3 memcached nodes; one node is SIGKILLed once the keys are warm, and 5 s are
 * watched after. Returns each worker's report and which loads happened in that window.
 */
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { toStoreKey } from '../../src/keys.js';
import { sleep } from './deferred.js';
import { startCluster } from './memcached.js';
import { type Protocol, poolOn } from './protocols.js';
import { spawnWorkers } from './workers.js';

const WORKER = fileURLToPath(new URL('../fixtures/steady-worker.ts', import.meta.url));

export interface SteadyWorkerReport {
  loads: Record<string, number[]>;
  errors: number;
  requests: number;
  safeModeOnAt: number | null;
  /** Calls through the worker's CountingStore, when it has one. */
  storeCalls?: number;
}

export interface KillUnderLoadResult {
  reports: SteadyWorkerReport[];
  /** The keys the killed node owned. */
  onVictim: Set<string>;
  /** Loads per key, across workers, in the 5 s after the kill. */
  loadsAfterKill: Map<string, number>;
  killedAt: number;
}

/**
 * Runs the scenario with these cache options on `protocol` (default: the cache's default); `env` goes to
 * the workers (e.g. COUNTING_STORE).
 */
export async function killUnderLoad(
  cacheOptions: object,
  { env = {}, protocol }: { env?: Record<string, string>; protocol?: Protocol } = {},
): Promise<KillUnderLoadResult> {
  const nodes = await startCluster(3);
  const servers = nodes.map((n) => n.address);
  const keys = Array.from({ length: 300 }, (_, i) => `item:${i}`);
  const group = await spawnWorkers(WORKER, {
    count: 4,
    env: {
      SERVERS: servers.join(','),
      CACHE_OPTIONS: JSON.stringify({ namespace: 'sm', ...cacheOptions }),
      ...env,
    },
    ...(protocol ? { protocol } : {}),
  });
  group.go({ keys, concurrency: 4, loaderMs: 20 });
  await sleep(2500); // every key loaded and cached
  const victim = 1;
  const killedAt = Date.now();
  await nodes[victim]?.kill();
  await sleep(5000);
  for (let i = 0; i < group.count; i++) group.send(i, { type: 'stop' });
  const reports = (await group.done(20_000)).map((r) => r.messages.at(-1) as unknown as SteadyWorkerReport);

  const router = poolOn(protocol ?? 'binary', nodes); // either protocol routes a key to the same node
  const onVictim = new Set(keys.filter((k) => router.ownerIndex(toStoreKey('sm', k)) === victim));
  await router.close();
  const loadsAfterKill = new Map<string, number>();
  for (const r of reports) {
    for (const [key, times] of Object.entries(r.loads)) {
      const n = times.filter((t) => t >= killedAt && t < killedAt + 5000).length;
      if (n) loadsAfterKill.set(key, (loadsAfterKill.get(key) ?? 0) + n);
    }
  }
  await Promise.all(nodes.map((n) => n.close()));
  return { reports, onVictim, loadsAfterKill, killedAt };
}

/**
 * What safe mode promises for this scenario: no errors; safe mode on in every worker within two probe
 * intervals (+1 s); each of the dead node's keys loaded at most twice across the cluster; no key of a
 * surviving node reloaded. Returns the loads of the dead node's keys.
 */
export function expectContained(result: KillUnderLoadResult, probeIntervalMs: number): number {
  const { reports, onVictim, loadsAfterKill, killedAt } = result;
  expect(onVictim.size).toBeGreaterThan(50);
  for (const r of reports) {
    expect(r.errors).toBe(0);
    expect(r.safeModeOnAt).not.toBeNull();
    expect((r.safeModeOnAt as number) - killedAt).toBeLessThanOrEqual(2 * probeIntervalMs + 1000);
  }
  const lostKeyLoads = [...onVictim].map((k) => loadsAfterKill.get(k) ?? 0);
  expect(Math.max(...lostKeyLoads)).toBeLessThanOrEqual(2);
  // Keys on the surviving nodes were not reloaded: only the dead node's keys moved.
  const otherReloads = [...loadsAfterKill.keys()].filter((k) => !onVictim.has(k));
  expect(otherReloads).toEqual([]);
  const total = lostKeyLoads.reduce((a, b) => a + b, 0);
  expect(total).toBeLessThanOrEqual(onVictim.size * 2);
  return total;
}
