/** Safe-mode policy in isolation: node health transitions, hysteresis, the load cap. */
import { describe, expect, it } from 'vitest';
import {
  NodeDownError,
  StoreError,
  StoreOutOfMemoryError,
  StoreTimeoutError,
  ValueTooLargeError,
} from '../../src/errors.js';
import { LoadLimiter } from '../../src/safe-mode/load-limiter.js';
import { NodeHealth } from '../../src/safe-mode/node-health.js';
import { SafeModeState } from '../../src/safe-mode/safe-mode-state.js';
import { failureKind } from '../../src/store/failures.js';
import { fromMemjsError } from '../../src/store/memjs/errors.js';
import { deferred } from '../support/deferred.js';

const refused = () =>
  new StoreError('get', 'n:1', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

describe('failureKind', () => {
  it('tells timeouts, refused connections and non-health errors apart', () => {
    expect(failureKind(new StoreTimeoutError('get', 'n:1', 100))).toBe('timeout');
    expect(failureKind(refused())).toBe('refused');
    const reset = new StoreError(
      'get',
      'n:1',
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    );
    expect(failureKind(reset)).toBe('reset');
    // A reset answering our connect: the listener closed with our connection in its queue (memcached exiting).
    const resetConnecting = new StoreError(
      'get',
      'n:1',
      Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET', syscall: 'connect' }),
    );
    expect(failureKind(resetConnecting)).toBe('refused');
    expect(failureKind(new ValueTooLargeError('set', 'n:1', new Error('Value too large')))).toBeNull();
    expect(failureKind(new StoreOutOfMemoryError('set', 'n:1', new Error('Out of memory')))).toBeNull();
    expect(failureKind(new NodeDownError('get', 'n:1'))).toBeNull();
  });

  it("reads memjs's message text only through the store's classes (one place)", () => {
    const memjs = (message: string) => fromMemjsError('set', 'n:1', 100, new Error(message));
    expect(memjs('socket timed out connecting to server.')).toBeInstanceOf(StoreTimeoutError);
    expect(memjs('MemJS SET: Value too large')).toBeInstanceOf(ValueTooLargeError);
    expect(memjs('MemJS SET: Out of memory')).toMatchObject({ code: 'E_STORE_OUT_OF_MEMORY' });
    expect(memjs('MemJS SET: Internal error')).toMatchObject({ code: 'E_STORE' });
    expect(failureKind(memjs('socket timed out waiting on response.'))).toBe('timeout');
    expect(failureKind(memjs('MemJS SET: Out of memory'))).toBeNull();
    expect(failureKind(memjs('MemJS SET: Internal error'))).toBe('error');
    // A message that merely mentions a timeout is not one unless the store said so.
    expect(failureKind(new StoreError('get', 'n:1', new Error('timed out')))).toBe('error');
  });
});

describe('NodeHealth', () => {
  it('is down at the first refused call, but only after downAfter timeouts', () => {
    const a = new NodeHealth('a', 2);
    expect(a.failure('refused', 1)).toEqual({ kind: 'down', reason: 'refused' });
    const b = new NodeHealth('b', 2);
    expect(b.failure('timeout', 1)).toBeNull();
    expect(b.failure('timeout', 2)).toEqual({ kind: 'down', reason: 'hung' });
    expect(b.failure('timeout', 3)).toBeNull(); // already down
  });

  it('keeps the latest reason while down: a refusing node that starts to hang is hung (no longer tried)', () => {
    const h = new NodeHealth('a', 2);
    h.failure('refused', 1);
    expect(h.failure('timeout', 2)).toBeNull(); // no second 'down'
    expect(h.snapshot()).toMatchObject({ state: 'down', reason: 'hung' });
    h.failure('reset', 3); // a vaguer failure does not hide what is known
    expect(h.reason).toBe('hung');
    h.failure('refused', 4);
    expect(h.reason).toBe('refused');
  });

  it('takes a reset connection as evidence, not proof (a restarted node is already back)', () => {
    const h = new NodeHealth('a', 2);
    expect(h.failure('reset', 1)).toBeNull();
    expect(h.failure('reset', 2)).toEqual({ kind: 'down', reason: 'error' });
  });

  it('resets the failure count on success while up', () => {
    const h = new NodeHealth('a', 2);
    h.failure('timeout', 1);
    expect(h.success(2)).toBeNull();
    expect(h.failure('timeout', 3)).toBeNull();
  });

  it('comes up when an ordinary call succeeds while it was down (tried because every node was down)', () => {
    const h = new NodeHealth('a', 1);
    h.failure('refused', 1000);
    expect(h.success(1500)).toEqual({ kind: 'up', downForMs: 500 });
    expect(h.snapshot()).toMatchObject({ state: 'up', lastTroubleAt: 1500 });
  });

  it('comes up on a probe, and reports a restart when the pid changed or uptime went backwards', () => {
    const h = new NodeHealth('a', 1);
    expect(h.probed({ pid: 10, uptime: 100 }, 0)).toEqual([]);
    h.failure('refused', 1000);
    expect(h.probed({ pid: 11, uptime: 1 }, 3000)).toEqual([
      { kind: 'up', downForMs: 2000 },
      { kind: 'restarted', previousPid: 10, pid: 11 },
    ]);
    expect(h.probed({ pid: 11, uptime: 0 }, 4000)).toEqual([{ kind: 'restarted', previousPid: 11, pid: 11 }]);
    expect(h.probed({ pid: 11, uptime: 5 }, 5000)).toEqual([]);
    expect(h.snapshot()).toMatchObject({ state: 'up', pid: 11, lastTroubleAt: 4000 });
  });
});

describe('SafeModeState', () => {
  it('turns on at once and off only after every node is healthy for settleMs', () => {
    const nodes = [new NodeHealth('a', 1), new NodeHealth('b', 1)];
    const state = new SafeModeState(1000);
    nodes[0]?.failure('refused', 0);
    expect(state.enter('a down', 0)).toBe(true);
    expect(state.enter('again', 10)).toBe(false);
    nodes[0]?.probed({ pid: 1, uptime: 1 }, 500);
    expect(state.settle(nodes, 1400)).toBe(false); // a came up at 500: not settled until 1500
    expect(state.settle(nodes, 1500)).toBe(true);
    expect(state.active).toBe(false);
  });

  it('stays on while a node fails every other probe (no flapping)', () => {
    const node = new NodeHealth('a', 1);
    const state = new SafeModeState(3000);
    let toggles = 0;
    for (let t = 0; t < 20_000; t += 1000) {
      if ((t / 1000) % 2 === 0) {
        node.failure('refused', t);
        if (state.enter('a down', t)) toggles++;
      } else {
        node.probed({ pid: 1, uptime: t / 1000 }, t);
      }
      if (state.settle([node], t)) toggles++;
    }
    expect(toggles).toBe(1);
    expect(state.active).toBe(true);
  });
});

describe('LoadLimiter', () => {
  it('runs at most max tasks at once and serves the queue in order', async () => {
    const limiter = new LoadLimiter(2);
    const gates = Array.from({ length: 5 }, () => deferred());
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        await g.promise;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(limiter.queued).toBe(3);
    gates[1]?.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.resolve();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(limiter.queued).toBe(0);
  });

  it('runs a call that waited maxWaitMs without a slot, and keeps the count of slots right', async () => {
    const limiter = new LoadLimiter(1);
    const holder = deferred();
    const held = limiter.run(() => holder.promise);
    let late = false;
    const waited = limiter.run(async () => {
      late = true;
    }, 30);
    expect(limiter.queued).toBe(1);
    await waited; // ran after 30 ms, though the only slot is still held
    expect(late).toBe(true);
    expect(limiter.queued).toBe(0);
    holder.resolve();
    await held;
    // One slot again, not zero and not two: one call runs at once, the next queues.
    const gate = deferred();
    const started: number[] = [];
    const runs = [0, 1].map((i) =>
      limiter.run(async () => {
        started.push(i);
        await gate.promise;
      }),
    );
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0]);
    gate.resolve();
    await Promise.all(runs);
    expect(started).toEqual([0, 1]);
  });

  it('frees the slot when a task fails', async () => {
    const limiter = new LoadLimiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await limiter.run(async () => 'next')).toBe('next');
  });
});
