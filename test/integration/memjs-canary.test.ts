/**
 * Canary for the memjs internals the store relies on (src/store/memjs/socket-cork.ts): once connected,
 * memjs 1.3 keeps its socket in `client.servers[0]._socket` and writes each request to it synchronously,
 * inside the call. If an upgrade of the pinned memjs changes that, these tests fail, before the hit path
 * silently loses its batching (the cork would find no socket, or cork one that memjs no longer writes to).
 * Binary only: it checks memjs itself, which the meta transport does not use.
 */
import { Socket } from 'node:net';
import memjs from 'memjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { memjsSocket, TickCork } from '../../src/store/memjs/socket-cork.js';
import { startMemcached, stopAllMemcached } from '../support/memcached.js';

afterAll(stopAllMemcached);

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

async function connectedClient() {
  const node = await startMemcached();
  const client = memjs.Client.create(node.address, { retries: 1, logger: { log() {} } });
  await client.set('canary', 'v', { expires: 60 }); // connects
  return { node, client };
}

describe('memjs internals behind the socket cork', () => {
  it('has no socket before the first call, and the cork then does nothing', async () => {
    const client = memjs.Client.create('127.0.0.1:1', { retries: 1, logger: { log() {} } });
    expect(memjsSocket(client)).toBeUndefined();
    expect(() => new TickCork(client).cork()).not.toThrow();
    client.close();
  });

  it('keeps the connected socket in servers[0]._socket and writes a request to it inside the call', async () => {
    const { node, client } = await connectedClient();
    try {
      const socket = memjsSocket(client);
      expect(socket).toBeInstanceOf(Socket);
      expect(socket?.writable).toBe(true);
      const write = vi.spyOn(socket as Socket, 'write');
      const answer = client.get('canary');
      expect(write).toHaveBeenCalledTimes(1); // synchronously: the cork of this tick covers it
      expect((await answer).value?.toString()).toBe('v');
    } finally {
      client.close();
      await node.close();
    }
  });

  it('holds the requests of one tick in the corked socket and sends them together at the end of the tick', async () => {
    const { node, client } = await connectedClient();
    try {
      const socket = memjsSocket(client) as Socket;
      const cork = new TickCork(client);
      cork.cork();
      const answers = [client.get('canary'), client.get('canary'), client.get('canary')];
      cork.cork(); // once per tick
      expect(socket.writableCorked).toBe(1);
      expect(socket.writableLength).toBeGreaterThan(0); // buffered, not yet written
      await nextTick();
      expect(socket.writableCorked).toBe(0);
      const values = await Promise.all(answers);
      expect(values.map((a) => a.value?.toString())).toEqual(['v', 'v', 'v']);
    } finally {
      client.close();
      await node.close();
    }
  });
});
