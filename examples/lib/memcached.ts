/**
 * For the examples in this repository only: the memcached servers to use. MEMCACHED_SERVERS when set;
 * otherwise local memcached processes on free loopback ports, found (or installed) by the repository's
 * helper and stopped when the example ends or is stopped (SIGINT, SIGTERM).
 * In your app, pass your own servers to `createCache({ servers })` (or set MEMCACHED_SERVERS).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureMemcachedOrExit } from '../../scripts/memcached/ensure.js';

export interface LocalMemcached {
  /** '127.0.0.1:PORT' */
  readonly address: string;
  /** Stops the process and starts an empty one on the same port. */
  restart(): Promise<void>;
}

const HOST = '127.0.0.1';
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Runs `example` with `count` memcached servers; `local` lists the ones started here (empty when
 * MEMCACHED_SERVERS is set). Without memcached, and no way to install it, prints one line and exits 1.
 */
export async function withMemcached<T>(
  count: number,
  example: (servers: string[], local: LocalMemcached[]) => Promise<T>,
): Promise<T> {
  const external = process.env.MEMCACHED_SERVERS?.split(',').filter(Boolean) ?? [];
  const binary = external.length ? undefined : ensureMemcachedOrExit();
  const nodes: LocalNode[] = [];
  const stopAll = () => Promise.all(nodes.map((node) => node.stop()));
  // Stopped from outside: stop what was started here, then exit as the signal would have.
  const onSignal = (signal: keyof typeof SIGNAL_EXIT_CODES) => {
    void stopAll().finally(() => process.exit(SIGNAL_EXIT_CODES[signal]));
  };
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as Array<keyof typeof SIGNAL_EXIT_CODES>) {
    process.once(signal, onSignal);
  }
  try {
    if (binary) for (let i = 0; i < count; i++) nodes.push(await LocalNode.start(binary));
    return await example(external.length ? external : nodes.map((node) => node.address), nodes);
  } finally {
    await stopAll();
    for (const signal of Object.keys(SIGNAL_EXIT_CODES)) process.removeListener(signal, onSignal);
  }
}

class LocalNode implements LocalMemcached {
  private constructor(
    private readonly binary: string,
    private readonly port: number,
    private child: ChildProcess,
  ) {}

  get address(): string {
    return `${HOST}:${this.port}`;
  }

  static async start(binary: string): Promise<LocalNode> {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        return new LocalNode(binary, port, await spawnAnswering(binary, port));
      } catch (err) {
        if (attempt === 5) throw err; // another process took the free port first: try another
      }
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    this.child = await spawnAnswering(this.binary, this.port);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}

async function spawnAnswering(binary: string, port: number): Promise<ChildProcess> {
  const args = ['-l', HOST, '-p', String(port), '-U', '0', '-m', '64'];
  if (process.getuid?.() === 0) args.push('-u', 'root'); // memcached refuses to run as root without it
  const child = spawn(binary, args, { stdio: 'ignore' });
  child.on('error', () => {}); // e.g. the binary vanished: reported below as "did not start"
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await accepts(port)) return child;
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error(`memcached did not start on ${HOST}:${port}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
