/**
 * The crawler: replays the top entries of a hotlist, highest impact first, with bounded concurrency and
 * rate (to spare the database), p-retry for transient failures, and a clean stop on `signal`.
 *
 * URL entries are fetched through the application (its middleware takes the locks); loader entries are
 * called through the cache (see replay-loader.ts). Either way the work is done under the same `safe-`
 * locks as live traffic, so warming a key that live traffic is loading waits for it instead of loading twice.
 */
import pRetry, { AbortError } from 'p-retry';
import {
  type ResolvedWarmupOptions,
  resolveWarmupOptions,
  type WarmupOptions,
  type WarmupProgress,
} from './crawler-options.js';
import type { HotlistEntry } from './hotlist-format.js';
import { AttemptTimeoutError, checkLoader, loaderAttempts, type Outcome } from './replay-loader.js';
import { storedOutcome } from './replay-stored.js';
import { fetchUrl, HttpStatusError, urlTarget } from './replay-url.js';
import { TokenBucket } from './token-bucket.js';

/** Failures listed in a summary at most (the `failed` count is always exact). */
const MAX_LISTED_FAILURES = 50;
/** The longest delay before a retry (unless `retryDelayMs` itself is longer): doubling must not run away. */
const MAX_RETRY_DELAY_MS = 30_000;

export interface WarmupSummary {
  /** Entries selected for this run (the first `top` replayable ones). */
  total: number;
  /** Loaded by this run. */
  warmed: number;
  /** Already cached (or loaded by live traffic while the warmup waited for its lock). */
  skipped: number;
  /**
   * URLs the application served without storing them: answered `X-Cache: BYPASS`, or rendered (MISS)
   * and not found stored by a second request. Not cacheable, not retried.
   */
  uncacheable: number;
  /** Failed after every retry. */
  failed: number;
  /** Selected but never started, because the run was stopped. */
  notRun: number;
  /** Entries ranked among the selected ones that cannot be replayed here, by reason. */
  ignored: Record<string, number>;
  /** Whether `signal` stopped the run. */
  interrupted: boolean;
  durationMs: number;
  /**
   * Database time taken off live traffic: the summed load cost of the warmed entries, which users would
   * otherwise have waited for after go-live.
   */
  estimatedSavedMs: number;
  /** The first failures: key, what was replayed, and why it failed. */
  failures: Array<{ key: string; target: string; error: string }>;
}

/** An entry a run would replay, and what it would fetch or call. */
export interface PlannedEntry extends HotlistEntry {
  impactMs: number;
  /** The URL fetched (or, recorded with its host, the URL it stands for), or `name(args)` called. */
  target: string;
}

export interface WarmupPlan {
  /** What `warmup()` would replay, in order. */
  entries: PlannedEntry[];
  /** Entries passed over because they cannot be replayed with these options, by reason. */
  ignored: Record<string, number>;
}

interface Job {
  entry: HotlistEntry;
  target: string;
  attempts: () => (attempt: number) => Promise<Outcome>;
}

/** Replays hotlist entries so their keys are cached before live traffic needs them. */
export async function warmup(options: WarmupOptions): Promise<WarmupSummary> {
  const o = resolveWarmupOptions(options);
  const started = performance.now();
  const { jobs, ignored } = plan(o);
  const summary: WarmupSummary = {
    total: jobs.length,
    warmed: 0,
    skipped: 0,
    uncacheable: 0,
    failed: 0,
    notRun: 0,
    ignored,
    interrupted: false,
    durationMs: 0,
    estimatedSavedMs: 0,
    failures: [],
  };
  const bucket = o.rate > 0 ? new TokenBucket(o.rate) : undefined;
  let next = 0;
  let done = 0;

  const lane = async (): Promise<void> => {
    for (;;) {
      if (o.signal?.aborted || next >= jobs.length) return;
      if (bucket) {
        try {
          await bucket.take(o.signal);
        } catch {
          return; // stopped while waiting for a token
        }
      }
      const job = jobs[next++];
      if (!job || o.signal?.aborted) return;
      let outcome: WarmupProgress['outcome'];
      try {
        outcome = await runJob(job, o);
      } catch (error) {
        outcome = 'failed';
        if (summary.failures.length < MAX_LISTED_FAILURES) {
          summary.failures.push({ key: job.entry.key, target: job.target, error: describeError(error, o) });
        }
      }
      summary[outcome]++;
      if (outcome === 'warmed') summary.estimatedSavedMs += job.entry.costMs;
      done++;
      o.onProgress?.({
        done,
        total: jobs.length,
        warmed: summary.warmed,
        skipped: summary.skipped,
        uncacheable: summary.uncacheable,
        failed: summary.failed,
        entry: job.entry,
        outcome,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, jobs.length) }, lane));

  summary.notRun = jobs.length - done;
  summary.interrupted = o.signal?.aborted === true;
  summary.durationMs = performance.now() - started;
  return summary;
}

/** What `warmup(options)` would replay, without replaying anything: a dry run. */
export function planWarmup(options: WarmupOptions): WarmupPlan {
  const { jobs, ignored } = plan(resolveWarmupOptions(options));
  const entries = jobs.map(({ entry, target }) => ({
    ...entry,
    impactMs: entry.count * entry.costMs,
    target,
  }));
  return { entries, ignored };
}

/** The first `top` entries that can be replayed with what was given; the others are counted by reason. */
function plan(o: ResolvedWarmupOptions): { jobs: Job[]; ignored: Record<string, number> } {
  const jobs: Job[] = [];
  const ignored: Record<string, number> = {};
  const checked = new Set<string>();
  for (const entry of o.entries) {
    if (jobs.length >= o.top) break;
    const replay = entry.replay ?? null;
    let reason: string | undefined;
    if (replay === null) {
      reason = 'no replay recorded';
    } else if (replay.kind === 'url') {
      const url = o.baseUrl ? urlTarget(replay.url, o.baseUrl) : 'url entry without a base URL';
      if (typeof url === 'string') reason = url;
      else
        jobs.push({
          entry,
          target: url.label,
          attempts: () => () => storedOutcome((force) => fetchUrl(url, o.timeoutMs, force), o.force),
        });
    } else {
      const loader = o.loaders[replay.name];
      const { cache } = o;
      if (loader === undefined || cache === undefined) {
        reason = `no loader named ${JSON.stringify(replay.name)}`;
      } else {
        if (!checked.has(replay.name)) checkLoader(cache, replay.name, loader);
        checked.add(replay.name);
        const job = { key: entry.key, name: replay.name, args: replay.args };
        jobs.push({
          entry,
          target: `${replay.name}(${JSON.stringify(replay.args).slice(1, -1)})`,
          attempts: () => loaderAttempts(cache, loader, job, o.force, o.timeoutMs),
        });
      }
    }
    if (reason !== undefined) ignored[reason] = (ignored[reason] ?? 0) + 1;
  }
  return { jobs, ignored };
}

/**
 * One entry with retries. A stop lets the attempt in flight finish (its result counts) but makes no
 * further attempt and cuts a backoff sleep short.
 */
async function runJob(job: Job, o: ResolvedWarmupOptions): Promise<Outcome> {
  const attempts = job.attempts();
  // p-retry rejects a finished attempt if its signal was aborted meanwhile, so it gets a signal of its
  // own that the stop aborts only between attempts.
  const between = new AbortController();
  let attempting = false;
  let lastError: unknown;
  const onStop = () => {
    if (!attempting) between.abort(o.signal?.reason);
  };
  o.signal?.addEventListener('abort', onStop, { once: true });
  try {
    return await pRetry(
      async (n) => {
        if (o.signal?.aborted) throw new AbortError('stopped before this retry');
        attempting = true;
        try {
          return await attempts(n);
        } catch (error) {
          lastError = error;
          throw error;
        } finally {
          attempting = false;
        }
      },
      {
        retries: o.retries,
        minTimeout: o.retryDelayMs,
        maxTimeout: Math.max(o.retryDelayMs, MAX_RETRY_DELAY_MS),
        factor: 2,
        randomize: true,
        signal: between.signal,
        shouldRetry: () => !o.signal?.aborted,
      },
    );
  } catch (error) {
    // Stopped in the delay before a retry: p-retry rejects with the stop's reason, but the entry failed
    // with its last attempt's error.
    throw between.signal.aborted && lastError !== undefined ? lastError : error;
  } finally {
    o.signal?.removeEventListener('abort', onStop);
  }
}

/** A one-line reason: the network cause of a failed fetch, the status of a bad response. */
export function describeError(error: unknown, o: { timeoutMs: number }): string {
  if (error instanceof HttpStatusError || error instanceof AttemptTimeoutError) return error.message;
  if (error instanceof Error && error.name === 'TimeoutError') return `timed out after ${o.timeoutMs} ms`;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`.split('\n')[0] ?? error.name;
  }
  return String(error);
}
