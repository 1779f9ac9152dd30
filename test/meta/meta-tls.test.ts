/** The meta node over TLS to memcached started with -Z and a certificate this test makes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError, StoreTimeoutError } from '../../src/errors.js';
import { MetaNode } from '../../src/store/meta/meta-node.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { startTlsMemcached, type TlsFixture } from '../support/tls-memcached.js';

let fixture: TlsFixture;
let server: MemcachedProcess;
let plain: MemcachedProcess;
let ca: Buffer;
let otherCa: Buffer;
const nodes: MetaNode[] = [];
const open = (options: Partial<ConstructorParameters<typeof MetaNode>[0]>) => {
  const node = new MetaNode({ address: server.address, opTimeoutMs: 5000, ...options });
  nodes.push(node);
  return node;
};

beforeAll(async () => {
  fixture = await startTlsMemcached();
  ({ server, ca, otherCa } = fixture);
  plain = await startMemcached();
});
afterAll(async () => {
  for (const node of nodes) node.close();
  await stopAllMemcached();
  fixture?.cleanup();
});

/** Rejects with a StoreError that is not a timeout, well before opTimeoutMs (5 s). */
async function expectClearFailure(call: Promise<unknown>): Promise<StoreError> {
  const started = performance.now();
  const error = await call.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  expect(error).not.toBeInstanceOf(StoreTimeoutError);
  expect(performance.now() - started).toBeLessThan(2000);
  return error as StoreError;
}

describe('MetaNode over TLS', () => {
  it('round-trips values and probes the node over TLS, trusting the test CA', async () => {
    const node = open({ tls: { ca } });
    const value = Buffer.alloc(200_000, 7);
    await node.set('tls:k', value, 60);
    expect((await node.get('tls:k'))?.equals(value)).toBe(true);
    expect(await node.add('tls:k', value, 60)).toBe(false);
    expect((await node.probe(1000)).pid).toBe(server.pid);
  });

  it('fails with a clear StoreError (not a hang) when the certificate is signed by another CA', async () => {
    const error = await expectClearFailure(open({ tls: { ca: otherCa } }).get('tls:k'));
    expect(error.message).toMatch(/certificate/i);
  });

  it('fails with a clear StoreError when `tls: true` trusts only the system CAs', async () => {
    const error = await expectClearFailure(open({ tls: true }).get('tls:k'));
    expect(error.message).toMatch(/certificate/i);
  });

  it('fails with a clear StoreError when TLS meets a plain server, or plain text meets a TLS server', async () => {
    const tlsToPlain = new MetaNode({ address: plain.address, opTimeoutMs: 5000, tls: { ca } });
    nodes.push(tlsToPlain);
    await expectClearFailure(tlsToPlain.get('k'));
    await expectClearFailure(open({}).get('k'));
  });

  it('fails with a StoreError, not a throw, when tls.connect refuses the options', async () => {
    const error = await expectClearFailure(open({ tls: { ca, minVersion: 'TLSv9' as 'TLSv1.3' } }).get('k'));
    expect(error.cause).toMatchObject({ code: 'ERR_TLS_INVALID_PROTOCOL_VERSION' });
  });
});
