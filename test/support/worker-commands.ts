/**
 * Request/answer over a worker group's IPC: `command()` sends `{ type: 'cmd', id, ... }` to one worker
 * and resolves with its `{ type: 'result', id }` answer; `nextMessage()` waits for a message of a type
 * that arrives after the call (a worker's `load-start`, say).
 */
import type { WorkerGroup, WorkerMessage } from './workers.js';

let nextId = 0;

export async function command(
  group: WorkerGroup,
  index: number,
  op: string,
  fields: Record<string, unknown> = {},
  timeoutMs = 20_000,
): Promise<WorkerMessage> {
  const id = ++nextId;
  group.send(index, { type: 'cmd', id, op, ...fields });
  const { msg } = await group.waitFor((m, i) => i === index && m.type === 'result' && m.id === id, timeoutMs);
  return msg;
}

/** The first message of `type` from worker `index` after those already received when this is called. */
export function nextMessage(
  group: WorkerGroup,
  index: number,
  type: string,
  timeoutMs = 20_000,
): Promise<WorkerMessage> {
  const seen = group.messages(index).filter((m) => m.type === type).length;
  return waitForCount(group, index, type, seen + 1, timeoutMs);
}

/** Resolves once worker `index` has sent `count` messages of `type` (the last one). */
export async function waitForCount(
  group: WorkerGroup,
  index: number,
  type: string,
  count: number,
  timeoutMs = 20_000,
): Promise<WorkerMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const matching = group.messages(index).filter((m) => m.type === type);
    const hit = matching[count - 1];
    if (hit) return hit;
    if (Date.now() > deadline)
      throw new Error(`no ${count}th '${type}' from worker ${index} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
