/** The smallest Store over one node of any transport, so the store contract suite can run on a bare node. */
import type { Store } from '../../src/store/store.js';

interface StoreNode {
  get(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer, ttlSeconds: number): Promise<void>;
  add(key: string, value: Buffer, ttlSeconds: number): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  touch(key: string, ttlSeconds: number): Promise<boolean>;
  close(): void;
}

export function singleNodeStore(node: StoreNode): Store {
  return {
    get: (key) => node.get(key),
    set: (key, value, ttl) => node.set(key, value, ttl),
    add: (key, value, ttl) => node.add(key, value, ttl),
    delete: (key) => node.delete(key),
    touch: (key, ttl) => node.touch(key, ttl),
    close: async () => node.close(),
  };
}
