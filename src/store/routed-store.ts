/**
 * One cache's view of a store: every call carries the cache's routing (`options.routing`) down through
 * whatever wraps the pool, so the pool applies that cache's failover placement and no other's. The pool
 * itself holds no routing state. Calls without options (every data-key read and write, the hit path)
 * share one options object built here, once.
 */
import type { NodePool, PoolRouting } from './node-pool.js';
import type { CasDeleteOutcome, CasMismatch, CasToken, CasValue, Store, StoreCallOptions } from './store.js';

export class RoutedStore implements Store {
  readonly #inner: Store;
  readonly #routing: PoolRouting;
  readonly #plain: StoreCallOptions;

  constructor(inner: Store, routing: PoolRouting) {
    this.#inner = inner;
    this.#routing = routing;
    this.#plain = { routing };
  }

  get nodePool(): NodePool | undefined {
    return this.#inner.nodePool;
  }

  get(key: string, options?: StoreCallOptions): Promise<Buffer | null> {
    return this.#inner.get(key, this.#with(options));
  }

  set(key: string, value: Buffer, ttlSeconds: number, options?: StoreCallOptions): Promise<void> {
    return this.#inner.set(key, value, ttlSeconds, this.#with(options));
  }

  add(key: string, value: Buffer, ttlSeconds: number, options?: StoreCallOptions): Promise<boolean> {
    return this.#inner.add(key, value, ttlSeconds, this.#with(options));
  }

  delete(key: string, options?: StoreCallOptions): Promise<boolean> {
    return this.#inner.delete(key, this.#with(options));
  }

  touch(key: string, ttlSeconds: number, options?: StoreCallOptions): Promise<boolean> {
    return this.#inner.touch(key, ttlSeconds, this.#with(options));
  }

  getWithCas(key: string, options?: StoreCallOptions): Promise<CasValue | null> {
    return this.#inner.getWithCas(key, this.#with(options));
  }

  addWithCas(
    key: string,
    value: Buffer,
    ttlSeconds: number,
    options?: StoreCallOptions,
  ): Promise<CasToken | null> {
    return this.#inner.addWithCas(key, value, ttlSeconds, this.#with(options));
  }

  setIfCas(
    key: string,
    value: Buffer,
    ttlSeconds: number,
    cas: CasToken,
    options?: StoreCallOptions,
  ): Promise<CasToken | CasMismatch> {
    return this.#inner.setIfCas(key, value, ttlSeconds, cas, this.#with(options));
  }

  deleteIfCas(key: string, cas: CasToken, options?: StoreCallOptions): Promise<CasDeleteOutcome> {
    return this.#inner.deleteIfCas(key, cas, this.#with(options));
  }

  /** The view does not own the store: whoever created it closes it. */
  async close(): Promise<void> {}

  #with(options: StoreCallOptions | undefined): StoreCallOptions {
    return options === undefined ? this.#plain : Object.assign({}, options, { routing: this.#routing });
  }
}
