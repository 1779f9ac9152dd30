/** The memcached nodes a run uses: MEMCACHED_SERVERS if set, else one node started (and stopped) here. */
import { memcachedVersion, startMemcached, stopAllMemcached } from '../../test/support/memcached.js';

export interface BenchServers {
  addresses: string[];
  /** True when they came from MEMCACHED_SERVERS (not started by us). */
  external: boolean;
  /** Reported version per node ('unknown' when it did not answer). */
  versions: Record<string, string>;
  stop(): Promise<void>;
}

export async function openServers(env = process.env): Promise<BenchServers> {
  const fromEnv = (env.MEMCACHED_SERVERS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const external = fromEnv.length > 0;
  const addresses = external ? fromEnv : [(await startMemcached({ memoryMb: 128 })).address];
  const versions: Record<string, string> = {};
  for (const address of addresses) {
    const plain = address.replace(/^[^@]*@/, ''); // no credentials in the results
    versions[plain] = await memcachedVersion(plain).catch(() => 'unknown');
  }
  return { addresses, external, versions, stop: stopAllMemcached };
}
