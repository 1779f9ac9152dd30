/**
 * A store wrapper that fails, slows down or hangs on demand, per operation: for unit tests of how the
 * policy degrades. (Integration tests use real memcached faults: kill, SIGSTOP, restart.)
 */
import { StoreError } from '../../src/errors.js';
import type { CasToken, Store, StoreCallOptions } from '../../src/store/store.js';

/** The CAS calls count as, and fail with, their plain kind: `getWithCas` is a 'get', `setIfCas` a 'set'... */
type Operation = 'get' | 'set' | 'add' | 'delete' | 'touch';
/** `'fail'`: a plain StoreError; `'reset'`: one whose cause is a reset connection (ECONNRESET). */
export type Fault = 'fail' | 'reset' | { delayMs: number };

export class ChaosStore implements Store {
  readonly calls: Record<Operation, number> = { get: 0, set: 0, add: 0, delete: 0, touch: 0 };
  #faults = new Map<Operation, Fault>();

  constructor(readonly inner: Store) {}

  /** Makes `operation` fail (or be slow) until `heal()`; no operation named means all of them. */
  inject(fault: Fault, ...operations: Operation[]): void {
    const ops = operations.length ? operations : (['get', 'set', 'add', 'delete', 'touch'] as const);
    for (const op of ops) this.#faults.set(op, fault);
  }

  heal(): void {
    this.#faults.clear();
  }

  get(key: string, o?: StoreCallOptions) {
    return this.#run('get', () => this.inner.get(key, o));
  }
  set(key: string, value: Buffer, ttl: number, o?: StoreCallOptions) {
    return this.#run('set', () => this.inner.set(key, value, ttl, o));
  }
  add(key: string, value: Buffer, ttl: number, o?: StoreCallOptions) {
    return this.#run('add', () => this.inner.add(key, value, ttl, o));
  }
  delete(key: string, o?: StoreCallOptions) {
    return this.#run('delete', () => this.inner.delete(key, o));
  }
  touch(key: string, ttl: number, o?: StoreCallOptions) {
    return this.#run('touch', () => this.inner.touch(key, ttl, o));
  }
  getWithCas(key: string, o?: StoreCallOptions) {
    return this.#run('get', () => this.inner.getWithCas(key, o));
  }
  addWithCas(key: string, value: Buffer, ttl: number, o?: StoreCallOptions) {
    return this.#run('add', () => this.inner.addWithCas(key, value, ttl, o));
  }
  setIfCas(key: string, value: Buffer, ttl: number, cas: CasToken, o?: StoreCallOptions) {
    return this.#run('set', () => this.inner.setIfCas(key, value, ttl, cas, o));
  }
  deleteIfCas(key: string, cas: CasToken, o?: StoreCallOptions) {
    return this.#run('delete', () => this.inner.deleteIfCas(key, cas, o));
  }
  close() {
    return this.inner.close();
  }

  async #run<T>(op: Operation, call: () => Promise<T>): Promise<T> {
    this.calls[op]++;
    const fault = this.#faults.get(op);
    if (fault === 'fail') throw new StoreError(op, 'chaos', new Error('injected failure'));
    if (fault === 'reset') {
      throw new StoreError(op, 'chaos', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    }
    if (fault) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    return call();
  }
}
