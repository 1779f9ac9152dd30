/**
 * `npm run example:warmup`: the warmup story on this machine.
 *
 * 1. A shop serves traffic (popular products are requested more; some cost more) and records a hotlist.
 * 2. memcached restarts: empty.
 * 3. `cache-warmup --module examples/warmup/warm-loaders.ts --hotlist <dir>` preloads the top entries.
 * 4. The shop goes live again: the expensive, popular keys are hits, the database sees few queries.
 *
 * Starts its own memcached on a free loopback port (or uses MEMCACHED_SERVERS) and stops what it started.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { withMemcached } from '../lib/memcached.js';
import { createShop } from './app.js';
import { database } from './catalog.js';

// The package's `cache-warmup` bin, run from its sources (in your app: `npx cache-warmup ...`).
const CLI = fileURLToPath(new URL('../../src/warmup/cli.ts', import.meta.url));
const MODULE = fileURLToPath(new URL('./warm-loaders.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** 3,000 requests: product i with weight about 1/i (Zipf-like), and a few searches. Same every run. */
async function traffic(shop: ReturnType<typeof createShop>): Promise<void> {
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let n = 0; n < 3000; n++) {
    if (n % 50 === 0) await shop.search({ page: 1 + (n % 3), term: 'lamp' });
    else await shop.product(Math.max(1, Math.floor(1 / (random() + 0.005))));
  }
}

const hotlistDir = mkdtempSync(path.join(os.tmpdir(), 'shop-hotlist-'));
try {
  await withMemcached(1, async (servers, [node]) => {
    process.env.MEMCACHED_SERVERS = servers.join(','); // read by app.ts and warm-loaders.ts
    console.log(`1. serving traffic, recording a hotlist in ${hotlistDir}`);
    const shop = createShop(hotlistDir);
    await traffic(shop);
    await shop.close();
    console.log(`   ${database.queries} database queries`);

    if (node) {
      console.log('2. memcached restarts, empty');
      await node.restart();
    }

    console.log('3. cache-warmup --module warm-loaders.ts --hotlist <dir> --top 50');
    const warm = spawn(
      process.execPath,
      ['--import', TSX, CLI, '--module', MODULE, '--hotlist', hotlistDir, '--top', '50', '--rate', '100'],
      { stdio: 'inherit', env: process.env },
    );
    const stopWarmup = () => warm.kill(); // this example stopped (Ctrl+C, SIGTERM): the warmup too
    process.once('exit', stopWarmup);
    const [status] = await once(warm, 'exit');
    process.removeListener('exit', stopWarmup);
    if (status !== 0) throw new Error(`cache-warmup exited with ${status}`);

    console.log('4. live again: the same traffic');
    database.queries = 0;
    const live = createShop(hotlistDir);
    await traffic(live);
    const stats = live.cache.stats();
    await live.close();
    console.log(`   ${database.queries} database queries, ${stats.hits} hits, ${stats.misses} misses`);
  });
} finally {
  rmSync(hotlistDir, { recursive: true, force: true });
}
