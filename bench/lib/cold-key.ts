/**
 * Drives cold-key rounds: a group of worker processes, released together with `group.go()`, each
 * sending N concurrent callers at one key nobody has read yet. Aggregates the workers' reports.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { memcachedStats } from '../../test/support/memcached.js';
import { spawnWorkers, type WorkerGroup, type WorkerMessage } from '../../test/support/workers.js';
import { envelope, keys, library } from './library.js';
import { EXIT_MESSAGE, type RoundPayload, type RoundReport, type Strategy } from './protocol.js';
import { median, summarize } from './stats.js';

const WORKER_SCRIPT = fileURLToPath(new URL('../workers/cold-key-worker.ts', import.meta.url));
const ROUND_TIMEOUT_MS = 30_000;

/** One round, all workers together. */
export interface RoundResult {
  strategy: Strategy;
  key: string;
  processes: number;
  callers: number;
  /** Loader calls summed over every process. */
  loads: number;
  /** Processes in which the loader ran at least once. */
  loadingProcesses: number;
  latency: ReturnType<typeof summarize>;
  /** Median measured loader duration (the "loader time"). */
  loaderMs: number;
  /** p99 latency minus the loader time: what waiting and coordination add. */
  overheadMs: number;
  /** Ms from the go message to the first loader start, in the process that loaded: what the lock costs its holder. */
  loadStartMs: number;
  errors: number;
  wrongValues: number;
  firstError?: string;
  /** Spread of the go message's arrival across processes (max - min wall clock), in ms. */
  releaseSkewMs: number;
  /** `cache.stats()` differences summed over the processes. */
  stats?: Record<string, number>;
  /** The cost recorded with the expired entry the round started from; null: no entry (never loaded). */
  previousCostMs: number | null;
  /** Cross-process waits (one per waiting process), the reads they made, and their summed duration. */
  waits: number;
  waitReads: number;
  waitedMs: number;
  /** Reads per wait (NaN when the code under test does not report them). */
  readsPerWaiter: number;
  /** Reads per second spent waiting, summed over the waiters. */
  readsPerWaitedSecond: number;
  /** `get`s the memcached nodes served during the round (all clients; `stats cmd_get` before and after). */
  nodeGets: number;
}

/** How a round starts: the key never loaded, or expired with a known previous cost. */
export interface RoundOptions {
  /** Store an expired entry whose recorded loader cost is this, before the round. */
  previousCostMs?: number;
}

export class ColdKeyBench {
  readonly #group: WorkerGroup;
  readonly #servers: readonly string[];
  readonly #seeder: InstanceType<typeof library.MemcachedStore>;
  readonly #runId = randomBytes(4).toString('hex');
  #rounds = 0;

  private constructor(group: WorkerGroup, servers: readonly string[]) {
    this.#group = group;
    this.#servers = servers;
    this.#seeder = new library.MemcachedStore({
      servers: servers.map((address) => ({ address, weight: 1 })),
      opTimeoutMs: 1000,
    });
  }

  /**
   * Spawns `processes` workers connected to `servers` and waits until each is ready. `env` adds to their
   * environment (BENCH_PROTOCOL=meta: the caches speak the meta protocol).
   */
  static async start(
    processes: number,
    servers: readonly string[],
    env: Record<string, string> = {},
  ): Promise<ColdKeyBench> {
    const group = await spawnWorkers(WORKER_SCRIPT, {
      count: processes,
      env: { BENCH_SERVERS: servers.join(','), ...env },
      readyTimeoutMs: 30_000,
    });
    return new ColdKeyBench(group, servers);
  }

  get processes(): number {
    return this.#group.count;
  }

  /** Runs one round on a fresh key and aggregates what the workers report. */
  async round(
    strategy: Strategy,
    callers: number,
    loaderMs: number,
    label: string,
    options: RoundOptions = {},
  ): Promise<RoundResult> {
    const id = `${this.#runId}-${++this.#rounds}`;
    const key = `bench:${label}:${this.#runId}:${strategy}:${this.#rounds}`;
    const previousCostMs = options.previousCostMs ?? null;
    if (previousCostMs !== null) await this.#seedExpired(key, previousCostMs);
    const payload: RoundPayload = { id, strategy, key, callers, loaderMs };
    const getsBefore = await this.#nodeGets();
    const reports = this.#collect(id);
    this.#group.go(payload);
    const collected = await reports;
    const nodeGets = (await this.#nodeGets()) - getsBefore;
    return aggregate(strategy, key, callers, collected, previousCostMs, nodeGets);
  }

  /** An entry past every window (so a miss) that still records what its load cost: a key that expired. */
  async #seedExpired(key: string, costMs: number): Promise<void> {
    const bytes = envelope.encodeEnvelope(
      { value: { key, by: 0, body: 'expired' }, freshUntil: Date.now() - 60_000, costMs },
      library.jsonSerializer,
    );
    await this.#seeder.set(keys.toStoreKey('', key), bytes, 300);
  }

  async #nodeGets(): Promise<number> {
    const counts = await Promise.all(
      this.#servers.map((a) =>
        memcachedStats(a.replace(/^[^@]*@/, '')).then(
          (s) => Number(s.cmd_get),
          () => Number.NaN,
        ),
      ),
    );
    return counts.reduce((sum, n) => sum + n, 0);
  }

  /** Asks the workers to close their clients and exit; kills them if they do not. */
  async close(): Promise<void> {
    try {
      for (let i = 0; i < this.#group.count; i++) this.#group.send(i, EXIT_MESSAGE);
      await this.#group.done(5000);
    } catch {
      // done() already killed the stragglers; close() below is idempotent.
    }
    await this.#group.close();
    await this.#seeder.close();
  }

  /** Every worker's report for round `id`; rejects at once when a worker reports a crash. */
  #collect(id: string): Promise<RoundReport[]> {
    const isRound = (m: WorkerMessage, i: number, want: number) =>
      m.type === 'round' && m.id === id && i === want;
    const all = Promise.all(
      Array.from({ length: this.#group.count }, (_, want) =>
        this.#group.waitFor((m, i) => isRound(m, i, want), ROUND_TIMEOUT_MS),
      ),
    ).then((hits) => hits.map(({ msg }) => msg as unknown as RoundReport));
    const crash = this.#group
      .waitFor((m) => m.type === 'error', ROUND_TIMEOUT_MS + 1000)
      .then(({ msg, index }) => {
        throw new Error(`worker ${index} crashed: ${String(msg.message)}\n${String(msg.stack ?? '')}`);
      });
    crash.catch(() => {}); // only matters while the round runs; a timeout here is not an error
    return Promise.race([all, crash]);
  }
}

function aggregate(
  strategy: Strategy,
  key: string,
  callers: number,
  reports: RoundReport[],
  previousCostMs: number | null,
  nodeGets: number,
): RoundResult {
  const latencies = reports.flatMap((r) => r.latencies);
  const loaderMs = median(reports.flatMap((r) => r.loaderDurations));
  const latency = summarize(latencies);
  const walls = reports.map((r) => r.goWallMs);
  const stats: Record<string, number> = {};
  for (const r of reports) {
    for (const [name, value] of Object.entries(r.stats ?? {})) stats[name] = (stats[name] ?? 0) + value;
  }
  const firstError = reports.find((r) => r.firstError)?.firstError;
  const sum = (pick: (r: RoundReport) => number | null) =>
    reports.reduce((total, r) => total + (pick(r) ?? Number.NaN), 0);
  const waits = sum((r) => r.waits);
  const waitReads = sum((r) => r.waitReads); // null (NaN over IPC) from code that does not count them
  const waitedMs = sum((r) => r.waitedMs);
  return {
    strategy,
    key,
    processes: reports.length,
    callers,
    loads: reports.reduce((sum, r) => sum + r.loads, 0),
    loadingProcesses: reports.filter((r) => r.loads > 0).length,
    latency,
    loaderMs,
    overheadMs: latency.p99 - loaderMs,
    loadStartMs: Math.min(...reports.flatMap((r) => r.loaderStarts ?? [])),
    errors: reports.reduce((sum, r) => sum + r.errors, 0),
    wrongValues: reports.reduce((sum, r) => sum + r.wrongValues, 0),
    ...(firstError === undefined ? {} : { firstError }),
    releaseSkewMs: Math.max(...walls) - Math.min(...walls),
    ...(strategy === 'plain' ? {} : { stats }),
    previousCostMs,
    waits,
    waitReads,
    waitedMs,
    readsPerWaiter: waits > 0 ? waitReads / waits : 0,
    readsPerWaitedSecond: waitedMs > 0 ? waitReads / (waitedMs / 1000) : 0,
    nodeGets,
  };
}
