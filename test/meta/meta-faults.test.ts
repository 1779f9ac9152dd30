/** The meta node against a fake memcached: values dribbled over many reads, cut answers, garbage, desync. */
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError, StoreTimeoutError } from '../../src/errors.js';
import { MetaNode } from '../../src/store/meta/meta-node.js';
import { MetaProtocolError } from '../../src/store/meta/parser.js';
import { sleep } from '../support/deferred.js';
import {
  dribble,
  type FakeAnswer,
  type FakeMemcached,
  startFakeMemcached,
} from '../support/fake-memcached.js';

let server: FakeMemcached | undefined;
let node: MetaNode | undefined;
afterEach(async () => {
  node?.close();
  await server?.close();
});

async function open(answer: FakeAnswer, opTimeoutMs = 2000): Promise<MetaNode> {
  server = await startFakeMemcached(answer);
  node = new MetaNode({ address: server.address, opTimeoutMs });
  return node;
}

/** Longer than the connection's first reconnect backoff, which follows a connection that never answered well. */
const AFTER_BACKOFF_MS = 40;

/** The honest answer to `mg <key> v`: the key's name repeated as its value. */
const honest: FakeAnswer = ({ line, opaque }, socket) => {
  const key = line.split(' ')[1] as string;
  socket.write(`VA ${key.length} O${opaque}\r\n${key}\r\n`);
};

const valueWith = (size: number) => {
  const value = Buffer.alloc(size);
  for (let i = 0; i < size; i++) value[i] = (i * 31 + 7) & 0xff; // CR and LF bytes inside, on purpose
  return value;
};

describe('MetaNode against a fake memcached', () => {
  it('reads values dribbled over many TCP reads, a few bytes each', async () => {
    const value = valueWith(3000);
    let answered = Promise.resolve();
    const meta = await open(({ opaque }, socket) => {
      const bytes = Buffer.concat([
        Buffer.from(`VA ${value.length} O${opaque}\r\n`),
        value,
        Buffer.from('\r\n'),
      ]);
      answered = answered.then(() => dribble(socket, bytes, 40));
    }, 20_000);
    const [a, b] = await Promise.all([meta.get('a'), meta.get('b')]);
    expect(a?.equals(value)).toBe(true);
    expect(b?.equals(value)).toBe(true);
  });

  it('fails the calls in flight when the server closes mid-value, and reconnects for the next call', async () => {
    const meta = await open((command, socket) => {
      if (command.connection === 1) {
        socket.write(`VA 10 O${command.opaque}\r\n01234`);
        setTimeout(() => socket.end(), 20);
      } else honest(command, socket);
    });
    const calls = await Promise.allSettled([meta.get('first'), meta.get('second')]);
    for (const call of calls) {
      expect((call as PromiseRejectedResult).reason).toBeInstanceOf(StoreError);
      expect((call as PromiseRejectedResult).reason).not.toBeInstanceOf(StoreTimeoutError);
    }
    await sleep(AFTER_BACKOFF_MS);
    expect((await meta.get('third'))?.toString()).toBe('third');
    expect(server?.connections).toBe(2);
  });

  it.each([
    ['garbage bytes', 'HELLO\r\n'],
    ['an error for a command we never send wrong', 'ERROR\r\n'],
    ['a value line with a garbage size', 'VA 99999999999 O1\r\n'],
    ['a value larger than memcached can hold', 'VA 2000000000 O1\r\n'],
    ['a value not ended by CRLF', 'VA 3 O1\r\nabcXY'],
    ['a line ended by LF alone', 'EN\n'],
    ['a line longer than memcached ever sends', `${'x'.repeat(5000)}`],
  ])('fails the calls on a connection that answers %s, then reconnects', async (_, garbage) => {
    const meta = await open((command, socket) => {
      if (command.connection === 1) socket.write(garbage);
      else honest(command, socket);
    });
    const error = await meta.get('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).cause).toBeInstanceOf(MetaProtocolError);
    await sleep(AFTER_BACKOFF_MS);
    expect((await meta.get('k'))?.toString()).toBe('k');
  });

  it('never hands a caller an answer meant for another call: an answer out of step fails every call', async () => {
    const held: Array<{ opaque: string | undefined; key: string }> = [];
    const meta = await open((command, socket) => {
      if (command.connection > 1) return honest(command, socket);
      held.push({ opaque: command.opaque, key: command.line.split(' ')[1] as string });
      if (held.length === 2) {
        // Answers swapped: well-formed, but each carries the other call's opaque.
        for (const { opaque, key } of held.reverse())
          socket.write(`VA ${key.length} O${opaque}\r\n${key}\r\n`);
      }
    });
    const calls = await Promise.allSettled([meta.get('one'), meta.get('two')]);
    for (const call of calls) expect(call.status).toBe('rejected');
    await sleep(AFTER_BACKOFF_MS);
    expect((await meta.get('one'))?.toString()).toBe('one');
  });

  it('treats an answer nobody asked for as garbage', async () => {
    const meta = await open((command, socket) => {
      honest(command, socket);
      if (command.connection === 1) socket.write('HD O77\r\n');
    });
    expect((await meta.get('a'))?.toString()).toBe('a');
    const next = await meta.get('b').catch((e: unknown) => e);
    // The stray answer arrives before or with b's: b fails or succeeds, but never with a wrong value.
    if (!(next instanceof StoreError)) expect(next?.toString()).toBe('b');
    expect((await meta.get('c'))?.toString()).toBe('c');
    expect(server?.connections).toBe(2);
  });

  it('fails one call that memcached refuses (SERVER_ERROR) and keeps the connection in step', async () => {
    const meta = await open((command, socket) => {
      if (command.line.startsWith('ms')) socket.write('SERVER_ERROR out of memory storing object\r\n');
      else honest(command, socket);
    });
    const [stored, read] = await Promise.allSettled([meta.set('k', Buffer.from('v'), 60), meta.get('k')]);
    expect((stored as PromiseRejectedResult).reason).toMatchObject({ code: 'E_STORE_OUT_OF_MEMORY' });
    expect((read as PromiseFulfilledResult<Buffer>).value.toString()).toBe('k');
    expect(server?.connections).toBe(1);
  });

  it('answers its callers when the outcome listener throws', async () => {
    server = await startFakeMemcached(honest);
    node = new MetaNode({
      address: server.address,
      opTimeoutMs: 2000,
      onOutcome: () => {
        throw new Error('a faulty listener');
      },
    });
    expect((await Promise.all([node.get('a'), node.get('b')])).map(String)).toEqual(['a', 'b']);
    expect(server.connections).toBe(1);
  });

  it('times out a probe behind a slow answer on its own deadline, and keeps the connection', async () => {
    const meta = await open((command, socket) => {
      if (command.line === 'stats') return;
      setTimeout(() => honest(command, socket), 150);
    }, 2000);
    const slow = meta.get('slow');
    await expect(meta.probe(50)).rejects.toBeInstanceOf(StoreTimeoutError);
    expect((await slow)?.toString()).toBe('slow');
  });

  it('times out a silent server at opTimeoutMs, and fails calls fast during the backoff that follows', async () => {
    const meta = await open(() => {}, 200);
    const started = performance.now();
    await expect(meta.get('k')).rejects.toBeInstanceOf(StoreTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    const fast = performance.now();
    await expect(meta.get('k')).rejects.toBeInstanceOf(StoreTimeoutError);
    expect(performance.now() - fast).toBeLessThan(100);
    expect(server?.connections).toBe(1);
  });
});
