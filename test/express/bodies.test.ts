/**
 * What is captured and replayed, over a real memcached: streamed and piped bodies byte for byte, bodies
 * over `maxBodyBytes` served but not stored, and `compression()` in front of or behind the middleware.
 * On both protocols.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPassMarker, readRecord } from '../../src/http/record.js';
import { BINARY } from '../fixtures/express-app.js';
import { type MemcachedProcess, startMemcached, stopAllMemcached } from '../support/memcached.js';
import { PROTOCOLS } from '../support/protocols.js';
import { cacheStatuses, serve } from './harness.js';

let node: MemcachedProcess;
beforeAll(async () => {
  node = await startMemcached();
});
afterAll(stopAllMemcached);

describe.each(PROTOCOLS)('on %s', (protocol) => {
  describe('streamed responses', () => {
    it('res.write() chunks + res.end(): captured byte for byte, for the waiters and for later hits', async () => {
      const s = await serve(node, { protocol });
      try {
        const responses = await Promise.all(Array.from({ length: 5 }, () => s.get('/stream/a')));
        expect(s.renders['/stream/a']).toBe(1);
        expect(cacheStatuses(responses)).toEqual({ MISS: 1, WAIT: 4 });
        for (const r of [...responses, await s.get('/stream/a')]) {
          expect(r.status).toBe(200);
          expect(r.body.equals(BINARY)).toBe(true);
          expect(r.headers['content-type']).toBe('application/octet-stream');
        }
        const miss = responses.find((r) => r.headers['x-cache'] === 'MISS');
        expect(miss?.headers['transfer-encoding']).toBe('chunked'); // the renderer's own stream went out as is
      } finally {
        await s.close();
      }
    });

    it('a stream piped into the response: captured byte for byte', async () => {
      const s = await serve(node, { protocol, renderMs: 10 });
      try {
        const miss = await s.get('/pipe/a');
        const hit = await s.get('/pipe/a');
        expect(hit.headers['x-cache']).toBe('HIT');
        expect(hit.body.equals(Buffer.from('alpha béta gamma\n'))).toBe(true);
        expect(hit.body.equals(miss.body)).toBe(true);
      } finally {
        await s.close();
      }
    });

    it('over maxBodyBytes: served in full to everyone, not stored', async () => {
      const s = await serve(node, { protocol, middleware: { maxBodyBytes: 1000 } });
      try {
        const responses = await Promise.all(Array.from({ length: 5 }, () => s.get('/big/5000')));
        for (const r of responses) expect(r.body.equals(Buffer.alloc(5000, 120))).toBe(true);
        expect(cacheStatuses(responses)).toEqual({ MISS: 1, BYPASS: 4 }); // released at once, not fed the render
        expect(await s.cache.get(s.key('/big/5000'))).toEqual({
          v: 1,
          pass: 'too-large',
          storedAt: expect.any(Number),
        });
        expect((await s.get('/big/1000')).headers['x-cache']).toBe('MISS');
        expect((await s.get('/big/1000')).headers['x-cache']).toBe('HIT'); // exactly the limit is stored
      } finally {
        await s.close();
      }
    });
  });

  describe('headers given to writeHead()', () => {
    it.each(['object', 'array'])('as an %s: stored and replayed with the response', async (form) => {
      const s = await serve(node, { protocol, renderMs: 10 });
      try {
        const miss = await s.get(`/write-head/${form}`);
        const hit = await s.get(`/write-head/${form}`);
        expect(hit.headers['x-cache']).toBe('HIT');
        expect(hit.headers['x-render']).toBe(miss.headers['x-render']);
        expect(hit.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(hit.body.toString()).toBe(`raw ${miss.headers['x-render']}`);
      } finally {
        await s.close();
      }
    });
  });

  describe('compression()', () => {
    const gzip = { 'Accept-Encoding': 'gzip' };
    const identity = { 'Accept-Encoding': 'identity' };
    const text = (body: Buffer) => body.toString().replace(/\d+-\d+$/, '');
    const expected = 'compressible line of text\n'.repeat(400);

    it('in front: the identity body is stored, and each client gets its own encoding (Vary: Accept-Encoding)', async () => {
      const s = await serve(node, { protocol, compression: 'front' });
      try {
        const responses = await Promise.all(
          Array.from({ length: 6 }, (_, i) => s.get('/text/front', i % 2 ? gzip : identity)),
        );
        responses.push(await s.get('/text/front', identity), await s.get('/text/front', gzip));
        expect(s.renders['/text/front']).toBe(1);
        responses.forEach((r, i) => {
          expect(text(r.body)).toBe(expected); // superagent gunzips: a double or missing encoding fails here
          expect(r.headers['content-encoding']).toBe(i % 2 ? 'gzip' : undefined);
          expect(r.headers.vary).toBe('Accept-Encoding');
        });
        expect(cacheStatuses(responses)).toEqual({ MISS: 1, WAIT: 5, HIT: 2 });
        const stored = readRecord(await s.cache.get(s.key('/text/front')));
        if (stored === undefined || isPassMarker(stored)) throw new Error('no page stored');
        expect(stored.headers.map(([name]) => name)).not.toContain('content-encoding');
      } finally {
        await s.close();
      }
    });

    it('behind, without `vary`: the encoded response is not stored', async () => {
      const s = await serve(node, { protocol, compression: 'behind', renderMs: 10 });
      try {
        await s.get('/text/behind', gzip);
        const identityResponse = await s.get('/text/behind', identity);
        expect(identityResponse.headers['content-encoding']).toBeUndefined();
        expect(text(identityResponse.body)).toBe(expected);
        expect(s.middleware.stats().notStored).toEqual({ vary: 1 });
      } finally {
        await s.close();
      }
    });

    it("behind, with vary: ['accept-encoding']: one entry per encoding, each replayed as stored", async () => {
      const s = await serve(node, {
        protocol,
        compression: 'behind',
        renderMs: 10,
        middleware: { vary: ['accept-encoding'] },
      });
      try {
        for (const headers of [gzip, identity]) await s.get('/text/vary', headers);
        const [g, i] = [await s.get('/text/vary', gzip), await s.get('/text/vary', identity)];
        expect([g.headers['x-cache'], i.headers['x-cache']]).toEqual(['HIT', 'HIT']);
        expect([g.headers['content-encoding'], i.headers['content-encoding']]).toEqual(['gzip', undefined]);
        expect([text(g.body), text(i.body)]).toEqual([expected, expected]);
        expect(s.renders['/text/vary']).toBe(2);
      } finally {
        await s.close();
      }
    });
  });
});
