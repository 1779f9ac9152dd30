/**
 * Nodes on their way back, for one cache: what this process wrote while a node was down (so a node that was
 * only hung cannot serve its old values again), when routing may go home, and the warm window after it.
 *
 * A node that answers again is *returning*: its keys keep their away routing (reads go where they went
 * during the outage; writes go there and home too), while this process deletes at home every key it wrote
 * while the node was down. Routing goes home after a holdoff of one probe interval plus one call timeout,
 * and a second pass over what was written meanwhile: every process notices the return within one probe
 * interval of it, so by the time any process reads at home, every process has deleted what it wrote away
 * (a key written by many processes is deleted by each of them). A node none of whose keys this process
 * sent elsewhere meanwhile (every node was down: each owner was tried in place) skips the holdoff: there is
 * no away routing to keep. A node whose list overflowed
 * (`maxAwayKeys`) is flushed instead: it comes back empty, as after a restart, and the warm window refills
 * it from the node that served its keys meanwhile.
 *
 * Then the node is *warming* for `warmReturnMs`: a miss there reads the node that served the key meanwhile
 * and copies the value home (route-calls.ts). A node that restarted empty warms too.
 */
import type { CacheEventEmitter, CacheStats } from '../events.js';
import type { NodePool } from '../store/node-pool.js';

export interface ReturnSettings {
  /** How long a returning node keeps its away routing after it answers: a probe interval plus a call timeout. */
  holdoffMs: number;
  warmReturnMs: number;
  maxAwayKeys: number;
  /** Seconds a lock lives: how long after going home a lock taken away may still be held there. */
  lockTtl: number;
}

/** Deletes in flight at once while a node's keys are invalidated. */
const DELETES_IN_FLIGHT = 32;

export class NodeReturns {
  /** Per node: routing still goes away (holdoff). Read on every call: plain booleans, set by timers. */
  readonly returning: boolean[];
  /** Per node: a miss there reads the node that served its keys meanwhile. */
  readonly warming: boolean[];
  /**
   * Per node: locks of its keys are taken both at home and on the away node, from its return until a lock
   * taken away before it can no longer be held (holdoff, then `lockTtl` and a second of memcached's clock).
   */
  readonly lockTransition: boolean[];
  readonly #pool: NodePool;
  readonly #settings: ReturnSettings;
  readonly #events: CacheEventEmitter;
  readonly #stats: CacheStats | undefined;
  /** Per node: keys written while it was down, or that a copy write failed to reach. Bounded. */
  readonly #missed: Array<Set<string>>;
  readonly #overflowed: boolean[];
  /**
   * Per node: while it was down, this process sent a call for one of its keys to another node (or the
   * gutter). If not, its keys were served nowhere else here: on its return there is no away routing to keep.
   */
  readonly #servedElsewhere: boolean[];
  /** Per node: bumped when the node goes down again, so a return in progress stops. */
  readonly #generation: number[];
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(pool: NodePool, settings: ReturnSettings, events: CacheEventEmitter, stats?: CacheStats) {
    const n = pool.nodes.length;
    this.#pool = pool;
    this.#settings = settings;
    this.#events = events;
    this.#stats = stats;
    this.returning = new Array<boolean>(n).fill(false);
    this.warming = new Array<boolean>(n).fill(false);
    this.lockTransition = new Array<boolean>(n).fill(false);
    this.#missed = Array.from({ length: n }, () => new Set<string>());
    this.#overflowed = new Array<boolean>(n).fill(false);
    this.#servedElsewhere = new Array<boolean>(n).fill(false);
    this.#generation = new Array<number>(n).fill(0);
  }

  /** A call for a key of node `index`, which is down, went to another node (or the gutter). */
  servedElsewhere(index: number): void {
    this.#servedElsewhere[index] = true;
  }

  /** A write of `key` did not reach node `index` (down, or its copy failed): delete it there before reading it again. */
  missed(index: number, key: string): void {
    const keys = this.#missed[index];
    if (!keys || keys.has(key)) return;
    if (keys.size >= this.#settings.maxAwayKeys) this.#overflowed[index] = true;
    else keys.add(key);
  }

  /** A copy write failed on a node that is still up: its stale key is deleted soon, not at a return. */
  copyFailed(index: number, key: string, up: boolean): void {
    this.missed(index, key);
    if (up && !this.returning[index])
      this.#later(this.#settings.holdoffMs, () => void this.#invalidate(index));
  }

  nodeDown(index: number): void {
    this.#generation[index] = (this.#generation[index] ?? 0) + 1;
    this.#servedElsewhere[index] = false;
    this.returning[index] = false;
    this.warming[index] = false;
    this.lockTransition[index] = false;
  }

  /**
   * Node `index` answers again after being down: invalidate, hold off, go home, warm. With none of its keys
   * served elsewhere by this process (every node was down, say: each owner was tried in place), routing goes
   * home at once. A holdoff would send its keys to whichever node is usable now, which never held them:
   * after a restart of every node, the first node home would take the others' keys for a holdoff.
   */
  nodeUp(index: number): void {
    const generation = (this.#generation[index] ?? 0) + 1;
    this.#generation[index] = generation;
    const away =
      this.#servedElsewhere[index] === true ||
      this.#overflowed[index] === true ||
      (this.#missed[index]?.size ?? 0) > 0;
    this.#servedElsewhere[index] = false;
    this.returning[index] = away;
    this.warming[index] = false;
    this.lockTransition[index] = true;
    void this.#comeHome(index, generation, Date.now(), away);
  }

  /** Node `index` restarted empty: nothing stale can be there; warm it (its keys are elsewhere, if anywhere). */
  nodeRestarted(index: number): void {
    this.#missed[index]?.clear();
    this.#overflowed[index] = false;
    if (!this.returning[index]) this.#warm(index, this.#generation[index] ?? 0);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  async #comeHome(index: number, generation: number, since: number, away: boolean): Promise<void> {
    const current = () => !this.#closed && this.#generation[index] === generation;
    let invalidated = await this.#invalidate(index);
    if (away) await new Promise<void>((resolve) => this.#later(this.#settings.holdoffMs, resolve));
    // Keys written away during the holdoff by this process went home too, but a failed delete stays listed.
    while (current() && (this.#missed[index]?.size !== 0 || this.#overflowed[index])) {
      const more = await this.#invalidate(index);
      if (more < 0) await new Promise<void>((resolve) => this.#later(this.#settings.holdoffMs, resolve));
      else invalidated += more;
    }
    if (!current()) return;
    this.returning[index] = false;
    this.#later(this.#settings.lockTtl * 1000 + 1000, () => {
      if (this.#generation[index] === generation) this.lockTransition[index] = false;
    });
    const node = this.#pool.nodes[index];
    if (node) {
      this.#events.emit('node:home', {
        node: node.id,
        invalidated: Math.max(0, invalidated),
        holdoffMs: Date.now() - since,
      });
    }
    this.#warm(index, generation);
  }

  #warm(index: number, generation: number): void {
    if (this.#settings.warmReturnMs <= 0) return;
    this.warming[index] = true;
    this.#later(this.#settings.warmReturnMs, () => {
      if (this.#generation[index] === generation) this.warming[index] = false;
    });
  }

  /**
   * Deletes at node `index` the keys listed for it (flushes it if the list overflowed). Resolves how many
   * keys it invalidated, or -1 when the node failed (the keys stay listed).
   */
  async #invalidate(index: number): Promise<number> {
    const node = this.#pool.nodes[index];
    const listed = this.#missed[index];
    if (!node || !listed) return 0;
    if (this.#overflowed[index]) {
      try {
        await node.flush();
      } catch {
        return -1;
      }
      this.#overflowed[index] = false;
      const count = listed.size;
      listed.clear();
      this.#count(count);
      return count;
    }
    const keys = [...listed];
    let failed = false;
    for (let at = 0; at < keys.length; at += DELETES_IN_FLIGHT) {
      const batch = keys.slice(at, at + DELETES_IN_FLIGHT);
      const results = await Promise.allSettled(batch.map((key) => node.delete(key)));
      results.forEach((result, i) => {
        if (result.status === 'fulfilled') listed.delete(batch[i] as string);
        else failed = true;
      });
      if (failed) return -1;
    }
    this.#count(keys.length);
    return keys.length;
  }

  #count(keys: number): void {
    if (this.#stats) this.#stats.returnInvalidations += keys;
  }

  #later(ms: number, run: () => void): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }
}
