/**
 * Canary for the memjs internals the store relies on (src/store/memjs/socket-cork.ts, response-reader.ts):
 * once connected, memjs 1.3 keeps its socket in `client.servers[0]._socket` and writes each request to it
 * synchronously, inside the call; it hands every chunk it reads to `server.responseHandler`. If an upgrade of
 * the pinned memjs changes that, these tests fail, before the hit path silently loses its batching (the cork
 * would find no socket, or cork one that memjs no longer writes to) or its uncopied reads.
 * Binary only: it checks memjs itself, which the meta transport does not use.
 */
import { Socket } from 'node:net';
import memjs from 'memjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { installResponseReader } from '../../src/store/memjs/response-reader.js';
import { memjsSocket, TurnCork } from '../../src/store/memjs/socket-cork.js';
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
    expect(() => new TurnCork(client).cork()).not.toThrow();
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
      expect(write).toHaveBeenCalledTimes(1); // synchronously: the cork of this turn covers it
      expect((await answer).value?.toString()).toBe('v');
    } finally {
      client.close();
      await node.close();
    }
  });

  it('reads every chunk through server.responseHandler, so the installed reader gets values split across reads back whole', async () => {
    const { node, client } = await connectedClient(); // connected before the reader is installed
    try {
      installResponseReader(client);
      const read = vi.spyOn(
        client.servers[0] as unknown as { responseHandler(chunk: Buffer): void },
        'responseHandler',
      );
      const values = [0, 1, 2].map((i) => Buffer.alloc(300_000, 97 + i)); // far more than one read each
      await Promise.all(values.map((v, i) => client.set(`big${i}`, v, { expires: 60 })));
      const answers = await Promise.all(values.map((_, i) => client.get(`big${i}`)));
      expect(answers.map((a, i) => a.value?.equals(values[i] as Buffer))).toEqual([true, true, true]);
      expect(read.mock.calls.length).toBeGreaterThan(3); // several chunks, each looked up as the method
    } finally {
      client.close();
      await node.close();
    }
  });

  it('holds the requests of one turn of the event loop in the corked socket and sends them together at its check phase', async () => {
    const { node, client } = await connectedClient();
    try {
      const socket = memjsSocket(client) as Socket;
      const cork = new TurnCork(client);
      cork.cork();
      const answers = [client.get('canary'), client.get('canary'), client.get('canary')];
      cork.cork(); // once per turn
      expect(socket.writableCorked).toBe(1);
      expect(socket.writableLength).toBeGreaterThan(0); // buffered, not yet written
      await nextTick();
      expect(socket.writableCorked).toBe(1); // still held: other callbacks of this phase may add theirs
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(socket.writableCorked).toBe(0);
      const values = await Promise.all(answers);
      expect(values.map((a) => a.value?.toString())).toEqual(['v', 'v', 'v']);
    } finally {
      client.close();
      await node.close();
    }
  });
});
