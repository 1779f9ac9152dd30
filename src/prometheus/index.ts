/**
 * Prometheus metrics for stampede-guard caches (`import { registerCacheMetrics } from 'stampede-guard/prometheus'`).
 * prom-client is an optional peer dependency, loaded only by this entry point. Counters and gauges are
 * read from `cache.stats()` and `cache.safeMode` when Prometheus scrapes, so serving pays nothing; only
 * the load-duration histogram listens to an event, and loads are the slow path anyway.
 * @module stampede-guard/prometheus
 */
import { Counter, register as defaultRegistry, Gauge, Histogram, type Registry } from 'prom-client';
import { InvalidOptionError } from '../errors.js';
import type { Cache, CacheStats } from '../index.js';
import { checkObject } from '../validation.js';

export interface CacheMetricsOptions {
  /** The `cache` label value: tells several caches apart. @default 'default' */
  name?: string;
  /** Where the metrics are registered. @default prom-client's global registry */
  registry?: Registry;
  /** Prefix of every metric name. @default 'stampede_guard_' */
  prefix?: string;
}

type CounterStat = Exclude<keyof CacheStats, 'inflightLoads' | 'queuedLoads' | 'safeModeActive'>;

const COUNTERS: Record<CounterStat, string> = {
  hits: 'Fresh values served (memory tier or memcached)',
  memoryHits: 'Fresh values served by the in-process memory tier, with no memcached call',
  staleHits: 'Stale values served (grace, stale-if-error, wait timeout)',
  misses: 'Reads that found no usable value',
  loads: 'Loader calls in this process',
  loadErrors: 'Loader calls that failed',
  coalesced: 'Calls that joined a call in flight in this process',
  locksAcquired: 'safe- locks won',
  locksBusy: 'safe- locks found held by another worker',
  waits: 'Waits for another worker to load',
  waitTimeouts: 'Waits that spent their budget',
  backgroundRefreshes: 'Background refreshes completed (grace, early refresh)',
  invalidations: 'Invalidations written (delete, invalidate, invalidateTags)',
  supersededWrites: 'Loaded values not stored because an invalidation landed during the load',
  storeErrors: 'memcached calls that failed or timed out',
  tooLarge: 'Values returned but not stored because too large',
  replicaErrors:
    "Writes that reached a key's primary but not one of its copies (replicas, a node on its way home)",
  warmCopies: 'Values copied home after a miss on a returning node or a replica',
  returnInvalidations:
    'Keys deleted on returning nodes because they were written elsewhere during the outage',
};

interface Family {
  caches: Map<string, Cache>;
  histogram: Histogram<'cache' | 'background'>;
}

const METRICS_OPTIONS = new Set(['name', 'registry', 'prefix']);

const families = new WeakMap<Registry, Map<string, Family>>();

/**
 * Registers the metrics of `cache`. Several caches can share one registry under different `name`s.
 * Returns a function that unregisters this cache (its series disappear at the next scrape).
 *
 * Every series has the label `cache` (the `name` option); names below use the default `prefix`.
 * Counters, one per counter of `cache.stats()`: `stampede_guard_hits_total`,
 * `stampede_guard_memory_hits_total` (the part of the hits the memory tier answered), `stampede_guard_stale_hits_total`,
 * `stampede_guard_misses_total`, `stampede_guard_loads_total`, `stampede_guard_load_errors_total`,
 * `stampede_guard_coalesced_total`, `stampede_guard_locks_acquired_total`, `stampede_guard_locks_busy_total`,
 * `stampede_guard_waits_total`, `stampede_guard_wait_timeouts_total`,
 * `stampede_guard_background_refreshes_total`, `stampede_guard_invalidations_total`,
 * `stampede_guard_superseded_writes_total` (loaded values an invalidation kept from being stored),
 * `stampede_guard_store_errors_total`, `stampede_guard_too_large_total`, `stampede_guard_replica_errors_total`,
 * `stampede_guard_warm_copies_total`, `stampede_guard_return_invalidations_total`.
 * Gauges: `stampede_guard_inflight_loads`, `stampede_guard_queued_loads`, `stampede_guard_safe_mode_active`
 * (1 while safe mode is on), `stampede_guard_node_up` (label `node`: 1 while the memcached node is up).
 * Histogram: `stampede_guard_load_duration_seconds` (label `background`: `true` for grace/early refreshes).
 *
 * @example
 * ```ts
 * import { registerCacheMetrics } from 'stampede-guard/prometheus';
 * registerCacheMetrics(cache, { name: 'products' });
 * app.get('/metrics', async (_req, res) => res.type('text/plain').send(await register.metrics()));
 * ```
 */
export function registerCacheMetrics(cache: Cache, options: CacheMetricsOptions = {}): () => void {
  checkObject('options', options, METRICS_OPTIONS, '');
  const name = options.name ?? 'default';
  const registry = options.registry ?? defaultRegistry;
  if (typeof registry !== 'object' || typeof registry.getSingleMetric !== 'function') {
    throw new InvalidOptionError('registry', 'a prom-client Registry', registry);
  }
  const prefix = options.prefix ?? 'stampede_guard_';
  if (typeof name !== 'string' || name === '')
    throw new InvalidOptionError('name', 'a non-empty string', name);
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    throw new InvalidOptionError('prefix', 'a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)', prefix);
  }

  const byPrefix = families.get(registry) ?? new Map<string, Family>();
  families.set(registry, byPrefix);
  let family = byPrefix.get(prefix);
  // A family whose metrics left the registry (registry.clear()) is defined afresh.
  if (!family || registry.getSingleMetric(`${prefix}load_duration_seconds`) !== family.histogram) {
    family = defineMetrics(registry, prefix);
    byPrefix.set(prefix, family);
  }
  if (family.caches.has(name))
    throw new InvalidOptionError('name', 'unique per registry (already registered)', name);
  family.caches.set(name, cache);

  const { histogram } = family;
  const onLoad = (e: { durationMs: number; background: boolean }) =>
    histogram.observe({ cache: name, background: String(e.background) }, e.durationMs / 1000);
  cache.on('load', onLoad);
  return () => {
    cache.off('load', onLoad);
    family.caches.delete(name);
  };
}

function defineMetrics(registry: Registry, prefix: string): Family {
  const caches = new Map<string, Cache>();
  const registers = [registry];
  for (const [stat, help] of Object.entries(COUNTERS) as Array<[CounterStat, string]>) {
    new Counter({
      name: `${prefix}${snake(stat)}_total`,
      help,
      labelNames: ['cache'],
      registers,
      collect() {
        this.reset();
        for (const [name, cache] of caches) this.inc({ cache: name }, cache.stats()[stat]);
      },
    });
  }
  const gauge = (metric: string, help: string, read: (cache: Cache) => number) =>
    new Gauge({
      name: `${prefix}${metric}`,
      help,
      labelNames: ['cache'],
      registers,
      collect() {
        this.reset();
        for (const [name, cache] of caches) this.set({ cache: name }, read(cache));
      },
    });
  gauge('inflight_loads', 'Loader calls running in this process', (c) => c.stats().inflightLoads);
  gauge('queued_loads', 'Loader calls queued behind maxConcurrentLoads', (c) => c.stats().queuedLoads);
  gauge('safe_mode_active', '1 while safe mode is on', (c) => (c.safeMode.active ? 1 : 0));
  new Gauge({
    name: `${prefix}node_up`,
    help: '1 while a memcached node is considered up, 0 while down',
    labelNames: ['cache', 'node'],
    registers,
    collect() {
      this.reset();
      for (const [name, cache] of caches) {
        for (const node of cache.safeMode.nodes)
          this.set({ cache: name, node: node.node }, node.state === 'up' ? 1 : 0);
      }
    },
  });
  const histogram = new Histogram<'cache' | 'background'>({
    name: `${prefix}load_duration_seconds`,
    help: 'Loader call duration',
    labelNames: ['cache', 'background'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  return { caches, histogram };
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
