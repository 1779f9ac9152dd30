// Imported by worker scripts that spawnWorkers() forks: the child side of the IPC protocol.
// Importing it installs a crash guard and makes the worker die with its parent.
import type { WorkerMessage } from './workers.js';

if (!process.send) throw new Error('worker-runtime: not started via spawnWorkers (no IPC channel)');

export const workerIndex = Number(process.env.WORKER_INDEX ?? 0);
export const workerCount = Number(process.env.WORKER_COUNT ?? 1);

let exiting = false;

/** Sends a message to the parent; resolves once it is written to the IPC pipe. */
export function report(msg: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

export function ready(): Promise<void> {
  return report({ type: 'ready', index: workerIndex, pid: process.pid });
}

/** Runs `handler` on the parent's go(payload). Its return value is ignored; a rejection crashes the worker. */
export function onGo(handler: (payload: unknown) => unknown | Promise<unknown>): void {
  process.on('message', (raw: unknown) => {
    if (isMessage(raw) && raw.type === 'go') Promise.resolve(raw.payload).then(handler).catch(crash);
  });
}

/** Every message from the parent other than 'go'. */
export function onMessage(handler: (msg: WorkerMessage) => unknown | Promise<unknown>): void {
  process.on('message', (raw: unknown) => {
    if (isMessage(raw) && raw.type !== 'go') Promise.resolve(raw).then(handler).catch(crash);
  });
}

/** Reports {type:'done', ...fields} and exits 0 once the message is flushed. */
export async function finish(fields: Record<string, unknown> = {}): Promise<never> {
  exiting = true;
  await report({ ...fields, type: 'done' });
  process.exit(0);
}

function isMessage(raw: unknown): raw is WorkerMessage & { payload?: unknown } {
  return typeof raw === 'object' && raw !== null && typeof (raw as { type?: unknown }).type === 'string';
}

function crash(err: unknown): void {
  if (exiting) return;
  exiting = true;
  const e = err instanceof Error ? err : new Error(String(err));
  // If the IPC write never completes, still exit.
  setTimeout(() => process.exit(1), 1000).unref();
  void report({ type: 'error', message: e.message, stack: e.stack }).then(() => process.exit(1));
}

process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
// An open IPC channel keeps the worker alive: if the parent dies, go too.
process.on('disconnect', () => {
  if (!exiting) process.exit(1);
});
