import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCache, HotKeyRecorder, type HotlistError, MemoryStore, readHotlist } from '../../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sg-recorder-'));
});
afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

describe('HotKeyRecorder', () => {
  it('ranks by count x cost, with exact counts while the keys fit', () => {
    const recorder = new HotKeyRecorder({ capacity: 100 });
    const traffic: Array<[string, number, number]> = [
      ['cheap-popular', 100, 1],
      ['dear-rare', 5, 50],
      ['middle', 20, 10],
    ];
    for (const [key, times, cost] of traffic) {
      for (let i = 0; i < times; i++) {
        recorder.recordRequest(key, { kind: 'url', url: `/${key}` });
        recorder.recordCost(key, cost);
      }
    }
    expect(recorder.top().map((e) => [e.key, e.count, e.costMs, e.impactMs])).toEqual([
      ['dear-rare', 5, 50, 250],
      ['middle', 20, 10, 200],
      ['cheap-popular', 100, 1, 100],
    ]);
    expect(recorder.top(1)).toHaveLength(1);
  });

  it('smooths a changing cost and ignores invalid ones', () => {
    const recorder = new HotKeyRecorder();
    recorder.recordRequest('k', undefined);
    for (const cost of [10, 20, 30]) recorder.recordCost('k', cost);
    expect(recorder.top()[0]?.costMs).toBe(20); // the exact mean while samples are few
    recorder.recordCost('k', Number.NaN);
    recorder.recordCost('k', -1);
    recorder.recordCost('unknown', 5); // not tracked: ignored, no counter created
    expect(recorder.top()[0]?.costMs).toBe(20);
    expect(recorder.size).toBe(1);
  });

  it('gives a key whose cost is unknown the mean cost seen so far', () => {
    const recorder = new HotKeyRecorder();
    recorder.recordRequest('a', undefined);
    recorder.recordCost('a', 40);
    recorder.recordRequest('b', undefined);
    expect(recorder.top().find((e) => e.key === 'b')?.costMs).toBe(40);
  });

  it('keeps the first replay, and writes null for a replay JSON would alter', () => {
    const recorder = new HotKeyRecorder();
    recorder.recordRequest('p:[1]', undefined);
    recorder.recordRequest('p:[1]', { kind: 'loader', name: 'p', args: [1] });
    recorder.recordRequest('p:[1]', { kind: 'loader', name: 'p', args: [2] });
    recorder.recordRequest('d', { kind: 'loader', name: 'd', args: [new Date(0)] });
    recorder.recordRequest('raw', undefined);
    const byKey = Object.fromEntries(recorder.hotlist().map((e) => [e.key, e.replay]));
    expect(byKey).toEqual({ 'p:[1]': { kind: 'loader', name: 'p', args: [1] }, d: null, raw: null });
  });

  it('is fed by a cache: cached() calls record loader replays, hits record the stored cost', async () => {
    const recorder = new HotKeyRecorder();
    const cache = createCache({ store: new MemoryStore(), recorder, safeMode: 'off' });
    const product = cache.cached('product', async (id: number) => ({ id }));
    for (let i = 0; i < 3; i++) await product(7);
    await cache.wrap('plain', () => 1);
    await cache.close();
    const [top] = recorder.top().filter((e) => e.key === 'product:[7]');
    expect(top).toMatchObject({ count: 3, replay: { kind: 'loader', name: 'product', args: [7] } });
    expect(recorder.top().find((e) => e.key === 'plain')?.replay).toBeNull();
  });

  it('validates its options with a TypeError naming the option', () => {
    expect(() => new HotKeyRecorder({ capacity: 0 })).toThrow(/`capacity`/);
    expect(() => new HotKeyRecorder({ hotlistfile: 'x.json' } as never)).toThrow(
      /`hotlistfile` must be a known option/,
    );
    expect(() => new HotKeyRecorder({ hotlistSize: 1.5 })).toThrow(/`hotlistSize`/);
    expect(() => new HotKeyRecorder({ hotlistFile: '' })).toThrow(/`hotlistFile`/);
    expect(() => new HotKeyRecorder({ hotlistFile: 'x.json', writeIntervalMs: -1 })).toThrow(TypeError);
    // Also without a file: a bad value is a mistake whether or not there is anything to write.
    expect(() => new HotKeyRecorder({ writeIntervalMs: -1 })).toThrow(/`writeIntervalMs`/);
    expect(() => new HotKeyRecorder({ onWriteError: 'log' as never })).toThrow(/`onWriteError`/);
  });
});

describe('HotKeyRecorder hotlist file', () => {
  it('writes on close, atomically, to a per-process path, and the file reads back', async () => {
    const recorder = new HotKeyRecorder({
      hotlistFile: path.join(dir, 'sub', 'hot-{pid}.json'),
      hotlistSize: 2,
    });
    for (const key of ['a', 'b', 'b', 'c', 'c', 'c'])
      recorder.recordRequest(key, { kind: 'url', url: `/${key}` });
    await recorder.close();
    await recorder.close(); // idempotent
    expect(recorder.hotlistFile).toBe(path.join(dir, 'sub', `hot-${process.pid}.json`));
    expect(await readdir(path.join(dir, 'sub'))).toEqual([`hot-${process.pid}.json`]); // no temp file left
    const file = JSON.parse(await readFile(recorder.hotlistFile as string, 'utf8'));
    expect(file).toMatchObject({ version: 1, pid: process.pid, host: os.hostname() });
    expect(file.entries.map((e: { key: string }) => e.key)).toEqual(['c', 'b']);
    expect((await readHotlist(recorder.hotlistFile as string)).entries[0]).toMatchObject({
      key: 'c',
      count: 3,
    });
  });

  it('writes on an interval, on an unref’ed timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const file = path.join(dir, 'hot.json');
    const recorder = new HotKeyRecorder({ hotlistFile: file, writeIntervalMs: 1000 });
    recorder.recordRequest('k', undefined);
    vi.advanceTimersByTime(1000);
    await vi.waitFor(async () => expect((await readHotlist(file)).entries).toHaveLength(1), {
      timeout: 2000,
    });
    recorder.recordRequest('k2', undefined);
    vi.advanceTimersByTime(1000);
    await vi.waitFor(async () => expect((await readHotlist(file)).entries).toHaveLength(2), {
      timeout: 2000,
    });
    await recorder.close();
  });

  it('reports a failed periodic write to onWriteError instead of crashing, and rejects flush()', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const blocker = path.join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const errors: HotlistError[] = [];
    const recorder = new HotKeyRecorder({
      hotlistFile: path.join(blocker, 'hot.json'),
      writeIntervalMs: 500,
      onWriteError: (error) => errors.push(error),
    });
    vi.advanceTimersByTime(500);
    await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 2000 });
    expect(errors[0]).toMatchObject({ code: 'E_HOTLIST', file: path.join(blocker, 'hot.json') });
    await expect(recorder.flush()).rejects.toMatchObject({ code: 'E_HOTLIST' });
    await expect(recorder.close()).rejects.toThrow(/cannot write/);
  });
});
