/**
 * The recorder the cache reports to: which keys are requested, how often, and what loading them costs.
 * Memory is bounded by `capacity` whatever the number of distinct keys (weighted Space-Saving), and the
 * ranking weight is the one warmup cares about: requests x cost, the database time a key's loss costs.
 *
 *   const recorder = new HotKeyRecorder({ hotlistFile: '/var/lib/app/hotlist/{host}-{pid}.json' });
 *   const cache = createCache({ servers, recorder });
 *   ...
 *   await cache.close();
 *   await recorder.close(); // writes the hotlist one last time
 */
import type { AccessRecorder, Replay } from '../recorder.js';
import { checkObject, integer } from '../validation.js';
import { type HotlistEntry, type HotlistError, isPlainJson, type RankedEntry } from './hotlist-format.js';
import { byImpact } from './hotlist-reader.js';
import { HotlistWriter, resolveWriteOptions } from './hotlist-writer.js';
import { type Filtered, type QueryParams, queryFilter } from './query-filter.js';
import { type SketchCounter, SpaceSaving } from './space-saving.js';

export interface HotKeyRecorderOptions {
  /**
   * Keys tracked at once: the memory bound (about 130 bytes per key, plus its key string and replay).
   * @default 10000
   */
  capacity?: number;
  /**
   * Persist the hotlist to this file on an interval and on `close()`. `{pid}` and `{host}` are replaced,
   * so processes can share a directory (which `readHotlist()` and `cache-warmup` merge). @default none
   */
  hotlistFile?: string;
  /** Milliseconds between hotlist writes; 0 writes only on `flush()` / `close()`. @default 30000 */
  writeIntervalMs?: number;
  /** Entries written to the hotlist, highest impact first. @default 2000 */
  hotlistSize?: number;
  /** Receives a failed periodic write (the application keeps running). @default a process warning */
  onWriteError?: (error: HotlistError) => void;
  /**
   * Query parameters kept from the pages the middleware serves, before they reach memory or disk:
   * `'drop'` (none), `'keep'` (all), or the names to keep (`['page', 'sort']`). A page whose query lost
   * a parameter is ranked as `/path?…` (and `&` the kept ones) but not replayed: without the parameter
   * it would be another page. Tokens and e-mail addresses in URLs are why the default keeps none.
   * @default 'drop'
   */
  queryParams?: QueryParams;
}

const RECORDER_OPTIONS: ReadonlySet<string> = new Set([
  'capacity',
  'hotlistFile',
  'writeIntervalMs',
  'hotlistSize',
  'onWriteError',
  'queryParams',
]);

/** The weight of a cost sample once a key has many: recent costs count more (the data may grow). */
const COST_SMOOTHING = 1 / 32;

class HotCounter implements SketchCounter {
  weight = 0;
  index = 0;
  count = 1;
  /** Smoothed load cost in ms; meaningful once `samples > 0`. */
  costMs = 0;
  samples = 0;
  replay: Replay | undefined;

  constructor(
    readonly key: string,
    readonly error: number,
  ) {}
}

export class HotKeyRecorder implements AccessRecorder {
  readonly #sketch: SpaceSaving<HotCounter>;
  readonly #hotlistSize: number;
  readonly #writer: HotlistWriter | undefined;
  /** Removes the query parameters not kept from URL keys and replays (undefined: keep them all). */
  readonly #filter: ((text: string) => Filtered) | undefined;
  // The mean of every cost seen stands in for a key whose own cost is not known yet, so a new key is
  // weighed like an average one instead of being the first evicted before its cost arrives.
  #costTotal = 0;
  #costSamples = 0;

  constructor(options: HotKeyRecorderOptions = {}) {
    checkObject('options', options, RECORDER_OPTIONS, '');
    const { capacity = 10_000, hotlistSize = 2000, hotlistFile, writeIntervalMs, onWriteError } = options;
    this.#filter = queryFilter(options.queryParams === undefined ? 'drop' : options.queryParams);
    integer('capacity', capacity, 1, 10_000_000);
    integer('hotlistSize', hotlistSize, 1);
    this.#sketch = new SpaceSaving(capacity);
    this.#hotlistSize = hotlistSize;
    if (hotlistFile !== undefined) {
      this.#writer = new HotlistWriter(() => this.hotlist(), { hotlistFile, writeIntervalMs, onWriteError });
    } else {
      resolveWriteOptions({ writeIntervalMs, onWriteError }); // nothing to write, but a bad value is still a mistake
    }
  }

  /** Keys tracked now (never more than `capacity`). */
  get size(): number {
    return this.#sketch.size;
  }

  get capacity(): number {
    return this.#sketch.capacity;
  }

  /** The resolved hotlist path, if the recorder persists one. */
  get hotlistFile(): string | undefined {
    return this.#writer?.file;
  }

  recordRequest(rawKey: string, rawReplay: Replay | undefined): void {
    let key = rawKey;
    let replay = rawReplay;
    if (replay?.kind === 'url' && this.#filter) {
      const filteredKey = this.#filter(key);
      key = filteredKey.text;
      // A page without some of its parameters is another page: ranked, not replayed.
      if (filteredKey.removed || this.#filter(replay.url).removed) replay = undefined;
    }
    const sketch = this.#sketch;
    let counter = sketch.get(key);
    if (counter === undefined) {
      counter = new HotCounter(key, sketch.floor());
      counter.replay = replay;
      counter.weight = counter.error + this.#priorCostMs();
      sketch.add(counter);
      return;
    }
    counter.count++;
    if (counter.replay === undefined) counter.replay = replay;
    counter.weight = counter.error + counter.count * this.#costOf(counter);
    sketch.reweigh(counter);
  }

  recordCost(key: string, costMs: number): void {
    if (!(costMs >= 0 && costMs < Number.POSITIVE_INFINITY)) return;
    this.#costTotal += costMs;
    this.#costSamples++;
    const counter = this.#counterOf(key);
    if (counter === undefined) return; // evicted since its request: it is not among the heavy keys
    counter.samples++;
    counter.costMs += (costMs - counter.costMs) * Math.max(1 / counter.samples, COST_SMOOTHING);
    counter.weight = counter.error + counter.count * counter.costMs;
    this.#sketch.reweigh(counter);
  }

  /**
   * The tracked keys ranked by impact (`count * costMs`), highest first. Counts are those seen since the
   * key was last admitted to the sketch (a lower bound), so a key's rank never rests on inherited error.
   */
  top(limit = Number.POSITIVE_INFINITY): RankedEntry[] {
    const prior = this.#priorCostMs();
    const ranked = this.#sketch.counters().map((c): RankedEntry => {
      const costMs = c.samples > 0 ? c.costMs : prior;
      return { key: c.key, count: c.count, costMs, replay: c.replay ?? null, impactMs: c.count * costMs };
    });
    return ranked.sort(byImpact).slice(0, limit);
  }

  /** What the hotlist file holds: the top `hotlistSize` entries; replays that JSON would alter are dropped. */
  hotlist(): HotlistEntry[] {
    return this.top(this.#hotlistSize).map(({ key, count, costMs, replay }) => ({
      key,
      count,
      costMs: Math.round(costMs * 1000) / 1000,
      replay: replay?.kind === 'loader' && !isPlainJson(replay.args) ? null : replay,
    }));
  }

  /** Writes the hotlist now (no-op without `hotlistFile`). Rejects with `HotlistError`. */
  async flush(): Promise<void> {
    await this.#writer?.flush();
  }

  /** Stops periodic writes and writes the hotlist a last time. Idempotent. */
  async close(): Promise<void> {
    await this.#writer?.close();
  }

  /**
   * The counter a cost belongs to: a URL key's cost goes to the key it was recorded under, filtered.
   * A cost comes with the key only, so a key that is not a URL's (a loader's `search:["a?b"]`) is
   * looked up as given when its filtered form is not tracked.
   */
  #counterOf(key: string): HotCounter | undefined {
    const filtered = this.#filter?.(key);
    return (filtered?.removed && this.#sketch.get(filtered.text)) || this.#sketch.get(key);
  }

  #costOf(counter: HotCounter): number {
    return counter.samples > 0 ? counter.costMs : this.#priorCostMs();
  }

  #priorCostMs(): number {
    return this.#costSamples > 0 ? this.#costTotal / this.#costSamples : 1;
  }
}
