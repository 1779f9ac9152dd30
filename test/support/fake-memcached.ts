/**
 * A fake memcached for the faults a hand-written client must survive: it reads meta command lines and lets
 * the test decide, per connection and per command, what bytes go back and how (dribbled, cut, garbage).
 */
import net from 'node:net';

export interface FakeCommand {
  /** The command line, without CRLF: `mg key v O1`. */
  line: string;
  /** The `O` token, or undefined. */
  opaque: string | undefined;
  /** The data block of an `ms`. */
  data: Buffer | null;
  /** 1 for the first connection the server accepted, 2 for the next... */
  connection: number;
}

/** Answers one command: write to `socket` as the fault requires. */
export type FakeAnswer = (command: FakeCommand, socket: net.Socket) => void;

export interface FakeMemcached {
  readonly address: string;
  readonly connections: number;
  close(): Promise<void>;
}

export async function startFakeMemcached(answer: FakeAnswer): Promise<FakeMemcached> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const lf = pending.indexOf('\r\n');
        if (lf === -1) return;
        const line = pending.toString('latin1', 0, lf);
        const size = /^ms \S+ (\d+)/.exec(line)?.[1];
        const end = size === undefined ? lf + 2 : lf + 2 + Number(size) + 2;
        if (pending.length < end) return;
        const data = size === undefined ? null : pending.subarray(lf + 2, end - 2);
        pending = pending.subarray(end);
        const opaque = / O(\S+)/.exec(line)?.[1];
        answer({ line, opaque, data, connection }, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes `bytes` in pieces of 1 to `maxPiece` bytes, each in its own TCP segment (a pause between). */
export async function dribble(socket: net.Socket, bytes: Buffer, maxPiece = 3): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(Math.random() * maxPiece);
    socket.write(bytes.subarray(at, at + size));
    at += size;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
