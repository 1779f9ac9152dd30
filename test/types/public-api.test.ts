/**
 * Type tests of the public API. `expectTypeOf` checks nothing at run time: `npm run typecheck` (tsc over
 * test/, a step of CI) is what fails when a type drifts. Run by `npm test` too, so the file is kept honest.
 */
import express from 'express';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type CacheStatus, cacheMiddleware, type SetCookiePolicy } from '../../src/express/index.js';
import {
  type AnswerSource,
  type CacheEvents,
  createCache,
  type ErrorCode,
  type FailoverMode,
  MemoryStore,
  type SafeModeSetting,
  type WaitTimeoutPolicy,
  type WrapOptions,
} from '../../src/index.js';

describe('public types', () => {
  it('option unions', () => {
    expectTypeOf<WaitTimeoutPolicy>().toEqualTypeOf<'load' | 'stale' | 'throw'>();
    expectTypeOf<SafeModeSetting>().toEqualTypeOf<'always' | 'off' | 'auto'>();
    expectTypeOf<FailoverMode>().toEqualTypeOf<'rehash' | 'gutter' | 'none'>();
    expectTypeOf<SetCookiePolicy>().toEqualTypeOf<'pass' | 'strip'>();
    expectTypeOf<WrapOptions['onWaitTimeout']>().toEqualTypeOf<WaitTimeoutPolicy | undefined>();
    expectTypeOf<AnswerSource>().toEqualTypeOf<'hit' | 'stale' | 'waited' | 'loaded'>();
    expectTypeOf<CacheStatus>().toEqualTypeOf<'HIT' | 'STALE' | 'MISS' | 'WAIT' | 'BYPASS'>();
    expectTypeOf<'E_HOTLIST' | 'E_RENDER_FAILED' | 'E_STORE' | 'E_MOVED'>().toExtend<ErrorCode>();
  });

  it('event payloads', () => {
    expectTypeOf<CacheEvents['hit']>().toEqualTypeOf<{ key: string } & { tier: 'memory' | 'store' }>();
    expectTypeOf<CacheEvents['stale']['reason']>().toEqualTypeOf<
      'grace' | 'error' | 'wait-timeout' | 'load-timeout'
    >();
    expectTypeOf<CacheEvents['wait:done']['outcome']>().toEqualTypeOf<'value' | 'lock-gone' | 'timeout'>();
    const cache = createCache({ store: new MemoryStore() });
    cache.on('load', (event) => {
      expectTypeOf(event.durationMs).toBeNumber();
      expectTypeOf(event.background).toBeBoolean();
    });
    // @ts-expect-error an event that does not exist
    cache.on('no-such-event', () => {});
    return cache.close();
  });

  it('cached() infers its arguments and result from the function', async () => {
    const cache = createCache({ store: new MemoryStore() });
    const product = cache.cached('product', async (id: number, locale?: string) => ({ id, locale }));
    expectTypeOf(product).parameters.toEqualTypeOf<[id: number, locale?: string]>();
    expectTypeOf(product).returns.toEqualTypeOf<Promise<{ id: number; locale: string | undefined }>>();
    const sync = cache.cached('twice', (n: number) => n * 2, { key: (n) => String(n) });
    expectTypeOf(sync).returns.toEqualTypeOf<Promise<number>>();
    // @ts-expect-error the key function gets the function's arguments
    cache.cached('twice', (n: number) => n, { key: (n: string) => n });
    // @ts-expect-error cached() describes its own replay (and says so at run time too)
    expect(() => cache.cached('twice', (n: number) => n, { replay: { kind: 'url', url: '/' } })).toThrow(
      '`cached().replay`',
    );
    const answer = await cache.answer('k', () => 1);
    expectTypeOf(answer.value).toBeNumber();
    expectTypeOf(answer.freshUntil).toEqualTypeOf<number | undefined>();
    await cache.close();
  });

  it("the Express middleware keeps a route's typed params", async () => {
    const cache = createCache({ store: new MemoryStore() });
    const app = express();
    const pages = cacheMiddleware(cache, { ttl: 5 });
    app.use(pages);
    app.get('/p/:id', pages, (req, res) => {
      expectTypeOf(req.params).toEqualTypeOf<{ id: string }>();
      res.end(req.params.id);
    });
    app.get('/q/:a/:b', pages, pages, (req, res) => {
      expectTypeOf(req.params.b).toBeString();
      res.end();
    });
    // @ts-expect-error options are checked (and at run time too)
    expect(() => cacheMiddleware(cache, { setCookie: 'keep' })).toThrow('`middleware().setCookie`');
    await cache.close();
  });
});
