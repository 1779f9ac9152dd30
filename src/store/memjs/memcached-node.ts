/**
 * One memcached node behind one memjs client, with the guarantees memjs lacks: every call settles within
 * `opTimeoutMs` (memjs can leave a promise pending forever when a server closes a socket cleanly), no
 * resends (a resent `add` that had landed would read as "someone else holds it"), and no logging. The
 * compare-and-swap calls, which memjs has no API for, are binary frames of our own (`cas-frames.ts`) sent
 * through memjs's `perform()`, under the same timeout and error mapping.
 */
import memjs from 'memjs';
import { describeThrown, type StoreError, StoreTimeoutError } from '../../errors.js';
import {
  type CasDeleteOutcome,
  type CasMismatch,
  type CasToken,
  type CasValue,
  checkCasToken,
} from '../cas.js';
import type { NodeIdentity, PoolNode } from '../node-pool.js';
import { toExptime } from '../store.js';
import { type CasCall, casCalls } from './cas-frames.js';
import { fromMemjsError } from './errors.js';
import { installResponseReader } from './response-reader.js';
import { TurnCork } from './socket-cork.js';

export interface MemcachedNodeOptions {
  /** `host:port`, optionally `user:pass@host:port`. */
  address: string;
  opTimeoutMs: number;
  /**
   * Told the outcome of every ordinary call (null on success): a health monitor's passive evidence.
   * Not told of probes: the monitor judges those itself, and must not count one failure twice.
   */
  onOutcome?: ((error: StoreError | null) => void) | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

const quietLogger = { log: () => {} };

export class MemcachedNode implements PoolNode {
  /** `host:port`, without credentials: safe to put in events and errors. */
  readonly id: string;
  readonly #client: memjs.Client;
  readonly #timeoutMs: number;
  readonly #onOutcome: MemcachedNodeOptions['onOutcome'];
  readonly #cork: TurnCork;

  constructor(options: MemcachedNodeOptions) {
    this.id = options.address.replace(/^[^@]*@/, '');
    this.#timeoutMs = options.opTimeoutMs;
    this.#onOutcome = options.onOutcome;
    this.#client = memjs.Client.create(options.address, {
      // retries: 1 means one attempt: memjs counts the first try as a retry.
      retries: 1,
      failover: false,
      // memjs' own socket timeout, a little after ours: it resets a hung socket so the node recovers.
      timeout: (options.opTimeoutMs * 1.5) / 1000,
      conntimeout: (options.opTimeoutMs * 2) / 1000,
      keepAlive: true,
      expires: 0,
      logger: quietLogger,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
    });
    this.#cork = new TurnCork(this.#client);
    installResponseReader(this.#client);
  }

  /**
   * Writes to the socket so far: calls issued in one turn of the event loop share one (probes included).
   * The sibling of `MetaNode.writes`: on a quiet node, the round trips its callers waited for.
   */
  get writes(): number {
    return this.#cork.turns;
  }

  get(key: string): Promise<Buffer | null> {
    return this.#perform('get', key, (opaque) => casCalls.plainGet(opaque, key));
  }

  /** Throws InvalidOptionError for a TTL memcached cannot take, before anything is sent. */
  set(key: string, value: Buffer, ttlSeconds: number): Promise<void> {
    const expires = toExptime(ttlSeconds);
    return this.#request<void>('set', this.#timeoutMs, (done) =>
      this.#client.set(key, value, { expires }, (error) => done(error, undefined)),
    );
  }

  add(key: string, value: Buffer, ttlSeconds: number): Promise<boolean> {
    const expires = toExptime(ttlSeconds);
    return this.#request<boolean>('add', this.#timeoutMs, (done) =>
      this.#client.add(key, value, { expires }, (error, stored) => done(error, stored === true)),
    );
  }

  delete(key: string): Promise<boolean> {
    return this.#request<boolean>('delete', this.#timeoutMs, (done) =>
      this.#client.delete(key, (error, existed) => done(error, existed === true)),
    );
  }

  touch(key: string, ttlSeconds: number): Promise<boolean> {
    const expires = toExptime(ttlSeconds);
    return this.#request<boolean>('touch', this.#timeoutMs, (done) =>
      this.#client.touch(key, expires, (error, touched) => done(error, touched === true)),
    );
  }

  /** Empties the node (`flush_all`): every item is invalidated at once. */
  flush(): Promise<void> {
    return this.#request<void>('flush', this.#timeoutMs, (done) =>
      this.#client.flush((error) => done(error, undefined)),
    );
  }

  getWithCas(key: string): Promise<CasValue | null> {
    return this.#perform('get', key, (opaque) => casCalls.get(opaque, key));
  }

  addWithCas(key: string, value: Buffer, ttlSeconds: number): Promise<CasToken | null> {
    const exptime = toExptime(ttlSeconds);
    return this.#perform('add', key, (opaque) => casCalls.add(opaque, key, value, exptime));
  }

  /** Throws InvalidOptionError for a TTL or CAS memcached cannot take, before anything is sent. */
  setIfCas(key: string, value: Buffer, ttlSeconds: number, cas: CasToken): Promise<CasToken | CasMismatch> {
    checkCasToken(cas);
    const exptime = toExptime(ttlSeconds);
    return this.#perform('set', key, (opaque) => casCalls.setIfCas(opaque, key, value, exptime, cas));
  }

  deleteIfCas(key: string, cas: CasToken): Promise<CasDeleteOutcome> {
    checkCasToken(cas);
    return this.#perform('delete', key, (opaque) => casCalls.deleteIfCas(opaque, key, cas));
  }

  /** Asks the node who it is (`stats`: pid, uptime), within `timeoutMs`. The outcome is not reported. */
  probe(timeoutMs: number): Promise<NodeIdentity> {
    return this.#request<NodeIdentity>(
      'stats',
      timeoutMs,
      (done) =>
        this.#client.stats((error, _server, stats) =>
          done(error, { pid: Number(stats?.pid), uptime: Number(stats?.uptime) }),
        ),
      false,
    );
  }

  close(): void {
    this.#client.close();
  }

  /** Sends a frame of our own through memjs (`perform`: one attempt, answer matched by its opaque). */
  #perform<T>(operation: string, key: string, build: (opaque: number) => CasCall<T>): Promise<T> {
    return this.#request<T>(operation, this.#timeoutMs, (done) => {
      this.#client.incrSeq();
      const opaque = this.#client.seq;
      const call = build(opaque);
      this.#client.perform(key, call.frame, opaque, (error: Error | null, response?: memjs.Response) => {
        if (error || response === undefined) {
          done(error ?? new Error('memjs gave no response'), undefined as T);
          return;
        }
        let result: T;
        try {
          result = call.read(response);
        } catch (failure) {
          done(failure as Error, undefined as T);
          return;
        }
        done(null, result);
      });
    });
  }

  /**
   * Issues one memjs call (its callback form: no promise wrapper per call) and settles within
   * `timeoutMs` whatever memjs does, mapping failures to StoreError and reporting the outcome (`report`).
   */
  #request<T>(
    operation: string,
    timeoutMs: number,
    issue: (done: (error: Error | null, value: T) => void) => void,
    report = true,
  ): Promise<T> {
    const onOutcome = report ? this.#onOutcome : undefined;
    this.#cork.cork(); // requests issued in this turn of the event loop leave in one write
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const expire = () => {
        if (settled) return;
        settled = true;
        const error = new StoreTimeoutError(operation, this.id, timeoutMs);
        onOutcome?.(error);
        reject(error);
      };
      // A starved process can run this timer before reading an answer already waiting in the socket:
      // give it one I/O phase (`setImmediate` runs after it) before calling the node hung.
      const timer = setTimeout(() => setImmediate(expire), timeoutMs);
      const done = (cause: Error | null, value: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const error = cause ? fromMemjsError(operation, this.id, timeoutMs, cause) : null;
        onOutcome?.(error);
        if (error) reject(error);
        else resolve(value);
      };
      try {
        issue(done);
      } catch (error) {
        done(error instanceof Error ? error : new Error(describeThrown(error)), undefined as T);
      }
    });
  }
}
