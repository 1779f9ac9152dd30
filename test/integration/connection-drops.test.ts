/**
 * A node that closes an open connection is looked at once: every process with a connection to a killed or
 * restarted node learns it together, calls or not, instead of at its next probe. Real memcached on both
 * protocols; the probe interval is a minute, so only the dropped connection can explain what a test sees.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type CacheEvents, createCache } from '../../src/index.js';
import { sleep } from '../support/deferred.js';
import { memcachedStats, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS } from '../support/protocols.js';
import { killAllWorkers, spawnWorkers } from '../support/workers.js';

afterEach(killAllWorkers);
afterAll(stopAllMemcached);

const WATCHER = fileURLToPath(new URL('../fixtures/watch-worker.ts', import.meta.url));

const MINUTE = 60_000;

describe.each(PROTOCOLS)('on %s', (protocol) => {
  it('a process with an open connection and no calls knows a killed node is down at once', async () => {
    const node = await startMemcached();
    const cache = createCache({
      protocol,
      servers: [node.address],
      probeIntervalMs: MINUTE,
      opTimeoutMs: 500,
    });
    const downs: Array<CacheEvents['node:down']> = [];
    cache.on('node:down', (event) => downs.push(event));
    try {
      await cache.set('k', 'v'); // the connection is open
      await sleep(100); // the first round's probe is answered
      await node.kill();
      const deadline = Date.now() + 2000;
      while (downs.length === 0 && Date.now() < deadline) await sleep(20);
      expect(downs).toEqual([{ node: node.address, reason: 'refused' }]);
      expect(cache.safeMode.active).toBe(true);
    } finally {
      await cache.close();
      await node.close();
    }
  });

  it('every process with a connection to a killed node knows it is down together, none making a call', async () => {
    const [node, other] = [await startMemcached(), await startMemcached()];
    const group = await spawnWorkers(WATCHER, {
      count: 3,
      protocol,
      env: { SERVERS: `${node.address},${other.address}` },
    });
    try {
      group.go();
      for (let i = 0; i < 3; i++) await group.waitFor((m, index) => m.type === 'connected' && index === i);
      await sleep(100); // the first round's probes are answered
      const killedAt = Date.now();
      await node.kill();
      for (let i = 0; i < 3; i++) {
        const { msg } = await group.waitFor((m, index) => m.type === 'node:down' && index === i, 3000);
        expect(msg).toMatchObject({ node: node.address, reason: 'refused' });
        expect(msg.at as number).toBeGreaterThanOrEqual(killedAt);
      }
      expect(group.messages().filter((m) => m.type === 'node:down' && m.node === other.address)).toEqual([]);
      for (let i = 0; i < 3; i++) group.send(i, { type: 'exit' });
      await group.done(5000);
    } finally {
      await group.close();
      await node.close();
      await other.close();
    }
  });

  it('a node that drops idle connections costs one probe a round, and stays up', async () => {
    const node = await startMemcached({ extraArgs: ['-o', 'idle_timeout=1'] });
    const cache = createCache({
      protocol,
      servers: [node.address],
      probeIntervalMs: MINUTE,
      opTimeoutMs: 500,
    });
    const events: string[] = [];
    for (const name of ['node:down', 'node:up', 'node:restarted', 'safe-mode:on'] as const) {
      cache.on(name, () => events.push(name));
    }
    try {
      await cache.set('k', 'v');
      const before = Number((await memcachedStats(node.address)).total_connections);
      // memcached closes the idle connection about every second: without the round's budget, each close
      // would open a new one to probe.
      await sleep(4000);
      const after = Number((await memcachedStats(node.address)).total_connections);
      expect(after - before - 1).toBe(1); // the early probe's connection; 1 is our stats connection
      expect(events).toEqual([]);
      expect(await cache.get('k')).toBe('v');
    } finally {
      await cache.close();
      await node.close();
    }
  });
});
