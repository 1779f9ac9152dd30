/**
 * memjs writes every request to its socket on its own (one syscall each: half the CPU of a hit). Corking
 * the connected socket until the end of this tick sends the requests issued in the same tick in one
 * writev. This reaches into memjs 1.3 internals: `client.servers[0]._socket`, the socket memjs writes a
 * request to synchronously inside the call once connected. test/integration/memjs-canary.test.ts fails if the
 * pinned memjs stops working that way. Without a connected socket, nothing happens.
 */
import type { Socket } from 'node:net';
import type memjs from 'memjs';

export class TickCork {
  readonly #client: memjs.Client;
  #inTick = false;
  #ticks = 0;

  constructor(client: memjs.Client) {
    this.#client = client;
  }

  /**
   * Ticks in which requests were issued: each goes out in one write (with a connected socket), so this
   * counts the round trips the node's callers waited for, whatever happens to the socket.
   */
  get ticks(): number {
    return this.#ticks;
  }

  /** Corks the client's socket for the rest of this tick (once per tick). */
  cork(): void {
    if (this.#inTick) return;
    this.#inTick = true;
    this.#ticks++;
    const socket = memjsSocket(this.#client);
    const corked = socket?.writable === true;
    if (corked) socket.cork();
    process.nextTick(() => {
      this.#inTick = false;
      if (corked) socket.uncork();
    });
  }
}

/** The socket memjs writes requests to, when it has one. */
export function memjsSocket(client: memjs.Client): Socket | undefined {
  return (client.servers[0] as unknown as { _socket?: Socket } | undefined)?._socket;
}
