/**
 * `queryParams`: what the recorder keeps of URL queries, before anything reaches its sketch or a file.
 * The last test runs the real middleware over memcached, so the keys are the ones it really builds.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotKeyRecorder, type Replay } from '../../src/index.js';
import { serve } from '../express/harness.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';

const url = (u: string): Replay => ({ kind: 'url', url: u });

/** Records one request per URL under the middleware's key shape, with a cost of 10 ms. */
function record(recorder: HotKeyRecorder, urls: string[], suffix = ''): void {
  for (const u of urls) {
    recorder.recordRequest(`http:${u}${suffix}`, url(u));
    recorder.recordCost(`http:${u}${suffix}`, 10);
  }
}

describe('HotKeyRecorder queryParams', () => {
  it('drops every parameter by default: ranked as /path?…, not replayed, the cost still counted', () => {
    const recorder = new HotKeyRecorder();
    record(recorder, ['/reset?token=S3CRET-1', '/reset?token=S3CRET-2', '/reset', '/plain']);
    expect(recorder.hotlist().map((e) => [e.key, e.count, e.costMs, e.replay])).toEqual([
      ['http:/reset?…', 2, 10, null],
      ['http:/plain', 1, 10, url('/plain')],
      ['http:/reset', 1, 10, url('/reset')],
    ]);
    expect(JSON.stringify(recorder.top())).not.toContain('S3CRET');
  });

  it('keeps only the allowed names, byte for byte, and replays a page that lost nothing', () => {
    const recorder = new HotKeyRecorder({ queryParams: ['page', 'sort by'] });
    record(recorder, ['/list?page=2&sort+by=%E9', '/list?page=2&sort+by=%E9', '/list?page=3&email=a%40b.c']);
    expect(recorder.hotlist().map((e) => [e.key, e.count, e.replay])).toEqual([
      ['http:/list?page=2&sort+by=%E9', 2, url('/list?page=2&sort+by=%E9')],
      ['http:/list?…&page=3', 1, null],
    ]);
  });

  it('keeps the vary suffix with a kept last parameter and drops it with a removed one', () => {
    const recorder = new HotKeyRecorder({ queryParams: ['a'] });
    record(recorder, ['/p?token=x&a=1', '/q?a=1&token=x'], '|accept-language=de');
    expect(recorder.hotlist().map((e) => e.key)).toEqual([
      'http:/p?…&a=1|accept-language=de',
      'http:/q?…&a=1',
    ]);
  });

  it("'keep' keeps every parameter; loader and plain keys are never filtered", () => {
    const recorder = new HotKeyRecorder({ queryParams: 'keep' });
    record(recorder, ['/reset?token=t']);
    const strict = new HotKeyRecorder();
    strict.recordRequest('search:["a?b=c"]', { kind: 'loader', name: 'search', args: ['a?b=c'] });
    strict.recordRequest('raw?x=1', undefined);
    strict.recordCost('search:["a?b=c"]', 7); // a cost comes by key alone: found as given
    expect(recorder.hotlist().map((e) => [e.key, e.replay])).toEqual([
      ['http:/reset?token=t', url('/reset?token=t')],
    ]);
    expect(strict.hotlist().map((e) => [e.key, e.costMs])).toEqual([
      ['raw?x=1', 7], // no cost of its own: the mean
      ['search:["a?b=c"]', 7],
    ]);
  });

  it('drops the replay when the URL loses a parameter the key never had (a custom key)', () => {
    const recorder = new HotKeyRecorder();
    recorder.recordRequest('http:/reset', url('/reset?token=S3CRET'));
    expect(recorder.hotlist()).toEqual([{ key: 'http:/reset', count: 1, costMs: 1, replay: null }]);
  });

  it('rejects a bad value, null included, naming the option', () => {
    for (const bad of [null, 'none', [''], [1], {}]) {
      expect(() => new HotKeyRecorder({ queryParams: bad as never })).toThrow(
        expect.objectContaining({
          code: 'E_INVALID_OPTION',
          message: expect.stringContaining('`queryParams`'),
        }),
      );
    }
  });
});

describe('queryParams behind the real middleware', () => {
  let node: MemcachedProcess;
  let dir: string;
  beforeAll(async () => {
    node = await startMemcached();
    dir = await mkdtemp(path.join(os.tmpdir(), 'sg-query-'));
  });
  afterAll(async () => {
    await stopAllMemcached();
    await rm(dir, { recursive: true, force: true });
  });

  it('never writes a reset token to the hotlist file, and ranks the page by its real render cost', async () => {
    const hotlistFile = path.join(dir, 'hot.json');
    const recorder = new HotKeyRecorder({ hotlistFile, writeIntervalMs: 0, queryParams: ['page'] });
    const app = await serve(node, { renderMs: 30, cache: { recorder } });
    // Page keys carry the scheme and host the app saw: read them while the server listens.
    const resetKey = app.key('/page/reset?…');
    const listKey = app.key('/page/list?page=2');
    try {
      await app.get('/page/reset?token=S3CRET-1');
      await app.get('/page/reset?token=S3CRET-2');
      await app.get('/page/list?page=2');
    } finally {
      await app.close();
      await recorder.close();
    }
    const text = await readFile(hotlistFile, 'utf8');
    expect(text).not.toContain('S3CRET');
    const entries = JSON.parse(text).entries as Array<{ key: string; count: number; costMs: number }>;
    expect(entries.map((e) => [e.key, e.count])).toEqual(
      expect.arrayContaining([
        [resetKey, 2],
        [listKey, 1],
      ]),
    );
    for (const entry of entries) expect(entry.costMs).toBeGreaterThanOrEqual(25); // the 30 ms render
  });
});
