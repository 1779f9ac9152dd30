/**
 * One memcached node behind one memjs client, with the guarantees memjs lacks: every call settles within
 * `opTimeoutMs` (memjs can leave a promise pending forever when a server closes a socket cleanly), no
 * resends (a resent `add` that had landed would read as "someone else holds it"), and no logging.
 */
import memjs from 'memjs';
import { StoreError, StoreTimeoutError, ValueTooLargeError } from '../errors.js';
import { toExptime } from './store.js';

export interface MemcachedNodeOptions {
  /** `host:port`, optionally `user:pass@host:port`. */
  address: string;
  opTimeoutMs: number;
  /** Told the outcome of every call (null on success): a health monitor's passive evidence. */
  onOutcome?: ((node: MemcachedNode, error: StoreError | null) => void) | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

const quietLogger = { log: () => {} };

/** Identity of a running memcached process: a restart changes its pid and resets its uptime. */
export interface NodeIdentity {
  pid: number;
  /** Seconds since the process started. */
  uptime: number;
}

export class MemcachedNode {
  /** `host:port`, without credentials: safe to put in events and errors. */
  readonly id: string;
  readonly #client: memjs.Client;
  readonly #timeoutMs: number;
  readonly #onOutcome: MemcachedNodeOptions['onOutcome'];

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
  }

  async get(key: string): Promise<Buffer | null> {
    const result = await this.#bounded('get', this.#client.get(key));
    return result.value ?? null;
  }

  async set(key: string, value: Buffer, ttlSeconds: number): Promise<void> {
    await this.#bounded('set', this.#client.set(key, value, { expires: toExptime(ttlSeconds) }));
  }

  async add(key: string, value: Buffer, ttlSeconds: number): Promise<boolean> {
    return (
      (await this.#bounded('add', this.#client.add(key, value, { expires: toExptime(ttlSeconds) }))) === true
    );
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#bounded('delete', this.#client.delete(key))) === true;
  }

  async touch(key: string, ttlSeconds: number): Promise<boolean> {
    return (await this.#bounded('touch', this.#client.touch(key, toExptime(ttlSeconds)))) === true;
  }

  /** Asks the node who it is (`stats`: pid, uptime), within `timeoutMs`. */
  probe(timeoutMs: number): Promise<NodeIdentity> {
    const stats = new Promise<Record<string, string>>((resolve, reject) => {
      this.#client.stats((error, _server, result) => (error ? reject(error) : resolve(result ?? {})));
    });
    return this.#bounded('stats', stats, timeoutMs).then((result) => ({
      pid: Number(result.pid),
      uptime: Number(result.uptime),
    }));
  }

  close(): void {
    this.#client.close();
  }

  /** Settles within the op timeout whatever memjs does; maps failures to StoreError. */
  #bounded<T>(operation: string, call: Promise<T>, timeoutMs = this.#timeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new StoreTimeoutError(operation, this.id, timeoutMs);
        this.#onOutcome?.(this, error);
        reject(error);
      }, timeoutMs);
      call.then(
        (value) => {
          clearTimeout(timer);
          this.#onOutcome?.(this, null);
          resolve(value);
        },
        (cause: unknown) => {
          clearTimeout(timer);
          const error = toStoreError(operation, this.id, cause);
          this.#onOutcome?.(this, error);
          reject(error);
        },
      );
    });
  }
}

function toStoreError(operation: string, node: string, error: unknown): StoreError {
  const message = error instanceof Error ? error.message : String(error);
  return /too large/i.test(message)
    ? new ValueTooLargeError(operation, node, error)
    : new StoreError(operation, node, error);
}
