/** Which keys a node owns: the bench's own router over the same servers, as every worker routes. */
import { keys as keyFns, library } from './library.js';

export async function keysOwnedBy(
  servers: readonly string[],
  namespace: string,
  keys: readonly string[],
  nodeIndex: number,
): Promise<Set<string>> {
  const router = new library.MemcachedStore({
    servers: servers.map((address) => ({ address, weight: 1 })),
    opTimeoutMs: 100,
  });
  try {
    return new Set(keys.filter((k) => router.ownerIndex(keyFns.toStoreKey(namespace, k)) === nodeIndex));
  } finally {
    await router.close();
  }
}
