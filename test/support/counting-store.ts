/**
 * A throwaway second Store: counts the calls it passes to the store it wraps, and does nothing else. It
 * keeps safe mode working the way every wrapper must (see src/store/store.ts): each call's `options` go
 * to the inner store untouched, and `nodePool` is the inner store's.
 */
import type { CasToken, Store, StoreCallOptions } from '../../src/store/store.js';

export class CountingStore implements Store {
  calls = 0;

  constructor(readonly inner: Store) {}

  get nodePool() {
    return this.inner.nodePool;
  }

  get(key: string, options?: StoreCallOptions) {
    this.calls++;
    return this.inner.get(key, options);
  }
  set(key: string, value: Buffer, ttlSeconds: number, options?: StoreCallOptions) {
    this.calls++;
    return this.inner.set(key, value, ttlSeconds, options);
  }
  add(key: string, value: Buffer, ttlSeconds: number, options?: StoreCallOptions) {
    this.calls++;
    return this.inner.add(key, value, ttlSeconds, options);
  }
  delete(key: string, options?: StoreCallOptions) {
    this.calls++;
    return this.inner.delete(key, options);
  }
  touch(key: string, ttlSeconds: number, options?: StoreCallOptions) {
    this.calls++;
    return this.inner.touch(key, ttlSeconds, options);
  }
  getWithCas(key: string, options?: StoreCallOptions) {
    this.calls++;
    return this.inner.getWithCas(key, options);
  }
  addWithCas(key: string, value: Buffer, ttlSeconds: number, options?: StoreCallOptions) {
    this.calls++;
    return this.inner.addWithCas(key, value, ttlSeconds, options);
  }
  setIfCas(key: string, value: Buffer, ttlSeconds: number, cas: CasToken, options?: StoreCallOptions) {
    this.calls++;
    return this.inner.setIfCas(key, value, ttlSeconds, cas, options);
  }
  deleteIfCas(key: string, cas: CasToken, options?: StoreCallOptions) {
    this.calls++;
    return this.inner.deleteIfCas(key, cas, options);
  }
  close() {
    return this.inner.close();
  }
}
