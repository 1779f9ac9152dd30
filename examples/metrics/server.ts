/**
 * Metrics: `npm run example:metrics`. A cache with the Prometheus exporter, a /metrics endpoint, a little
 * traffic, then the stampede_guard_* lines a scrape returns. Pass --serve to keep the server running.
 */

import { once } from 'node:events';
import { createServer } from 'node:http';
import { register } from 'prom-client';
import { createCache } from 'stampede-guard';
import { registerCacheMetrics } from 'stampede-guard/prometheus';
import { withMemcached } from '../lib/memcached.js';

await withMemcached(1, async (servers) => {
  const cache = createCache({ servers, namespace: 'metrics-example' });
  registerCacheMetrics(cache, { name: 'products' });

  const server = createServer(async (req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    res.setHeader('Content-Type', register.contentType);
    res.end(await register.metrics());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };

  for (let i = 0; i < 50; i++) await cache.wrap(`product:${i % 10}`, async () => ({ id: i % 10 }));
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  console.log(`GET http://127.0.0.1:${port}/metrics ->`);
  console.log(
    text
      .split('\n')
      .filter((l) => /^stampede_guard_(hits|misses|loads|safe_mode|node_up)/.test(l))
      .join('\n'),
  );

  if (process.argv.includes('--serve')) {
    console.log('serving; Ctrl+C to stop');
    await once(process, 'SIGINT');
  }
  server.close();
  await cache.close();
});
