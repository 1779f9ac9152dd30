/**
 * memjs writes every request to its socket on its own (one syscall each: half the CPU of a hit). Corking
 * the connected socket until the event loop's check phase (`setImmediate`) sends the requests issued in
 * one turn of the loop in one writev: not only those of one tick, but those of every callback of the same
 * I/O phase, where a busy server handles many requests (one each) in a row. memcached then reads them in
 * one go and answers them in one write, too. The delay is the rest of that phase, never a wait for I/O
 * (a pending immediate keeps the loop from blocking). This reaches into memjs 1.3 internals:
 * `client.servers[0]._socket`, the socket memjs writes a request to synchronously inside the call once
 * connected. test/integration/memjs-canary.test.ts fails if the pinned memjs stops working that way.
 * Without a connected socket, nothing happens.
 */
import type { Socket } from 'node:net';
import type memjs from 'memjs';

export class TurnCork {
  readonly #client: memjs.Client;
  #pending = false;
  #turns = 0;

  constructor(client: memjs.Client) {
    this.#client = client;
  }

  /**
   * Turns of the event loop in which requests were issued: each turn's go out in one write (with a
   * connected socket), so this counts the round trips the node's callers waited for, whatever happens to
   * the socket.
   */
  get turns(): number {
    return this.#turns;
  }

  /** Corks the client's socket until this turn's check phase (once per turn). */
  cork(): void {
    if (this.#pending) return;
    this.#pending = true;
    this.#turns++;
    const socket = memjsSocket(this.#client);
    const corked = socket?.writable === true;
    if (corked) socket.cork();
    setImmediate(() => {
      this.#pending = false;
      if (corked) socket.uncork();
    });
  }
}

/** The socket memjs writes requests to, when it has one. */
export function memjsSocket(client: memjs.Client): Socket | undefined {
  return (client.servers[0] as unknown as { _socket?: Socket } | undefined)?._socket;
}
