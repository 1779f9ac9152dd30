/**
 * A binary-protocol answer cut by a broken connection: memjs keeps the bytes it had and parses the next
 * connection's answers behind them, out of step. The store's reader (src/store/memjs/response-reader.ts)
 * drops them with the socket. A fake server speaks just enough of the binary protocol: its first connection
 * sends 30 bytes of an answer and closes, the next ones answer every get in full.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreTimeoutError } from '../../src/errors.js';
import { MemcachedNode } from '../../src/store/memjs/memcached-node.js';

const VALUE = Buffer.alloc(100, 0x76);

/** A get's answer: status 0, 4 bytes of flags, the value. */
function getAnswer(opaque: number): Buffer {
  const frame = Buffer.alloc(24 + 4 + VALUE.length);
  frame[0] = 0x81;
  frame[4] = 4; // extras: flags
  frame.writeUInt32BE(4 + VALUE.length, 8);
  frame.writeUInt32BE(opaque, 12);
  VALUE.copy(frame, 28);
  return frame;
}

async function startCuttingServer(): Promise<{ address: string; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 24 && pending.length >= 24 + pending.readUInt32BE(8)) {
        const opaque = pending.readUInt32BE(12);
        pending = pending.subarray(24 + pending.readUInt32BE(8));
        if (connection === 1) {
          socket.end(getAnswer(opaque).subarray(0, 30)); // cut: header and 6 bytes, then gone
          return;
        }
        socket.write(getAnswer(opaque));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('memjs node after an answer cut by a broken connection', () => {
  it('reads the next connection’s answers from their first byte', async () => {
    const server = await startCuttingServer();
    const node = new MemcachedNode({ address: server.address, opTimeoutMs: 300 });
    cleanup = async () => {
      node.close();
      await server.close();
    };
    await expect(node.get('k')).rejects.toBeInstanceOf(StoreTimeoutError); // the cut answer never completes
    for (let i = 0; i < 3; i++) expect(await node.get('k')).toEqual(VALUE);
  });
});
