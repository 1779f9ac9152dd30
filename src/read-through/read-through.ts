/**
 * The read-through decision, as one small state machine over a store it does not know:
 *
 *   read ─ fresh ──────────────────────────────────────────────▶ value (hit; maybe early refresh)
 *        ─ stale, in grace ─▶ one background refresh cluster-wide ▶ stale value now
 *        ─ miss ─ no locking ───────────────────────────────────▶ load, store
 *               ─ locking ─ add safe-<key> ─ won ─▶ read again ─▶ load, store, release
 *                                          ─ lost ─▶ wait ─ value ─────▶ value  (wait: waiter.ts)
 *                                                         ─ lock gone ─▶ try the lock again
 *                                                         ─ budget spent ▶ onWaitTimeout
 *
 * A memcached failure that made the monitor mark the node down (failover routing now sends the key
 * elsewhere), or a read that met a reset connection, starts the read-through over, at most twice and within
 * the same wait budget; a timeout never does (`shouldRetry`), so a call waits out at most one `opTimeoutMs`
 * before it degrades. Any other failure degrades to loading directly (the caller is still coalesced
 * in-process by the cache): a cache problem never becomes the caller's error.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import type { Envelope, TagStamp } from '../envelope.js';
import { CacheClosedError, StoreError, WaitTimeoutError } from '../errors.js';
import type { CacheEventEmitter, CacheStats, HitTier } from '../events.js';
import type { LoadTicket } from '../invalidation/load-guard.js';
import { type Loader, LoaderDirectives } from '../loader-context.js';
import type { HeldLock, SafeLock } from '../lock/safe-lock.js';
import type { ResolvedPolicy } from '../options.js';
import { type AnswerSource, NO_STALE_WINDOW } from './answer.js';
import { CostMemory } from './cost-memory.js';
import type { Entries, EntryKey, PendingTagStates, WriteOutcome } from './entries.js';
import { LoadLink, recursionOn } from './load-chain.js';
import type { HeldEntry, MemoryTier } from './memory-tier.js';
import { RunningLoads } from './running-loads.js';
import type { PollTiming } from './wait-schedule.js';
import { type WaitOutcome, waitForValue } from './waiter.js';

export interface ReadRequest<T> extends EntryKey {
  loader: Loader<T>;
  policy: ResolvedPolicy;
  /** Set by the read-through as it answers: how, and the freshness of the value it returns. */
  source: AnswerSource | undefined;
  freshUntil: number | undefined;
}

export interface ReadThroughDeps {
  entries: Entries;
  lock: SafeLock;
  events: CacheEventEmitter;
  stats: CacheStats;
  poll: PollTiming;
  /** Whether a miss takes the `safe-` lock (safe mode, or the call asked for it). */
  shouldLock(policy: ResolvedPolicy): boolean;
  /** Runs a loader call, under the safe-mode cap on concurrent loads when it applies (queued at most `maxWaitMs`). */
  limitLoad?<T>(task: () => Promise<T>, maxWaitMs: number): Promise<T>;
  /**
   * Whether a failed store call is worth starting over (failover moved the key, or a stale socket broke).
   * Must say no to timeouts: each start-over may meet another one.
   */
  shouldRetry?(error: StoreError): boolean;
  /** Learns what loading a key costs (from a load here, or from the entry another process stored). */
  observeCost?(key: string, costMs: number): void;
  /** The in-process memory tier in front of the store (`CacheOptions.memory`); undefined when off. */
  memory?: MemoryTier;
}

export class ReadThrough {
  readonly #deps: ReadThroughDeps;
  /** Background refreshes in flight, by store key: at most one per key in this process. */
  readonly #refreshing = new Map<string, Promise<void>>();
  /** Writes left running after the caller was served (degraded mode), and loads after `loadTimeoutMs`. */
  readonly #pendingWrites = new Set<Promise<unknown>>();
  /** Last known load cost per key: what a lock holder publishes when the expired entry is gone. */
  readonly #costs = new CostMemory();
  readonly #loads = new RunningLoads();
  /** Aborted when `close()` gives up on what is in flight: waits end at once. */
  readonly #closing = new AbortController();
  /** Forced refreshes (`cache.refresh()`) by store key: the latest one, and whether its load has begun. */
  readonly #forced = new Map<string, ForcedRefresh>();
  /** The last foreground load of recent keys: what `cache.refresh(key)` without a loader runs again. */
  readonly #lastLoads = new LRUCache<string, ReadRequest<unknown>>({ max: RECENT_LOADS });

  constructor(deps: ReadThroughDeps) {
    this.#deps = deps;
  }

  /**
   * One read-through. Not async: a hit resolves in the read's own continuation (no extra promise).
   * `retries` and `waitStarted` carry over when a store failure made it start over (see #recover).
   */
  fetch<T>(req: ReadRequest<T>, retries = 0, waitStarted?: number): Promise<T> {
    const { entries } = this.#deps;
    const tags = entries.readTags(req); // in the entry's tick: one round trip for both
    return entries.readBytes(req).then(
      (bytes) => this.#judged(req, entries.decode(req, bytes), tags, retries, waitStarted),
      (error: unknown) => this.#recover(req, error, null, retries, waitStarted),
    );
  }

  /** Decides on an entry once invalidation is applied: in the read's continuation once its tags' states are in. */
  #judged<T>(
    req: ReadRequest<T>,
    decoded: Envelope | null,
    tags: PendingTagStates,
    retries: number,
    waitStarted: number | undefined,
  ): T | Promise<T> {
    const { entries } = this.#deps;
    const states = entries.tagStates(req, decoded, tags);
    if (!(states instanceof Promise))
      return this.#decide(req, entries.judgeWith(decoded, states), retries, waitStarted);
    return states.then(
      (named) => this.#decide(req, entries.judgeWith(decoded, named), retries, waitStarted),
      (error: unknown) => this.#recover(req, error, null, retries, waitStarted),
    );
  }

  /**
   * What the memory tier holds for `key` (a fresh entry), counted and reported as a hit (and refreshed early
   * when XFetch says so), or undefined on a miss there. No request, flight or promise: the caller answers
   * with it. The caller checks the tier first, then starts a flight with `fetchThroughMemory()`.
   */
  fromMemory<T>(key: string, loader: Loader<T>, policy: ResolvedPolicy): HeldEntry | undefined {
    const now = Date.now();
    const held = this.#deps.memory?.get(key, now);
    if (held === undefined) return undefined;
    this.#deps.stats.memoryHits++;
    const { entry } = held;
    this.#countHit(key, entry, 'memory');
    if (now >= held.renewFrom && !held.renewing) this.#renewInBackground(key, held);
    if (earlyRefreshWanted(entry, policy, now)) {
      const req = { key, storeKey: held.storeKey, loader, policy, source: undefined, freshUntil: undefined };
      this.#refreshInBackground(req, entry);
    }
    return held;
  }

  /**
   * Re-reads a tier entry near the end of its hold while it keeps answering hits: the new read starts a new
   * hold, so what the tier serves was still read from memcached at most its ttl ago. A failure is reported;
   * the entry then ends its hold as usual.
   */
  #renewInBackground(key: string, held: HeldEntry): void {
    const { entries, memory } = this.#deps;
    held.renewing = true;
    const k = { key, storeKey: held.storeKey };
    const renewal = entries.readBytes(k).then(
      (bytes) => {
        const found = entries.decode(k, bytes);
        if (found !== null && bytes !== null) memory?.renew(k, held, found, bytes.length);
        else held.renewing = false;
      },
      (error: unknown) => {
        held.renewing = false;
        if (error instanceof StoreError) this.#storeError(key, error.operation, error);
      },
    );
    this.#track(renewal);
  }

  /** `fetch()` after a miss in the memory tier: the entry the store returns is kept there too. */
  fetchThroughMemory<T>(req: ReadRequest<T>): Promise<T> {
    const { entries, memory } = this.#deps;
    const tags = entries.readTags(req);
    return entries.readBytes(req).then(
      (bytes) => {
        const found = entries.decode(req, bytes);
        // The tier refuses tagged and invalidated entries: what it keeps needs no judging.
        if (found !== null && bytes !== null) memory?.remember(req, found, bytes.length);
        return this.#judged(req, found, tags, 0, undefined);
      },
      (error: unknown) => this.#recover(req, error, null, 0, undefined),
    );
  }

  #decide<T>(
    req: ReadRequest<T>,
    found: Envelope | null,
    retries: number,
    waitStarted: number | undefined,
  ): T | Promise<T> {
    const { events, stats } = this.#deps;
    const now = Date.now();
    if (found && now < found.freshUntil) return this.#hit(req, found, now);
    // An entry its loader said noStale() for has no stale window, whatever the call's.
    const { grace, staleIfError } = found?.noStale ? NO_STALE_WINDOW : req.policy;
    if (found && now < found.freshUntil + grace * 1000) {
      stats.staleHits++;
      events.emit('stale', { key: req.key, reason: 'grace', ageMs: now - found.freshUntil });
      this.#refreshInBackground(req, found);
      req.source = 'stale';
      req.freshUntil = found.freshUntil;
      return found.value as T;
    }

    stats.misses++;
    events.emit('miss', { key: req.key });
    // An entry past grace is still kept while stale-if-error allows: a fallback, never an answer by itself.
    const stale = found && now < found.freshUntil + staleIfError * 1000 ? found : null;
    if (!this.#deps.shouldLock(req.policy)) return this.#load(req, stale);
    return this.#lockedLoad(req, stale, found, retries, waitStarted);
  }

  /** A fresh entry read from the store answers (maybe refreshing it early), as one from the memory tier does. */
  #hit<T>(req: ReadRequest<T>, found: Envelope, now: number): T {
    this.#countHit(req.key, found, 'store');
    if (earlyRefreshWanted(found, req.policy, now)) this.#refreshInBackground(req, found);
    req.source = 'hit';
    req.freshUntil = found.freshUntil;
    return found.value as T;
  }

  /** Counts and reports a hit, whichever tier answered it. */
  #countHit(key: string, found: Envelope, tier: HitTier): void {
    const { events, stats } = this.#deps;
    stats.hits++;
    if (events.listening('hit')) events.emit('hit', { key, tier });
    this.#deps.observeCost?.(key, found.costMs);
  }

  /** Settles when background refreshes, forced refreshes and deferred writes of this moment have settled. */
  async drain(): Promise<void> {
    const forced = [...this.#forced.values()].map((f) => f.promise);
    await Promise.allSettled([...this.#refreshing.values(), ...this.#pendingWrites, ...forced]);
  }

  /** The loader and policy of the last load of `storeKey` in this process, if still remembered. */
  lastLoad(storeKey: string): Pick<ReadRequest<unknown>, 'loader' | 'policy'> | undefined {
    return this.#lastLoads.get(storeKey);
  }

  /**
   * Reloads the key now and swaps the new value in (`cache.refresh()`): readers keep the stored value
   * until then. Refreshes asked for while one waits for its turn join it; one asked for after its loader
   * began (which may have read the database before the change that asked) runs after it. Cluster-wide it
   * takes the `safe-` lock, waiting (at most `waitTimeoutMs`) for a holder whose load may predate the change.
   */
  refresh<T>(req: ReadRequest<T>): Promise<T> {
    const current = this.#forced.get(req.storeKey);
    if (current && !current.begun) return current.promise as Promise<T>;
    const previous = current?.promise.catch(() => undefined);
    const slot: ForcedRefresh = { begun: false, promise: Promise.resolve() };
    const run = async () => {
      await previous;
      return this.#forceRefresh(req, slot);
    };
    const promise = run().finally(() => {
      if (this.#forced.get(req.storeKey) === slot) this.#forced.delete(req.storeKey);
    });
    slot.promise = promise;
    this.#forced.set(req.storeKey, slot);
    return promise;
  }

  async #forceRefresh<T>(req: ReadRequest<T>, slot: ForcedRefresh): Promise<T> {
    const { lock } = this.#deps;
    const deadline = Date.now() + req.policy.waitTimeoutMs;
    const acquire = () =>
      lock.tryAcquire(req.storeKey, this.#costs.get(req.storeKey)).catch((error: unknown) => {
        if (!(error instanceof StoreError)) throw error;
        this.#storeError(req.key, error.operation, error);
        return undefined; // memcached failed: go on without the lock (the conditional store still guards)
      });
    let held = await acquire();
    while (held === null && Date.now() < deadline) {
      await sleep(this.#deps.poll.maxMs, undefined, { signal: this.#closing.signal });
      held = await acquire();
    }
    try {
      held?.startHeartbeat();
      slot.begun = true;
      const ticket = await this.#observe(req);
      const loaded = await this.#runLoader(req, null, false);
      if (loaded.store && ticket !== null) {
        const { outcome, freshUntil } = await this.#storeLoaded(req, loaded, ticket, false);
        if (outcome === 'stored') req.freshUntil = freshUntil;
      }
      return loaded.value;
    } finally {
      if (held) await held.release();
    }
  }

  /** The cache is closing and will not wait any longer: loads reject, waits end, new loads fail at once. */
  abandon(): void {
    this.#closing.abort(new CacheClosedError());
    this.#loads.abandon();
  }

  /**
   * A call joined on another in-process call for the same key: it gets that call's answer, or, once its
   * own wait budget is spent, what `onWaitTimeout` says (a load of its own, not a join of the same flight).
   */
  join<T>(leader: Promise<T>, req: ReadRequest<T>, copyAnswer: () => void): Promise<T> {
    const budgetMs = req.policy.waitTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.#joinTimedOut(req, budgetMs).then(resolve, reject), budgetMs);
      leader.then(
        (value) => {
          clearTimeout(timer);
          copyAnswer();
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  async #joinTimedOut<T>(req: ReadRequest<T>, waitedMs: number): Promise<T> {
    if (this.#closing.signal.aborted) throw this.#closing.signal.reason;
    const found = await this.#deps.entries.read(req).catch((error: unknown) => {
      if (error instanceof StoreError) this.#storeError(req.key, error.operation, error);
      return null;
    });
    const now = Date.now();
    if (found && now < found.freshUntil) return waited(req, found);
    const keep = found?.noStale ? 0 : req.policy.staleIfError;
    const stale = found && now < found.freshUntil + keep * 1000 ? found : null;
    return this.#onWaitTimeout(req, stale, waitedMs);
  }

  async #lockedLoad<T>(
    req: ReadRequest<T>,
    stale: Envelope | null,
    seen: Envelope | null,
    retries: number,
    waitStarted: number | undefined,
  ): Promise<T> {
    const { lock, stats, events } = this.#deps;
    const recursion = recursionOn(req);
    if (recursion) throw recursion;
    // One budget per caller: a start-over after a store failure continues the wait it interrupted.
    const started = waitStarted ?? Date.now();
    const deadline = started + req.policy.waitTimeoutMs;
    // A fresh entry newer than the one we saw is the answer we wait for (not an invalidated one).
    const accept = (e: Envelope) =>
      Date.now() < e.freshUntil && (seen === null || e.freshUntil > seen.freshUntil);
    // What the waiters are told to expect: the cost recorded with the expired entry, else what we learned.
    const estimateMs = seen && seen.costMs > 0 ? seen.costMs : this.#costs.get(req.storeKey);

    for (;;) {
      // The re-read under the lock (#underLock) is issued right behind the add, so both travel in one
      // batch (one round trip) and memcached, which answers a connection's requests in order, reads after
      // it has added. A loser drops what it read: its wait reads on its own schedule.
      const acquiring = lock.tryAcquire(req.storeKey, estimateMs);
      const reread: Promise<Reread> = this.#deps.entries.observeEntry(req).then(
        ({ entry, ticket }) => ({ entry, ticket, error: undefined }),
        (error: unknown) => ({ entry: null, ticket: null, error }),
      );
      let held: HeldLock | null;
      try {
        held = await acquiring;
      } catch (error) {
        return this.#recover(req, error, stale, retries, started);
      }
      if (held) return this.#loadHoldingLock(req, held, reread, stale, accept);

      stats.locksBusy++;
      events.emit('lock:busy', { key: req.key });
      const remaining = deadline - Date.now();
      let outcome: WaitOutcome = { kind: 'timeout', reads: 0 };
      if (remaining > 0) {
        stats.waits++;
        try {
          outcome = await waitForValue({
            read: () => this.#deps.entries.read(req),
            readLock: () => lock.read(req.storeKey),
            accept,
            budgetMs: remaining,
            poll: this.#deps.poll,
            signal: this.#closing.signal,
          });
        } catch (error) {
          if (this.#closing.signal.aborted) throw this.#closing.signal.reason;
          return this.#recover(req, error, stale, retries, started);
        }
      }
      events.emit('wait:done', {
        key: req.key,
        waitedMs: Date.now() - started,
        outcome: outcome.kind,
        reads: outcome.reads,
      });
      if (outcome.kind === 'value') {
        this.#costs.learn(req.storeKey, outcome.envelope.costMs);
        return waited(req, outcome.envelope);
      }
      if (outcome.kind === 'lock-gone' && Date.now() < deadline) continue;
      return this.#onWaitTimeout(req, stale, Date.now() - started);
    }
  }

  /** The load runs (and holds the lock) until it settles; its callers may get the stale value sooner. */
  #loadHoldingLock<T>(
    req: ReadRequest<T>,
    held: HeldLock,
    reread: Promise<Reread>,
    stale: Envelope | null,
    accept: (e: Envelope) => boolean,
  ): Promise<T> {
    return this.#answerWithin(req, this.#underLock(req, held, reread, stale, accept), stale);
  }

  async #underLock<T>(
    req: ReadRequest<T>,
    held: HeldLock,
    reread: Promise<Reread>,
    stale: Envelope | null,
    accept: (e: Envelope) => boolean,
  ): Promise<T> {
    const { stats, events } = this.#deps;
    stats.locksAcquired++;
    events.emit('lock:acquired', { key: req.key });
    try {
      // Read again under the lock: the previous holder may have stored the value and released the lock
      // between our first read and our add. Without this read we would load a value that is already there.
      const { entry: again, ticket, error } = await reread;
      // memcached failed: load, as without the cache (and without storing: the key's state is unknown)
      if (error instanceof StoreError) this.#storeError(req.key, error.operation, error);
      if (again && accept(again) && Date.now() < again.freshUntil) return waited(req, again);
      held.startHeartbeat(() => events.emit('lock:extended', { key: req.key }));
      // The re-read noted the key's state after the lock was ours, before the loader runs.
      return await this.#loadAndStore(req, stale, ticket === null, held, ticket ?? undefined);
    } finally {
      // Released before the caller resumes, so the next miss anywhere does not wait for the lock TTL.
      // After a load that stored, this is the release already sent with the write.
      const wasHeld = await held.release();
      events.emit('lock:released', { key: req.key, held: wasHeld });
    }
  }

  async #onWaitTimeout<T>(req: ReadRequest<T>, stale: Envelope | null, waitedMs: number): Promise<T> {
    const policy = req.policy.onWaitTimeout;
    this.#deps.stats.waitTimeouts++;
    this.#deps.events.emit('wait:timeout', { key: req.key, waitedMs, policy });
    if (policy === 'throw') throw new WaitTimeoutError(req.key, waitedMs);
    if (policy === 'stale' && stale) return this.#serveStale(req, stale, 'wait-timeout');
    return this.#load(req, stale);
  }

  /**
   * Loads and stores, answering with the stale value if the load outlives `loadTimeoutMs`. `degraded`:
   * memcached just failed; see #loadAndStore.
   */
  #load<T>(req: ReadRequest<T>, stale: Envelope | null, degraded = false): Promise<T> {
    // Checked where a miss starts a load (or takes the lock), never on a hit: a background refresh has
    // no flight to join, so its loader asking for its own key would otherwise wait for itself.
    const recursion = recursionOn(req);
    if (recursion) return Promise.reject(recursion);
    return this.#answerWithin(req, this.#loadAndStore(req, stale, degraded), stale);
  }

  /**
   * `work` (a load), or the stale value once it has run `loadTimeoutMs`: then the load goes on in the
   * background (close() waits for it) and stores its result if it gets one.
   */
  #answerWithin<T>(req: ReadRequest<T>, work: Promise<T>, stale: Envelope | null): Promise<T> {
    const softMs = req.policy.loadTimeoutMs;
    if (softMs <= 0 || !stale) return work;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#track(work.catch(() => undefined)); // its failure was reported as load:error already
        resolve(this.#serveStale(req, stale, 'load-timeout'));
      }, softMs);
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** A loaded value as it is stored: the policy the loader's directives make, its freshness and its bytes. */
  #encodeLoaded<T>(req: ReadRequest<T>, loaded: Loaded<T>, stamps: readonly TagStamp[], body: Buffer) {
    const policy = storedPolicy(req.policy, loaded);
    const freshUntil = Date.now() + policy.ttl * 1000;
    const bytes = this.#deps.entries.encode(
      req,
      loaded.value,
      loaded.costMs,
      policy,
      loaded.noStale,
      freshUntil,
      stamps,
      body,
    );
    return { policy, freshUntil, bytes };
  }

  /** What a load notes before its loader runs; null (reported) when memcached failed: it will not store. */
  #observe<T>(req: ReadRequest<T>): Promise<LoadTicket | null> {
    return this.#deps.entries.observe(req).catch((error: unknown) => {
      if (!(error instanceof StoreError)) throw error;
      this.#storeError(req.key, error.operation, error);
      return null;
    });
  }

  /**
   * Stores a loaded value unless an invalidation landed since `ticket` (then reported as superseded).
   * Throws SerializationError at once (before awaiting anything); then resolves the outcome and the
   * stored freshness, or rejects with StoreError.
   */
  #storeLoaded<T>(
    req: ReadRequest<T>,
    loaded: Loaded<T>,
    ticket: LoadTicket,
    background: boolean,
    held?: HeldLock,
  ): Promise<{ outcome: WriteOutcome; freshUntil: number }> {
    const body = this.#deps.entries.serialize(req, loaded.value);
    return this.#storeSerialized(req, loaded, body, ticket, background, held);
  }

  /** `held`: released right behind the write, in its batch (see #loadAndStore). */
  async #storeSerialized<T>(
    req: ReadRequest<T>,
    loaded: Loaded<T>,
    body: Buffer,
    ticket: LoadTicket,
    background: boolean,
    held: HeldLock | undefined,
  ): Promise<{ outcome: WriteOutcome; freshUntil: number }> {
    const { entries, stats, events } = this.#deps;
    const tags = [...new Set([...(req.tags ?? []), ...loaded.tags])];
    const stamps = tags.length > 0 ? await entries.stamps(ticket, tags) : [];
    let outcome: WriteOutcome = 'tags-moved';
    if (stamps !== null) {
      const { policy, freshUntil, bytes } = this.#encodeLoaded(req, loaded, stamps, body);
      const writing = entries.write(req, bytes, policy, ticket);
      void held?.release(); // awaited (never rejects) by the holder's finally
      outcome = await writing;
      if (outcome === 'stored') {
        this.#remember(req, loaded, freshUntil, bytes.length, tags.length > 0);
        return { outcome, freshUntil };
      }
    }
    if (outcome !== 'too-large') {
      stats.supersededWrites++;
      events.emit('write:superseded', { key: req.key, reason: outcome, background });
    }
    return { outcome, freshUntil: Number.NaN };
  }

  /**
   * Runs the loader and stores its value. Store failures are reported, never thrown. A `held` lock is
   * released right behind the write, in the same batch: memcached stores the value before it deletes the
   * lock, so a waiter that sees the lock gone finds the value. `noted`: the key's state, read already.
   * `degraded`: memcached just failed, so the key is not read first (that would cost the caller another
   * failed call); the value is stored in the background by `add` only (load-guard.ts, `unread`).
   */
  async #loadAndStore<T>(
    req: ReadRequest<T>,
    stale: Envelope | null,
    degraded = false,
    held?: HeldLock,
    noted?: LoadTicket,
  ): Promise<T> {
    // Before the loader reads anything: what it reads is then no older than what we note.
    const ticket = degraded ? this.#deps.entries.unread() : (noted ?? (await this.#observe(req)));
    const loaded = await this.#runLoader(req, stale, false);
    if (!loaded.store || ticket === null) return loaded.value;
    const write = this.#storeLoaded(req, loaded, ticket, false, held).then(
      ({ outcome, freshUntil }) => {
        if (outcome === 'stored') req.freshUntil = freshUntil;
      },
      (error: unknown) => this.#storeError(req.key, 'set', error),
    );
    if (degraded) this.#track(write);
    else await write;
    return loaded.value;
  }

  async #runLoader<T>(req: ReadRequest<T>, stale: Envelope | null, background: boolean): Promise<Loaded<T>> {
    const { stats, events } = this.#deps;
    let directives!: LoaderDirectives; // made with the load's signal when it starts
    stats.loads++;
    // Timed and counted from when the loader starts: a wait for a slot under the cap is not its cost.
    let started = 0;
    if (!background) this.#lastLoads.set(req.storeKey, req as ReadRequest<unknown>);
    const load = async () => {
      started = performance.now();
      stats.inflightLoads++;
      const link = new LoadLink(req);
      try {
        return await this.#loads.run(req.key, req.policy.hardTimeoutMs, (signal) => {
          directives = new LoaderDirectives(req.key, background, signal);
          return link.run(() => req.loader(directives));
        });
      } finally {
        link.end();
        stats.inflightLoads--;
      }
    };
    try {
      const value = this.#deps.limitLoad
        ? await this.#deps.limitLoad(load, req.policy.waitTimeoutMs)
        : await load();
      const costMs = performance.now() - started;
      if (!background) {
        req.source = 'loaded';
        req.freshUntil = undefined; // until it is stored
      }
      events.emit('load', { key: req.key, durationMs: costMs, background });
      this.#costs.learn(req.storeKey, costMs);
      this.#deps.observeCost?.(req.key, costMs);
      return {
        value,
        store: directives.store,
        ttl: directives.ttl,
        noStale: !directives.stale,
        costMs,
        tags: directives.tags,
      };
    } catch (error) {
      stats.loadErrors++;
      events.emit('load:error', { key: req.key, error, background });
      if (stale && !background) {
        const value = this.#serveStale(req, stale, 'error');
        return { value, store: false, ttl: undefined, noStale: false, costMs: 0, tags: [] };
      }
      throw error;
    }
  }

  #serveStale<T>(req: ReadRequest<T>, stale: Envelope, reason: StaleReason): T {
    this.#deps.stats.staleHits++;
    this.#deps.events.emit('stale', { key: req.key, reason, ageMs: Date.now() - stale.freshUntil });
    req.source = 'stale';
    req.freshUntil = stale.freshUntil;
    return stale.value as T;
  }

  /**
   * memcached failed. If that failure just marked the node down (failover now sends the key elsewhere)
   * or a read met a stale connection, start over, at most twice (a reset, then a refusal), still within
   * the wait budget of the first attempt. Otherwise load directly (still coalesced in-process) and store
   * without waiting, by `add` only (see #loadAndStore).
   */
  #recover<T>(
    req: ReadRequest<T>,
    error: unknown,
    stale: Envelope | null,
    retries: number,
    waitStarted: number | undefined,
  ): Promise<T> {
    if (!(error instanceof StoreError)) throw error;
    this.#storeError(req.key, error.operation, error);
    if (retries < MAX_RETRIES && this.#deps.shouldRetry?.(error))
      return this.fetch(req, retries + 1, waitStarted);
    return this.#load(req, stale, true);
  }

  /** Exactly one refresh cluster-wide: only the winner of the lock refreshes; losers do nothing. */
  #refreshInBackground<T>(req: ReadRequest<T>, seen: Envelope): void {
    if (this.#refreshing.has(req.storeKey)) return;
    const refresh = this.#refresh(req, seen)
      .catch((error: unknown) => {
        if (error instanceof StoreError) this.#storeError(req.key, error.operation, error);
        else this.#deps.events.emit('refresh:error', { key: req.key, error });
      })
      .finally(() => this.#refreshing.delete(req.storeKey));
    this.#refreshing.set(req.storeKey, refresh);
  }

  async #refresh<T>(req: ReadRequest<T>, seen: Envelope): Promise<void> {
    const held = await this.#deps.lock.tryAcquire(req.storeKey, seen.costMs > 0 ? seen.costMs : null);
    if (!held) return;
    try {
      const { entry: again, ticket } = await this.#deps.entries.observeEntry(req);
      // Someone refreshed it meanwhile (a fresh, newer entry; an invalidated one is never fresh).
      if (again && Date.now() < again.freshUntil && again.freshUntil > seen.freshUntil) return;
      held.startHeartbeat();
      const loaded = await this.#runLoader(req, null, true);
      if (!loaded.store) return;
      await this.#storeLoaded(req, loaded, ticket, true, held);
      this.#deps.stats.backgroundRefreshes++;
      this.#deps.events.emit('refresh:done', { key: req.key, durationMs: loaded.costMs });
    } finally {
      await held.release();
    }
  }

  /** Keeps a value this process just stored in the memory tier, when it is on (never a tagged one). */
  #remember(
    req: EntryKey,
    loaded: Loaded<unknown>,
    freshUntil: number,
    bytes: number,
    tagged: boolean,
  ): void {
    if (tagged) return; // its tags are judged in memcached on every read
    const { value, costMs, noStale } = loaded;
    const entry: Envelope = noStale ? { value, freshUntil, costMs, noStale } : { value, freshUntil, costMs };
    this.#deps.memory?.remember(req, entry, bytes);
  }

  #storeError(key: string, operation: string, error: unknown): void {
    this.#deps.stats.storeErrors++;
    this.#deps.events.emit('store:error', { key, operation, error });
  }

  #track(promise: Promise<unknown>): void {
    this.#pendingWrites.add(promise);
    void promise.finally(() => this.#pendingWrites.delete(promise));
  }
}

type StaleReason = 'error' | 'wait-timeout' | 'load-timeout';

interface ForcedRefresh {
  /** Its loader may have read the database: a refresh asked for now must run after it. */
  begun: boolean;
  promise: Promise<unknown>;
}

/** Keys whose last loader `cache.refresh(key)` remembers (loads only: hits record nothing). */
const RECENT_LOADS = 1000;

/** The re-read issued with the lock's add: what it found, or the error it met (never a rejection). */
interface Reread {
  entry: Envelope | null;
  /** What the load notes of the key (load-guard.ts); null when the re-read failed. */
  ticket: LoadTicket | null;
  error: unknown;
}

/** Fresh starts of one read-through after store failures (see #recover). */
const MAX_RETRIES = 2;

interface Loaded<T> {
  value: T;
  /** False when the loader said noStore(), or when a stale value stands in for its error. */
  store: boolean;
  /** The TTL the loader chose, if any. */
  ttl: number | undefined;
  /** The loader said noStale(): the entry lives its TTL only. */
  noStale: boolean;
  costMs: number;
  /** Tags the loader named (`ctx.addTags()`), besides the call's. */
  tags: readonly string[];
}

/** The policy a loaded value is stored with: the loader's TTL, and no stale window if it said noStale(). */
function storedPolicy(policy: ResolvedPolicy, loaded: Loaded<unknown>): ResolvedPolicy {
  const ttl = loaded.ttl ?? policy.ttl;
  return loaded.noStale ? { ...policy, ttl, ...NO_STALE_WINDOW } : { ...policy, ttl };
}

/** A value another call loaded while this one waited (or stored just before this one took the lock). */
function waited<T>(req: ReadRequest<T>, entry: Envelope): T {
  req.source = 'waited';
  req.freshUntil = entry.freshUntil;
  return entry.value as T;
}

/**
 * XFetch (Vattani et al.): refresh early with a probability that grows as expiry nears and with the cost.
 * An entry its loader said noStale() for is never refreshed early, whatever the call's beta.
 */
function earlyRefreshWanted(entry: Envelope, policy: ResolvedPolicy, now: number): boolean {
  const { beta } = policy;
  if (beta <= 0 || entry.noStale) return false;
  const reachMs = entry.costMs * beta;
  // Most hits are far from expiry, where no draw can reach: they skip the draw (a hit-path cost).
  if (entry.freshUntil - now > reachMs * LONGEST_DRAW) return false;
  return now - reachMs * Math.log(Math.random()) >= entry.freshUntil;
}

/** The largest −ln(Math.random()) short of infinity: Math.random() is a multiple of 2^-53. */
const LONGEST_DRAW = 53 * Math.LN2;
