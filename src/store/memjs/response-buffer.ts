/**
 * memjs appends every chunk it reads to a new zero-filled buffer holding all unparsed bytes, so each
 * response of a hit is copied once more than it needs (an 8 KB page, a 64 KB read of several). Most
 * chunks start where the last answer ended: this keeps such a chunk as it is, and joins a leftover with
 * `Buffer.concat` (no zero fill) otherwise. Responses stay slices of the chunk, as memjs makes them; Node
 * gives every read a buffer of its own, so nothing reuses that memory.
 *
 * It replaces `Server.appendToBuffer` on this client's servers (memjs 1.3 internals, like socket-cork.ts):
 * test/integration/memjs-canary.test.ts fails if the pinned memjs stops calling it that way.
 */
import type memjs from 'memjs';

/** What memjs's Server keeps of the bytes read and not parsed yet. */
interface ResponseBuffering {
  responseBuffer: Buffer;
  appendToBuffer(chunk: Buffer): Buffer;
}

export function keepChunksUncopied(client: memjs.Client): void {
  for (const server of client.servers as unknown as ResponseBuffering[]) {
    server.appendToBuffer = function append(this: ResponseBuffering, chunk: Buffer): Buffer {
      const left = this.responseBuffer;
      this.responseBuffer = left.length === 0 ? chunk : Buffer.concat([left, chunk]);
      return this.responseBuffer;
    };
  }
}
