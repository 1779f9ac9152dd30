/**
 * An in-process Store: for single-process use and for unit tests of policy. It does not coordinate
 * across processes; integration tests use real memcached.
 */
import { InvalidOptionError } from '../errors.js';
import { checkObject } from '../validation.js';
import {
  type CasDeleteOutcome,
  type CasMismatch,
  type CasToken,
  type CasValue,
  checkStoreTtl,
  type Store,
} from './store.js';

interface Item {
  value: Buffer;
  /** Changes on every write, as memcached's CAS does. */
  cas: CasToken;
  /** Epoch ms, or Infinity for no expiry. */
  expiresAt: number;
}

export interface MemoryStoreOptions {
  /** Most items kept; the oldest inserted is dropped first. @default 100000 */
  maxItems?: number;
}

const MEMORY_STORE_OPTIONS = new Set(['maxItems']);

export class MemoryStore implements Store {
  readonly #items = new Map<string, Item>();
  readonly #maxItems: number;
  #lastCas = 0n;

  constructor(options: MemoryStoreOptions = {}) {
    checkObject('options', options, MEMORY_STORE_OPTIONS, '');
    const maxItems = options.maxItems ?? 100_000;
    if (!Number.isInteger(maxItems) || maxItems < 1) {
      throw new InvalidOptionError('maxItems', 'a positive integer', maxItems);
    }
    this.#maxItems = maxItems;
  }

  /** Number of live items (expired ones are dropped lazily). */
  get size(): number {
    return this.#items.size;
  }

  async get(key: string): Promise<Buffer | null> {
    return this.#live(key)?.value ?? null;
  }

  async set(key: string, value: Buffer, ttlSeconds: number): Promise<void> {
    this.#write(key, value, ttlSeconds);
  }

  async add(key: string, value: Buffer, ttlSeconds: number): Promise<boolean> {
    return (await this.addWithCas(key, value, ttlSeconds)) !== null;
  }

  async getWithCas(key: string): Promise<CasValue | null> {
    const item = this.#live(key);
    return item ? { value: item.value, cas: item.cas } : null;
  }

  async addWithCas(key: string, value: Buffer, ttlSeconds: number): Promise<CasToken | null> {
    if (this.#live(key)) return null;
    return this.#write(key, value, ttlSeconds);
  }

  async setIfCas(
    key: string,
    value: Buffer,
    ttlSeconds: number,
    cas: CasToken,
  ): Promise<CasToken | CasMismatch> {
    const item = this.#live(key);
    if (!item) return 'missing';
    if (item.cas !== cas) return 'changed';
    return this.#write(key, value, ttlSeconds);
  }

  async deleteIfCas(key: string, cas: CasToken): Promise<CasDeleteOutcome> {
    const item = this.#live(key);
    if (!item) return 'missing';
    if (item.cas !== cas) return 'changed';
    this.#items.delete(key);
    return 'deleted';
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.#live(key) !== undefined;
    this.#items.delete(key);
    return existed;
  }

  async touch(key: string, ttlSeconds: number): Promise<boolean> {
    const item = this.#live(key);
    if (!item) return false;
    item.expiresAt = expiryOf(ttlSeconds);
    return true;
  }

  async close(): Promise<void> {
    this.#items.clear();
  }

  /** Stores a copy of `value` as a new version of `key`, dropping the oldest item past `maxItems`. */
  #write(key: string, value: Buffer, ttlSeconds: number): CasToken {
    const expiresAt = expiryOf(ttlSeconds);
    this.#lastCas++;
    this.#items.delete(key);
    this.#items.set(key, { value: Buffer.from(value), cas: this.#lastCas, expiresAt });
    if (this.#items.size > this.#maxItems) {
      const oldest = this.#items.keys().next().value;
      if (oldest !== undefined) this.#items.delete(oldest);
    }
    return this.#lastCas;
  }

  #live(key: string): Item | undefined {
    const item = this.#items.get(key);
    if (item && item.expiresAt <= Date.now()) {
      this.#items.delete(key);
      return undefined;
    }
    return item;
  }
}

// Like memcached: whole seconds rounded up, 0 = no expiry.
function expiryOf(ttlSeconds: number): number {
  checkStoreTtl(ttlSeconds);
  return ttlSeconds <= 0 ? Number.POSITIVE_INFINITY : Date.now() + Math.ceil(ttlSeconds) * 1000;
}
