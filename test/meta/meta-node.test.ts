/** The meta-protocol node against real memcached: the store contract, CAS calls, big values, pipelining, faults. */
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidOptionError, StoreError, StoreTimeoutError, ValueTooLargeError } from '../../src/errors.js';
import { MetaNode } from '../../src/store/meta/meta-node.js';
import { sleep } from '../support/deferred.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { singleNodeStore } from '../support/single-node-store.js';
import { describeStoreContract } from '../support/store-contract.js';

afterAll(stopAllMemcached);

let contractServer: MemcachedProcess;
describeStoreContract(
  'MetaNode, one node',
  async () => {
    contractServer = await startMemcached();
    return singleNodeStore(new MetaNode({ address: contractServer.address, opTimeoutMs: 500 }));
  },
  () => contractServer.close(),
);

describe('MetaNode on real memcached', () => {
  let server: MemcachedProcess;
  let node: MetaNode;
  const open = async (args: string[] = [], opTimeoutMs = 400) => {
    server = await startMemcached({ extraArgs: args });
    node = new MetaNode({ address: server.address, opTimeoutMs });
  };
  afterAll(() => node?.close());

  it('round-trips a 1 MiB value, and a value over the item size limit is ValueTooLargeError on a live connection', async () => {
    await open(['-I', '2m']);
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    await node.set('big', big, 60);
    expect((await node.get('big'))?.equals(big)).toBe(true);
    const tooBig = Buffer.alloc(3 * 1024 * 1024, 1);
    await expect(node.set('huge', tooBig, 60)).rejects.toBeInstanceOf(ValueTooLargeError);
    await node.set('after', Buffer.from('still in step'), 60);
    expect((await node.get('after'))?.toString()).toBe('still in step');
    node.close();
  });

  it('settles 10,000 pipelined calls with the right values, in far fewer writes than calls', async () => {
    await open([], 10_000); // correctness, not speed: a busy machine may take a while
    const n = 10_000;
    await Promise.all(Array.from({ length: n }, (_, i) => node.set(`p:${i}`, Buffer.from(`v${i}`), 60)));
    const writesBefore = node.writes;
    const values = await Promise.all(
      Array.from({ length: n }, (_, i) => (i % 3 === 0 ? node.get(`absent:${i}`) : node.get(`p:${i}`))),
    );
    values.forEach((value, i) => {
      expect(value === null ? null : value.toString()).toBe(i % 3 === 0 ? null : `v${i}`);
    });
    expect(node.writes - writesBefore).toBe(1);
    node.close();
  });

  it('offers CAS calls: add with CAS, delete and store only while the CAS holds', async () => {
    await open();
    const cas = await node.addWithCas('lock', Buffer.from('me'), 30);
    expect(typeof cas).toBe('bigint');
    expect(await node.addWithCas('lock', Buffer.from('other'), 30)).toBeNull();
    const read = await node.getWithCas('lock');
    expect(read?.value.toString()).toBe('me');
    expect(read?.cas).toBe(cas);
    const renewed = await node.setIfCas('lock', Buffer.from('me'), 30, cas as bigint);
    expect(typeof renewed).toBe('bigint');
    expect(await node.setIfCas('lock', Buffer.from('me'), 30, cas as bigint)).toBe('changed');
    expect(await node.deleteIfCas('lock', cas as bigint)).toBe('changed');
    expect(await node.deleteIfCas('lock', renewed as bigint)).toBe('deleted');
    expect(await node.deleteIfCas('lock', renewed as bigint)).toBe('missing');
    expect(await node.setIfCas('lock', Buffer.from('me'), 30, 1n)).toBe('missing');
    expect(await node.getWithCas('lock')).toBeNull();
    node.close();
  });

  it('rejects keys memcached would refuse or misread, and bad TTLs, before sending anything', async () => {
    await open();
    for (const key of ['', 'a b', 'a\r\nflush_all', 'k'.repeat(251), 'é']) {
      expect(() => node.get(key)).toThrow(InvalidOptionError);
    }
    expect(() => node.set('k', Buffer.from('v'), Number.NaN)).toThrow(InvalidOptionError);
    expect(node.writes).toBe(0);
    await node.set('k'.repeat(250), Buffer.from('longest'), 60);
    expect((await node.get('k'.repeat(250)))?.toString()).toBe('longest');
    node.close();
  });

  it('times out every call of a SIGSTOPped server at opTimeoutMs, and recovers after SIGCONT', async () => {
    await open();
    const outcomes: Array<string | null> = [];
    const watched = new MetaNode({
      address: server.address,
      opTimeoutMs: 300,
      onOutcome: (error) => outcomes.push(error?.code ?? null),
    });
    await watched.set('s', Buffer.from('before'), 60);
    server.stop();
    try {
      const started = performance.now();
      const calls = await Promise.allSettled([watched.get('s'), watched.get('s'), watched.touch('s', 60)]);
      const elapsed = performance.now() - started;
      for (const call of calls) {
        expect(call.status).toBe('rejected');
        expect((call as PromiseRejectedResult).reason).toBeInstanceOf(StoreTimeoutError);
      }
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(2000);
    } finally {
      server.cont();
    }
    await expect
      .poll(async () => (await watched.get('s').catch(() => null))?.toString(), { timeout: 5000 })
      .toBe('before');
    expect(outcomes.slice(0, 4)).toEqual([null, 'E_STORE_TIMEOUT', 'E_STORE_TIMEOUT', 'E_STORE_TIMEOUT']);
    watched.close();
    node.close();
  });

  it('reconnects to a restarted server, whose probe shows the new pid, and fails in-flight calls at once on a kill', async () => {
    await open();
    const first = await node.probe(500);
    expect(first.pid).toBe(server.pid);
    const patient = new MetaNode({ address: server.address, opTimeoutMs: 10_000 });
    await patient.set('x', Buffer.from('before'), 60);
    server.stop();
    const inFlight = Promise.allSettled([patient.get('x'), patient.delete('x'), patient.probe(10_000)]);
    await sleep(50);
    const killedAt = performance.now();
    await server.kill();
    for (const call of await inFlight) {
      expect((call as PromiseRejectedResult).reason).toBeInstanceOf(StoreError);
      expect((call as PromiseRejectedResult).reason).not.toBeInstanceOf(StoreTimeoutError);
    }
    expect(performance.now() - killedAt).toBeLessThan(2000);
    patient.close();
    await server.restart();
    const second = await node.probe(500);
    expect(second.pid).toBe(server.pid);
    expect(second.pid).not.toBe(first.pid);
    await expect
      .poll(
        () =>
          node.set('x', Buffer.from('back'), 60).then(
            () => 'ok',
            () => 'failed',
          ),
        { timeout: 3000 },
      )
      .toBe('ok');
    expect((await node.get('x'))?.toString()).toBe('back');
    node.close();
  });

  it('fails fast with the connection error when nothing listens, and fails calls after close', async () => {
    await open();
    await server.kill();
    const refused = await node.get('x').catch((error: StoreError) => error);
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).cause).toMatchObject({ code: 'ECONNREFUSED' });
    node.close();
    await expect(node.get('x')).rejects.toBeInstanceOf(StoreError);
    await sleep(0);
  });
});
