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
  #corked = false;

  constructor(client: memjs.Client) {
    this.#client = client;
  }

  /** Corks the client's socket for the rest of this tick (once per tick). */
  cork(): void {
    if (this.#corked) return;
    const socket = memjsSocket(this.#client);
    if (!socket?.writable) return;
    this.#corked = true;
    socket.cork();
    process.nextTick(() => {
      this.#corked = false;
      socket.uncork();
    });
  }
}

/** The socket memjs writes requests to, when it has one. */
export function memjsSocket(client: memjs.Client): Socket | undefined {
  return (client.servers[0] as unknown as { _socket?: Socket } | undefined)?._socket;
}
