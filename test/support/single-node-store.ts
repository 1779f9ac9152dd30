/** The smallest Store over one node of any transport, so the store contract suite can run on a bare node. */
import type { PoolNode } from '../../src/store/node-pool.js';
import type { Store } from '../../src/store/store.js';

type StoreNode = Omit<PoolNode, 'id' | 'probe'>;

export function singleNodeStore(node: StoreNode): Store {
  return {
    get: (key) => node.get(key),
    set: (key, value, ttl) => node.set(key, value, ttl),
    add: (key, value, ttl) => node.add(key, value, ttl),
    delete: (key) => node.delete(key),
    touch: (key, ttl) => node.touch(key, ttl),
    getWithCas: (key) => node.getWithCas(key),
    addWithCas: (key, value, ttl) => node.addWithCas(key, value, ttl),
    setIfCas: (key, value, ttl, cas) => node.setIfCas(key, value, ttl, cas),
    deleteIfCas: (key, cas) => node.deleteIfCas(key, cas),
    close: async () => node.close(),
  };
}
