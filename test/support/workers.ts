// Real Node child processes running a TypeScript worker script (see worker-runtime.ts), for cross-process tests.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { type Protocol, protocolEnv } from './protocols.js';
import { isAlive, track } from './reaper.js';

export interface WorkerMessage {
  type: string;
  [k: string]: unknown;
}

export interface WorkerResult {
  index: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  messages: WorkerMessage[];
  stderr: string;
}

export interface WorkerGroup {
  readonly count: number;
  /** Broadcasts {type:'go', payload} to every live worker in one synchronous loop (a barrier start). */
  go(payload?: unknown): void;
  send(index: number, msg: unknown): void;
  /** Default SIGKILL. */
  kill(index: number, signal?: NodeJS.Signals): void;
  pids(): number[];
  /** First matching message, including ones already received; rejects on timeout or when all workers are gone. */
  waitFor(
    predicate: (msg: WorkerMessage, index: number) => boolean,
    timeoutMs?: number,
  ): Promise<{ msg: WorkerMessage; index: number }>;
  /** Everything received so far: one worker's, or all in arrival order. */
  messages(index?: number): WorkerMessage[];
  /** Waits for every worker to exit; on timeout SIGKILLs them all and rejects. */
  done(timeoutMs?: number): Promise<WorkerResult[]>;
  /** SIGKILLs any worker still alive; idempotent. */
  close(): Promise<void>;
}

export interface SpawnWorkersOptions {
  count: number;
  env?: Record<string, string>;
  args?: string[];
  readyTimeoutMs?: number;
  /**
   * The memcached protocol of the workers' caches (CACHE_PROTOCOL, see protocols.ts): one for all, or one
   * per worker (a mixed cluster). Default: none set, so the cache's default applies.
   */
  protocol?: Protocol | readonly Protocol[];
}

// `--import tsx` is resolved from the child's cwd, so pass tsx's loader as an absolute URL instead.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const STDERR_CAP = 65_536;

const groups = new Set<Group>();

interface Slot {
  index: number;
  child: ChildProcess;
  pid: number;
  messages: WorkerMessage[];
  stderr: string;
  /** Resolves on 'close': the process exited and its stdio and IPC were drained. */
  closed: Promise<void>;
}

interface Waiter {
  predicate: (msg: WorkerMessage, index: number) => boolean;
  resolve: (hit: { msg: WorkerMessage; index: number }) => void;
  reject: (err: Error) => void;
}

class Group implements WorkerGroup {
  readonly slots: Slot[];
  readonly #log: { msg: WorkerMessage; index: number }[] = [];
  readonly #waiters = new Set<Waiter>();
  #closing: Promise<void> | undefined;

  constructor(script: string, opts: SpawnWorkersOptions) {
    if (Array.isArray(opts.protocol) && opts.protocol.length !== opts.count) {
      throw new Error(`${opts.protocol.length} protocols for ${opts.count} workers`);
    }
    this.slots = Array.from({ length: opts.count }, (_, index) => this.#spawn(script, index, opts));
  }

  get count(): number {
    return this.slots.length;
  }

  #spawn(script: string, index: number, opts: SpawnWorkersOptions): Slot {
    const child = fork(script, opts.args ?? [], {
      execArgv: ['--import', TSX_LOADER],
      env: {
        ...process.env,
        ...opts.env,
        ...workerProtocolEnv(opts.protocol, index),
        WORKER_INDEX: String(index),
        WORKER_COUNT: String(opts.count),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    track(child);
    const slot: Slot = {
      index,
      child,
      pid: child.pid ?? -1,
      messages: [],
      stderr: '',
      closed: once(child, 'close').then(() => {}),
    };
    // Drain stdout so a chatty worker never blocks on a full pipe.
    child.stdout?.resume();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      slot.stderr = (slot.stderr + chunk).slice(-STDERR_CAP);
    });
    child.on('message', (raw: unknown) => this.#receive(slot, toMessage(raw)));
    child.on('error', (err) => this.#receive(slot, { type: 'process-error', message: err.message }));
    // Once nobody is left to talk, pending waiters can never match.
    child.once('close', () => {
      if (this.slots.every((s) => !isAlive(s.child))) this.#failWaiters('all workers exited');
    });
    return slot;
  }

  #receive(slot: Slot, msg: WorkerMessage): void {
    slot.messages.push(msg);
    this.#log.push({ msg, index: slot.index });
    for (const w of this.#waiters) {
      if (w.predicate(msg, slot.index)) {
        this.#waiters.delete(w);
        w.resolve({ msg, index: slot.index });
      }
    }
  }

  #failWaiters(reason: string): void {
    for (const w of this.#waiters) w.reject(new Error(`waitFor: ${reason}; received ${this.#describe()}`));
    this.#waiters.clear();
  }

  #describe(): string {
    return JSON.stringify(this.#log.slice(-20).map(({ msg, index }) => ({ index, ...msg })));
  }

  #slot(index: number): Slot {
    const slot = this.slots[index];
    if (!slot) throw new Error(`no worker ${index} (count ${this.count})`);
    return slot;
  }

  go(payload?: unknown): void {
    for (const { child } of this.slots) if (child.connected) child.send({ type: 'go', payload });
  }

  send(index: number, msg: unknown): void {
    const { child } = this.#slot(index);
    if (!child.connected) throw new Error(`worker ${index} is not connected (exited?)`);
    child.send(msg as object);
  }

  kill(index: number, signal: NodeJS.Signals = 'SIGKILL'): void {
    const { child } = this.#slot(index);
    if (isAlive(child)) child.kill(signal);
  }

  pids(): number[] {
    return this.slots.map((s) => s.pid);
  }

  waitFor(
    predicate: (msg: WorkerMessage, index: number) => boolean,
    timeoutMs = 10_000,
  ): Promise<{ msg: WorkerMessage; index: number }> {
    const seen = this.#log.find(({ msg, index }) => predicate(msg, index));
    if (seen) return Promise.resolve(seen);
    if (this.slots.every((s) => !isAlive(s.child))) {
      return Promise.reject(new Error(`waitFor: all workers exited; received ${this.#describe()}`));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (hit) => {
          clearTimeout(timer);
          resolve(hit);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new Error(`waitFor: no matching message within ${timeoutMs} ms; received ${this.#describe()}`),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  messages(index?: number): WorkerMessage[] {
    if (index !== undefined) return [...this.#slot(index).messages];
    return this.#log.map(({ msg }) => msg);
  }

  async done(timeoutMs = 30_000): Promise<WorkerResult[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const all = Promise.all(this.slots.map((s) => s.closed));
    const outcome = await Promise.race([all, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const alive = this.slots.filter((s) => isAlive(s.child)).map((s) => s.index);
      await this.close();
      throw new Error(
        `workers ${alive.join(',')} still running after ${timeoutMs} ms (killed); received ${this.#describe()}`,
      );
    }
    return this.slots.map((s) => ({
      index: s.index,
      pid: s.pid,
      code: s.child.exitCode,
      signal: s.child.signalCode,
      messages: [...s.messages],
      stderr: s.stderr,
    }));
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      groups.delete(this);
      for (const { child } of this.slots) if (isAlive(child)) child.kill('SIGKILL');
      await Promise.all(this.slots.map((s) => s.closed));
      this.#failWaiters('group closed');
    })();
    return this.#closing;
  }
}

function workerProtocolEnv(protocol: SpawnWorkersOptions['protocol'], index: number): Record<string, string> {
  const own = typeof protocol === 'string' ? protocol : protocol?.[index];
  return own === undefined ? {} : protocolEnv(own);
}

function toMessage(raw: unknown): WorkerMessage {
  if (typeof raw === 'object' && raw !== null && typeof (raw as { type?: unknown }).type === 'string') {
    return raw as WorkerMessage;
  }
  return { type: 'invalid', value: raw };
}

/** Forks `count` workers and resolves once each has sent {type:'ready'}. */
export async function spawnWorkers(script: string, opts: SpawnWorkersOptions): Promise<WorkerGroup> {
  const group = new Group(script, opts);
  groups.add(group);
  const timeoutMs = opts.readyTimeoutMs ?? 15_000;
  const ready = new Set<number>();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`workers not ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const check = (): void => {
        for (const s of group.slots) if (s.messages.some((m) => m.type === 'ready')) ready.add(s.index);
        if (ready.size === group.count) {
          clearTimeout(timer);
          for (const s of group.slots) s.child.off('message', check);
          resolve();
        }
      };
      for (const s of group.slots) {
        s.child.on('message', check);
        s.closed.then(() => {
          if (ready.has(s.index)) return;
          clearTimeout(timer);
          const status = s.child.exitCode ?? s.child.signalCode;
          reject(
            new Error(
              `worker ${s.index} exited before ready (${status}); messages ${JSON.stringify(s.messages)}`,
            ),
          );
        });
      }
      check();
    });
  } catch (err) {
    await group.close();
    const stderr = group.slots.map((s) => `--- worker ${s.index} stderr:\n${s.stderr}`).join('\n');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return group;
}

/** SIGKILLs every worker of every group not closed yet. */
export async function killAllWorkers(): Promise<void> {
  await Promise.all([...groups].map((g) => g.close()));
}
