/**
 * Tells when memcached ends or resets a memjs connection that was open. memjs opens each socket in
 * `Server.sock()` and forgets it when it closes, without telling anyone (memjs 1.3 internals, like
 * socket-cork.ts and response-reader.ts); this wraps that method on the client's servers to watch every new
 * socket that connects for an `end` (the server closed it) or an `error` (a reset) while memjs still uses
 * it. memjs dropping a socket itself (its timeouts, a broken stream) lets go of it first (`_socket`), then
 * ends or destroys it: the server's end that answers ours is no news. The drop is told of at `close`,
 * after memjs let go of the socket, so whoever looks at the node then connects anew. The canary test
 * (test/integration/memjs-canary.test.ts) fails if the pinned memjs stops opening sockets there.
 */
import type { Socket } from 'node:net';
import type memjs from 'memjs';

interface MemjsServer {
  sock(...args: unknown[]): void;
  _socket?: Socket;
}

/** Calls `onDropped` when a connection of `client` that was open is ended or reset by its server. */
export function watchDrops(client: memjs.Client, onDropped: () => void): void {
  for (const server of client.servers as unknown as MemjsServer[]) {
    const open = server.sock;
    server.sock = function sock(this: MemjsServer, ...args: unknown[]): void {
      const before = this._socket;
      open.apply(this, args);
      const socket = this._socket;
      if (socket !== undefined && socket !== before) watch(this, socket, onDropped);
    };
  }
}

/** Listens after memjs's own listeners, which were added when the socket was made. */
function watch(server: MemjsServer, socket: Socket, onDropped: () => void): void {
  let connected = false;
  let endedByServer = false;
  socket.once('connect', () => {
    connected = true;
  });
  socket.once('end', () => {
    endedByServer ||= connected && server._socket === socket;
  });
  // memjs's own listener has let go of the socket already; an error is never memjs's doing.
  socket.on('error', () => {
    endedByServer ||= connected;
  });
  socket.once('close', () => {
    if (endedByServer) onDropped();
  });
}
