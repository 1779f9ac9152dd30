// Last-resort cleanup for child processes started by the test harness (memcached, workers).
// Tests should close what they start; this only guarantees nothing outlives the test process.
import type { ChildProcess } from 'node:child_process';

const tracked = new Set<ChildProcess>();
let installed = false;

export function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Registers a child so it is SIGKILLed when the test process exits, however it exits. */
export function track(child: ChildProcess): void {
  install();
  tracked.add(child);
  child.once('exit', () => tracked.delete(child));
}

/** Synchronous: usable from 'exit' handlers, where no async work runs. */
export function killTrackedSync(): void {
  for (const child of tracked) {
    if (child.pid === undefined || !isAlive(child)) continue;
    try {
      // A SIGSTOPped process still dies on SIGKILL, but SIGCONT first costs nothing and is belt-and-braces.
      process.kill(child.pid, 'SIGCONT');
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  tracked.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killTrackedSync);
  // Vitest stops its fork workers with SIGTERM, whose default action skips 'exit' handlers.
  // Reap, then re-raise so the default action (or someone else's handler) still applies.
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killTrackedSync();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}
