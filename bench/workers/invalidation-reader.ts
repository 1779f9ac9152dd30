/**
 * A benchmark worker: reads one tagged key in a loop (`cache.peek`, no loading) and, on each `watch`
 * message, reports the wall-clock time of its first read that found the entry no longer fresh: the other
 * half of "time from invalidateTags() to the first non-fresh read in another process". Same host, so the
 * parent's and this process's `performance.timeOrigin + performance.now()` share one clock.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { onMessage, ready, report } from '../../test/support/worker-runtime.js';
import { library } from '../lib/library.js';

const servers = (process.env.BENCH_SERVERS ?? '').split(',').filter(Boolean);
const protocol = process.env.BENCH_PROTOCOL === 'meta' ? 'meta' : 'binary';
const cache = library.createCache({
  servers,
  protocol,
  namespace: process.env.BENCH_NAMESPACE ?? '',
  opTimeoutMs: 2000,
});
const now = () => performance.timeOrigin + performance.now();

onMessage(async (msg) => {
  if (msg.type !== 'watch') return;
  const key = msg.key as string;
  let reads = 0;
  for (;;) {
    reads++;
    const found = await cache.peek(key, { grace: 0 });
    if (found?.source !== 'hit') break;
    await yieldToIo();
  }
  await report({ type: 'stale-seen', at: now(), reads });
});

await ready();
