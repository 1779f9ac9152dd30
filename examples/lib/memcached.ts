/**
 * For the examples: the memcached nodes to use. MEMCACHED_SERVERS when set; otherwise local nodes started
 * on free ports for the example's lifetime (memcached must be installed: apt-get install -y memcached).
 */
import { startCluster, stopAllMemcached } from '../../test/support/memcached.js';

export async function withMemcached<T>(nodes: number, run: (servers: string[]) => Promise<T>): Promise<T> {
  const external = process.env.MEMCACHED_SERVERS?.split(',').filter(Boolean);
  try {
    const servers = external?.length ? external : (await startCluster(nodes)).map((n) => n.address);
    return await run(servers);
  } finally {
    await stopAllMemcached();
  }
}
