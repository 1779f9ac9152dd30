// Real memcached processes for integration tests: start, hang (SIGSTOP), kill and restart on the same port.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { afterAll, beforeAll } from 'vitest';
import { findMemcached } from '../../scripts/memcached/ensure.js';
import { MemcachedStore } from '../../src/store/memjs/memcached-store.js';
import { isAlive, track } from './reaper.js';

export interface StartMemcachedOptions {
  /** Fixed port; default: a free loopback port. */
  port?: number;
  /** -m, in MB; default 64. */
  memoryMb?: number;
  extraArgs?: string[];
  /** Binary to run; default $MEMCACHED_BIN, else memcached from PATH or the system directories. */
  binary?: string;
}

export interface MemcachedProcess {
  readonly port: number;
  /** '127.0.0.1:PORT' */
  readonly address: string;
  /** pid of the current process (changes on restart). */
  readonly pid: number;
  readonly isRunning: boolean;
  /** SIGKILL; resolves once the process has exited. */
  kill(): Promise<void>;
  /** SIGSTOP: the process hangs but keeps its listening socket (connects succeed, nothing answers). */
  stop(): void;
  /** SIGCONT */
  cont(): void;
  /** Kills if alive, then starts a new, empty memcached on the same port and waits until it answers. */
  restart(): Promise<void>;
  /** Idempotent; the process cannot be restarted afterwards. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 5000;
const POLL_MS = 20;
const BIND_ATTEMPTS = 6;
const STDERR_CAP = 16_384;

const registry = new Set<MemcachedNode>();

/** Signals that the port was taken (race with another process): the caller may retry. */
class PortInUseError extends Error {}

interface Spawned {
  child: ChildProcess;
  port: number;
  /** Exited and stderr fully read. */
  closed: Promise<unknown>;
  stderr: () => string;
  /** Started with -Z: every listener speaks TLS. */
  secure: boolean;
}

class MemcachedNode implements MemcachedProcess {
  readonly address: string;
  #spawned: Spawned;
  #stopped = false;
  #closed = false;

  constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly binary: string,
    spawned: Spawned,
  ) {
    this.address = `${HOST}:${port}`;
    this.#spawned = spawned;
  }

  get pid(): number {
    return this.#spawned.child.pid ?? -1;
  }

  get isRunning(): boolean {
    return !this.#closed && isAlive(this.#spawned.child);
  }

  async kill(): Promise<void> {
    this.#stopped = false;
    await killAndWait(this.#spawned.child);
  }

  stop(): void {
    if (!isAlive(this.#spawned.child)) throw new Error(`memcached ${this.address} is not running`);
    this.#spawned.child.kill('SIGSTOP');
    this.#stopped = true;
    awaitStoppedState(this.#spawned.child.pid as number);
  }

  cont(): void {
    if (isAlive(this.#spawned.child)) this.#spawned.child.kill('SIGCONT');
    this.#stopped = false;
  }

  async restart(): Promise<void> {
    if (this.#closed) throw new Error(`memcached ${this.address} was closed`);
    await this.kill();
    // The old socket can linger for a moment after exit: retry the same port a few times.
    this.#spawned = await startOnPort(this.binary, this.port, this.args, () => this.port);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    registry.delete(this);
    if (this.#stopped) this.cont();
    await this.kill();
  }
}

export async function startMemcached(opts: StartMemcachedOptions = {}): Promise<MemcachedProcess> {
  const binary = opts.binary ?? findMemcached() ?? 'memcached'; // the global setup installed it if it could
  const args = ['-U', '0', '-m', String(opts.memoryMb ?? 64), '-t', '1', '-c', '1024'];
  if (process.getuid?.() === 0) args.push('-u', 'root'); // memcached refuses to run as root without it
  args.push(...(opts.extraArgs ?? []));
  const fixed = opts.port;
  const first = fixed ?? (await freePort());
  const spawned = await startOnPort(binary, first, args, fixed === undefined ? freePort : () => fixed);
  const node = new MemcachedNode(spawned.port, args, binary, spawned);
  registry.add(node);
  return node;
}

export function startCluster(
  n: number,
  opts: Omit<StartMemcachedOptions, 'port'> = {},
): Promise<MemcachedProcess[]> {
  return Promise.all(Array.from({ length: n }, () => startMemcached(opts)));
}

/** Closes every memcached this module started and has not closed yet. */
export async function stopAllMemcached(): Promise<void> {
  await Promise.all([...registry].map((node) => node.close()));
}

/** Number of memcached processes started and not yet closed (for leak assertions). */
export function openMemcachedCount(): number {
  return registry.size;
}

/** `stats` over a raw text-protocol socket (TLS, unverified, for a node started with -Z): STAT lines as a map. */
export async function memcachedStats(
  address: string,
  timeoutMs = 1000,
  secure = false,
): Promise<Record<string, string>> {
  const complete = (s: string) => /(^|\r\n)(END|ERROR)\r\n$/.test(s);
  const text = await rawRequest(address, 'stats\r\n', complete, timeoutMs, secure);
  const stats: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const m = /^STAT (\S+) (.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) stats[m[1]] = m[2];
  }
  return stats;
}

/** `version` over a raw socket: e.g. '1.6.18'. Rejects on timeout (a stopped node) or socket error. */
export async function memcachedVersion(address: string, timeoutMs = 1000, secure = false): Promise<string> {
  const text = await rawRequest(address, 'version\r\n', (s) => s.endsWith('\r\n'), timeoutMs, secure);
  const m = /^VERSION (\S+)\r\n$/.exec(text);
  if (!m?.[1]) throw new Error(`unexpected reply to version from ${address}: ${JSON.stringify(text)}`);
  return m[1];
}

/** Sends one command and collects the reply until `complete` says so. Socket errors keep their `code`. */
export function rawRequest(
  address: string,
  payload: string,
  complete: (reply: string) => boolean,
  timeoutMs: number,
  secure = false,
): Promise<string> {
  const [host = HOST, portText = ''] = address.split(':');
  return new Promise((resolve, reject) => {
    let reply = '';
    const port = Number(portText);
    const socket = secure
      ? tls.connect({ host, port, rejectUnauthorized: false })
      : net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`timeout after ${timeoutMs} ms waiting for reply from ${address}`));
    }, timeoutMs);
    const finish = (err: Error | null): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply);
    };
    socket.setEncoding('utf8');
    socket.on(secure ? 'secureConnect' : 'connect', () => socket.write(payload));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (complete(reply)) finish(null);
    });
    socket.on('error', finish);
    socket.on('close', () => finish(new Error(`connection to ${address} closed before a full reply`)));
  });
}

/** A port that was free a moment ago (another process may still grab it: callers retry). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts memcached, retrying on bind races with the port `nextPort` gives. */
async function startOnPort(
  binary: string,
  firstPort: number,
  args: string[],
  nextPort: () => number | Promise<number>,
): Promise<Spawned> {
  let port = firstPort;
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnOnce(binary, port, args);
    } catch (err) {
      if (!(err instanceof PortInUseError) || attempt >= BIND_ATTEMPTS) throw err;
      await sleep(40 * attempt);
      port = await nextPort();
    }
  }
}

async function spawnOnce(binary: string, port: number, args: string[]): Promise<Spawned> {
  const child = spawn(binary, ['-l', HOST, '-p', String(port), ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const closed = once(child, 'close').catch(() => undefined);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_CAP);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`memcached not found: apt-get install -y memcached (tried ${binary})`);
    }
    throw err;
  }
  track(child);
  const spawned: Spawned = { child, port, closed, stderr: () => stderr, secure: args.includes('-Z') };
  try {
    await waitUntilAnswering(spawned);
    return spawned;
  } catch (err) {
    await killAndWait(child);
    throw err;
  }
}

async function waitUntilAnswering({ child, port, closed, stderr, secure }: Spawned): Promise<void> {
  const address = `${HOST}:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isAlive(child)) {
      await closed; // 'exit' can come before the last stderr chunk
      // A failed bind exits with status 71 and "Address already in use" on stderr.
      if (stderr().includes('Address already in use')) {
        throw new PortInUseError(`port ${port} is in use: ${stderr().trim()}`);
      }
      throw new Error(`memcached on ${address} exited (${child.exitCode ?? child.signalCode}): ${stderr()}`);
    }
    try {
      await memcachedVersion(address, 200, secure);
      // Something answers; make sure it is ours and not a memcached that beat us to the port.
      const stats = await memcachedStats(address, 500, secure);
      if (stats.pid === String(child.pid)) return;
      throw new PortInUseError(`port ${port} is in use: served by pid ${stats.pid}`);
    } catch (err) {
      if (err instanceof PortInUseError) throw err;
    }
    await sleep(POLL_MS);
  }
  throw new Error(
    `memcached on ${address} did not answer within ${READY_TIMEOUT_MS} ms; stderr: ${stderr()}`,
  );
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (!isAlive(child)) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/**
 * kill(SIGSTOP) returns before the kernel has stopped every thread; a request sent in that instant can
 * still be answered. Wait (briefly, synchronously) until /proc says the process is stopped.
 */
function awaitStoppedState(pid: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 1000; i++) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/\) [Tt] /.test(stat)) return;
    } catch {
      return; // no /proc (not Linux) or the process is gone: nothing to wait for
    }
    Atomics.wait(pause, 0, 0, 1);
  }
}

/**
 * For a test file: one memcached node for all its tests, and a raw single-node store on it to inspect
 * what was written; both closed after the file. Read the fields inside tests (they are set in beforeAll).
 */
export function useMemcachedNode(): { node: MemcachedProcess; raw: MemcachedStore } {
  const shared = {} as { node: MemcachedProcess; raw: MemcachedStore };
  beforeAll(async () => {
    shared.node = await startMemcached();
    shared.raw = new MemcachedStore({
      servers: [{ address: shared.node.address, weight: 1 }],
      opTimeoutMs: 500,
    });
  });
  afterAll(async () => {
    await shared.raw?.close();
    await stopAllMemcached();
  });
  return shared;
}
