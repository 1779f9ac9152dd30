/**
 * A starved process (a long synchronous task, a GC pause, an overloaded host) can run a call's deadline
 * timer before it reads the answers already waiting in its socket. Judging the node hung then
 * fails calls although memcached answered in time (seen in CI on a loaded machine: a meta get failed "no
 * answer within 300 ms"). Both transports give an overdue call one I/O phase first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemcachedNode } from '../../src/store/memjs/memcached-node.js';
import { MetaNode } from '../../src/store/meta/meta-node.js';
import type { PoolNode } from '../../src/store/node-pool.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS, type Protocol } from '../support/protocols.js';

let node: PoolNode | undefined;
const nodeOn = (protocol: Protocol, address: string): PoolNode =>
  protocol === 'meta'
    ? new MetaNode({ address, opTimeoutMs: 100 })
    : new MemcachedNode({ address, opTimeoutMs: 100 });
afterEach(async () => {
  node?.close();
  await stopAllMemcached();
});

/** Blocks the event loop, as a long synchronous task does. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe.each(PROTOCOLS)('on %s, a process starved past its calls’ deadlines', (protocol) => {
  it('still takes the answers that arrived in time, instead of judging the node hung', async () => {
    const memcached: MemcachedProcess = await startMemcached();
    node = nodeOn(protocol, memcached.address);
    await node.set('k', Buffer.from('v'), 60); // connected
    // The get goes out at the end of this tick; right after the next I/O phase (too early for the answer)
    // the process blocks past the get's 100 ms deadline, and memcached answers meanwhile: the deadline
    // timer and the waiting answer are both due when it resumes, the timer first (timers run before I/O).
    const reading = node.get('k');
    setImmediate(() => busy(130)); // past our 100 ms, short of memjs's own socket timeout (150 ms)
    expect((await reading)?.toString()).toBe('v');
    expect((await node.get('k'))?.toString()).toBe('v'); // and the connection was kept
  });

  it('still fails an overdue call with a timeout when the node really hangs (SIGSTOP)', async () => {
    const memcached = await startMemcached();
    node = nodeOn(protocol, memcached.address);
    await node.set('k', Buffer.from('v'), 60);
    memcached.stop();
    try {
      await expect(node.get('k')).rejects.toMatchObject({ code: 'E_STORE_TIMEOUT' });
    } finally {
      memcached.cont();
    }
  });
});
