// Checks the integration harness itself: real memcached processes and real worker children.
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type MemcachedProcess,
  memcachedStats,
  memcachedVersion,
  openMemcachedCount,
  startCluster,
  startMemcached,
  stopAllMemcached,
} from './support/memcached.js';
import { killAllWorkers, spawnWorkers } from './support/workers.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** True if a process with this pid exists (signal 0 only probes). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

const seenPids = new Set<number>();

afterAll(async () => {
  await stopAllMemcached();
  await killAllWorkers();
  expect(openMemcachedCount()).toBe(0);
  for (const pid of seenPids) expect(pidExists(pid), `pid ${pid} still exists`).toBe(false);
});

describe('memcached harness', () => {
  let node: MemcachedProcess;

  it('starts a node that answers stats with its own pid', async () => {
    node = await startMemcached();
    seenPids.add(node.pid);
    expect(node.address).toBe(`127.0.0.1:${node.port}`);
    expect(node.isRunning).toBe(true);
    const stats = await memcachedStats(node.address);
    expect(stats.pid).toBe(String(node.pid));
    expect(stats.version).toBe(await memcachedVersion(node.address));
  });

  it('SIGSTOP hangs the node (no reply within 300 ms) and SIGCONT revives it', async () => {
    node.stop();
    await expect(memcachedVersion(node.address, 300)).rejects.toThrow(/timeout after 300 ms/);
    node.cont();
    await expect(memcachedVersion(node.address, 1000)).resolves.toMatch(/^\d+\.\d+\.\d+/);
  });

  it('kill makes connections refused', async () => {
    const pid = node.pid;
    await node.kill();
    expect(node.isRunning).toBe(false);
    expect(pidExists(pid)).toBe(false);
    await expect(memcachedVersion(node.address, 1000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('restart brings up a new, empty memcached on the same port', async () => {
    const oldPid = node.pid;
    const port = node.port;
    await node.restart();
    seenPids.add(node.pid);
    expect(node.port).toBe(port);
    expect(node.pid).not.toBe(oldPid);
    const stats = await memcachedStats(node.address);
    expect(stats.pid).toBe(String(node.pid));
    expect(Number(stats.uptime)).toBeLessThanOrEqual(2);
    expect(stats.curr_items).toBe('0');
  });

  it('restart also works from a stopped node', async () => {
    node.stop();
    await node.restart();
    seenPids.add(node.pid);
    await expect(memcachedVersion(node.address)).resolves.toBeTruthy();
  });

  it('close is idempotent and removes the node from the registry', async () => {
    const before = openMemcachedCount();
    const pid = node.pid;
    await node.close();
    await node.close();
    expect(openMemcachedCount()).toBe(before - 1);
    expect(pidExists(pid)).toBe(false);
    await expect(node.restart()).rejects.toThrow(/closed/);
  });

  it('startCluster(3) gives 3 live nodes on distinct ports', async () => {
    const nodes = await startCluster(3);
    for (const n of nodes) seenPids.add(n.pid);
    expect(new Set(nodes.map((n) => n.port)).size).toBe(3);
    const stats = await Promise.all(nodes.map((n) => memcachedStats(n.address)));
    expect(stats.map((s) => s.pid)).toEqual(nodes.map((n) => String(n.pid)));
    await Promise.all(nodes.map((n) => n.close()));
  });

  it('a fixed port already in use fails after retrying', async () => {
    const taken = await startMemcached();
    seenPids.add(taken.pid);
    await expect(startMemcached({ port: taken.port })).rejects.toThrow(/port \d+ is in use/);
    await taken.close();
  }, 15_000);

  it('a missing binary gives an install hint', async () => {
    await expect(startMemcached({ binary: '/nonexistent/memcached' })).rejects.toThrow(
      'memcached not found: apt-get install -y memcached',
    );
  });
});

describe('worker harness', () => {
  it('starts 3 workers that get go at once and report their index and pid', async () => {
    const group = await spawnWorkers(fixture('echo-worker.ts'), { count: 3 });
    for (const pid of group.pids()) seenPids.add(pid);
    expect(group.count).toBe(3);
    group.go({ round: 1 });
    const hellos = await Promise.all(
      [0, 1, 2].map((i) => group.waitFor((m, idx) => m.type === 'hello' && idx === i, 5000)),
    );
    for (const [i, { msg }] of hellos.entries()) {
      expect(msg).toMatchObject({ index: i, pid: group.pids()[i], payload: { round: 1 } });
    }
    // Broadcast in one loop: the workers start within a short window of each other.
    const at = hellos.map(({ msg }) => Number(msg.at));
    expect(Math.max(...at) - Math.min(...at)).toBeLessThan(500);

    group.kill(1);
    group.send(0, { type: 'exit' });
    group.send(2, { type: 'crash' });
    const results = await group.done(10_000);
    expect(results[0]).toMatchObject({ code: 0, signal: null });
    expect(results[0]?.messages.at(-1)).toMatchObject({ type: 'done', index: 0 });
    expect(results[1]).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(results[2]).toMatchObject({ code: 1 });
    expect(results[2]?.messages.at(-1)).toMatchObject({
      type: 'error',
      message: 'crash requested in worker 2',
    });
    await group.close();
  });

  it('waitFor and done time out instead of hanging', async () => {
    const group = await spawnWorkers(fixture('echo-worker.ts'), { count: 1 });
    for (const pid of group.pids()) seenPids.add(pid);
    await expect(group.waitFor((m) => m.type === 'never', 100)).rejects.toThrow(/within 100 ms/);
    await expect(group.done(100)).rejects.toThrow(/still running/);
    const [pid = -1] = group.pids();
    expect(pidExists(pid)).toBe(false);
  });

  it('spawnWorkers rejects with stderr when a worker dies before ready', async () => {
    await expect(spawnWorkers(fixture('broken-worker.ts'), { count: 2 })).rejects.toThrow(
      /exited before ready[\s\S]*broken-worker: failing on purpose/,
    );
  });
});
