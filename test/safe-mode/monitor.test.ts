/**
 * The health monitor and the safe-mode controller against fake memcached servers: a TCP server that accepts
 * connections and never answers (a hung node, without SIGSTOP), and one that records what clients send.
 */
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Cache, createCache } from '../../src/index.js';
import { sleep } from '../support/deferred.js';
import { freePort } from '../support/memcached.js';

interface FakeServer {
  address: string;
  /** Every chunk received, per connection, in arrival order. */
  received: Buffer[][];
  close(): Promise<void>;
}

/** A server that accepts connections, records what it receives, and never answers. */
async function silentServer(): Promise<FakeServer> {
  const received: Buffer[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const chunks: Buffer[] = [];
    received.push(chunks);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const open: Array<Cache | FakeServer> = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

describe('HealthMonitor', () => {
  it('counts a failed probe once: a hung node is down after downAfter probes, not half as many', async () => {
    const hung = await silentServer();
    open.push(hung);
    const cache = createCache({
      servers: [hung.address],
      probeIntervalMs: 400,
      probeTimeoutMs: 50,
      opTimeoutMs: 50,
      downAfter: 2,
    });
    open.push(cache);
    // The first probe (sent at creation) times out at 50 ms; the second is not due before 400 ms.
    await sleep(200);
    expect(cache.safeMode.nodes[0]).toMatchObject({ state: 'up', consecutiveFailures: 1 });
    expect(cache.safeMode.active).toBe(false);
    // The second failed probe makes it down.
    await vi.waitFor(() => expect(cache.safeMode.nodes[0]?.state).toBe('down'), { timeout: 2000 });
    expect(cache.safeMode.nodes[0]).toMatchObject({ reason: 'hung', consecutiveFailures: 2 });
  });
});

describe('SafeModeController', () => {
  it("connects to the gutter pool with the cache's SASL credentials", async () => {
    const gutter = await silentServer();
    open.push(gutter);
    const dead = `127.0.0.1:${await freePort()}`; // nothing listens: refused, down at once
    const cache = createCache({
      servers: [dead],
      failover: 'gutter',
      gutterServers: [gutter.address],
      username: 'app',
      password: 'secret',
      opTimeoutMs: 50,
    });
    open.push(cache);
    await vi.waitFor(() => expect(cache.safeMode.nodes[0]?.state).toBe('down'));
    expect(await cache.wrap('k', () => 'v')).toBe('v'); // routed to the gutter, which never answers
    await vi.waitFor(() => expect(gutter.received.flat().length).toBeGreaterThan(0));
    // memjs authenticates before anything else: the first request is SASL "list mechanisms" (opcode 0x20).
    const first = Buffer.concat(gutter.received[0] ?? []);
    expect(first[0]).toBe(0x80); // binary protocol request
    expect(first[1]).toBe(0x20);
  });

  it("reports no epoch-0 'since' for safeMode 'always'", async () => {
    const hung = await silentServer();
    open.push(hung);
    const before = Date.now();
    const cache = createCache({ servers: [hung.address], safeMode: 'always', opTimeoutMs: 50 });
    open.push(cache);
    expect(cache.safeMode.active).toBe(true);
    expect(cache.safeMode.since).toBeGreaterThanOrEqual(before);
  });
});
