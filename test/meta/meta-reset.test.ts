/**
 * A node killed or restarted: after a refused connection, or one reset before its first answer (memcached
 * died during a cache's first probe), the next call must find out what is there now (refused, or back)
 * instead of failing fast with the old failure through a backoff, as memjs does, so that the first call
 * after a restart finds the node up. Found by the integration tests on both protocols (safe-mode.test.ts:
 * "locks again as soon as the restarted node answers a call, without waiting for a probe").
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StoreError } from '../../src/errors.js';
import { MetaNode } from '../../src/store/meta/meta-node.js';
import { sleep } from '../support/deferred.js';
import { type FakeAnswer, type FakeMemcached, startFakeMemcached } from '../support/fake-memcached.js';
import { startMemcached, stopAllMemcached } from '../support/memcached.js';

let server: FakeMemcached | undefined;
let node: MetaNode | undefined;
afterEach(async () => {
  node?.close();
  await server?.close();
  await stopAllMemcached();
});

/** The honest answer to `mg <key> v`: the key's name repeated as its value. */
const honest: FakeAnswer = ({ line, opaque }, socket) => {
  const key = line.split(' ')[1] as string;
  socket.write(`VA ${key.length} O${opaque}\r\n${key}\r\n`);
};

describe('a refused connection', () => {
  it('is retried by the next call at once, however often it was refused: the restarted node answers', async () => {
    const memcached = await startMemcached();
    node = new MetaNode({ address: memcached.address, opTimeoutMs: 1000 });
    await memcached.kill();
    // Refused again and again, each time after what a doubling backoff would have been (25, 50, 100, 200 ms).
    for (const pause of [30, 60, 110, 210, 0]) {
      await expect(node.get('k')).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
      await sleep(pause);
    }
    await memcached.restart();
    expect(await node.get('k')).toBeNull(); // a miss from the restarted node, not the old refusal
  });
});

describe('a connection reset before its first answer', () => {
  it('is retried by the next call at once: the server is back', async () => {
    server = await startFakeMemcached((command, socket) => {
      if (command.connection === 1) socket.resetAndDestroy();
      else honest(command, socket);
    });
    node = new MetaNode({ address: server.address, opTimeoutMs: 1000 });
    const reset = await node.get('first').catch((error: StoreError) => error);
    expect(reset).toMatchObject({ code: 'E_STORE', cause: { code: 'ECONNRESET' } });
    expect((await node.get('second'))?.toString()).toBe('second');
    expect(server.connections).toBe(2);
  });

  it('is retried by the next call at once: the node is gone, and the call says refused', async () => {
    const memcached = await startMemcached();
    const outcomes = vi.fn();
    node = new MetaNode({ address: memcached.address, opTimeoutMs: 1000, onOutcome: outcomes });
    memcached.stop(); // the connection is accepted (the kernel's backlog), the call is never answered
    const first = node.get('k').catch((error: StoreError) => error);
    await sleep(50);
    await memcached.kill();
    expect(await first).toMatchObject({ cause: { code: 'ECONNRESET' } });
    const next = await node.get('k').catch((error: StoreError) => error);
    expect(next).toMatchObject({ code: 'E_STORE', cause: { code: 'ECONNREFUSED' } });
    expect(outcomes).toHaveBeenLastCalledWith(next);
  });
});
