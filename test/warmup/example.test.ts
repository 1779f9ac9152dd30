/** `npm run example:warmup` runs with its one command and shows what docs/warmup.md says it shows. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('examples/warmup', () => {
  it('records, restarts memcached, warms the top 50 through --module, and serves them as hits', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/warmup/run.ts'], {
      timeout: 60_000,
      env: { ...process.env, MEMCACHED_SERVERS: '' },
    });
    expect(stdout).toContain('2. memcached restarts, empty');
    expect(stdout).toMatch(/cache-warmup: warmed 50, skipped 0, failed 0 of 50 entries/);
    const [before, after] = [...stdout.matchAll(/(\d+) database queries/g)].map((m) => Number(m[1]));
    expect(after).toBeLessThan(before as number); // the warmed keys no longer reach the database
  });
});
