/**
 * Splits memcached's answers into frames: one text line (without its `\r\n`) and, for a `VA <size>` line,
 * the value block that follows it. Bytes arrive in arbitrary pieces (a 1 MiB value over many TCP reads, or
 * a line cut in two): the parser keeps what it needs across reads and copies a value only when it spans
 * reads. It knows nothing of requests: matching frames to requests is the connection's job.
 */
import { StampedeGuardError } from '../../errors.js';

/**
 * What the peer sent cannot be memcached talking to us: the stream cannot be trusted any more. Never
 * thrown to a caller: it is the cause of the `StoreError` every call on that connection fails with.
 */
export class MetaProtocolError extends StampedeGuardError {
  constructor(message: string) {
    super('E_STORE', message);
  }
}

/** Called once per frame; `value` is the data block of a `VA` line, null for every other line. */
export type FrameHandler = (line: string, value: Buffer | null) => void;

/** Our longest answer line is a few dozen bytes (`STAT` lines included): more is not memcached. */
const MAX_LINE_BYTES = 4096;
const CR = 0x0d;
const LF = 0x0a;
const VALUE_LINE = /^VA (\d{1,10})(?: |$)/;
/** memcached's largest item (`-I` at most 1 GiB): a bigger block is garbage. */
const MAX_VALUE_BYTES = 1024 * 1024 * 1024;

export class ResponseParser {
  readonly #onFrame: FrameHandler;
  /** Bytes of an unfinished line, carried over to the next read. */
  #partialLine: Buffer | null = null;
  /**
   * A value block still arriving: its line, the pieces so far (kept, not preallocated, so a garbage size
   * costs no memory before the bytes exist) and how many bytes of block plus CRLF are still missing.
   */
  #valueLine = '';
  #valuePieces: Buffer[] | null = null;
  #valueMissing = 0;

  constructor(onFrame: FrameHandler) {
    this.#onFrame = onFrame;
  }

  /** Parses one read. Throws MetaProtocolError on bytes memcached would never send; then drop the parser. */
  feed(chunk: Buffer): void {
    let position = 0;
    if (this.#valuePieces !== null) {
      position = this.#continueValue(chunk);
      if (this.#valuePieces !== null) return;
    }
    if (this.#partialLine !== null) {
      chunk = Buffer.concat([this.#partialLine, chunk.subarray(position)]);
      this.#partialLine = null;
      position = 0;
    }
    while (position < chunk.length) {
      const lf = chunk.indexOf(LF, position);
      if (lf === -1) {
        if (chunk.length - position > MAX_LINE_BYTES) throw new MetaProtocolError('an answer line too long');
        this.#partialLine = Buffer.from(chunk.subarray(position));
        return;
      }
      if (lf - position > MAX_LINE_BYTES) throw new MetaProtocolError('an answer line too long');
      if (lf === position || chunk[lf - 1] !== CR) throw new MetaProtocolError('a line not ended by CRLF');
      if (lf - 1 === position) throw new MetaProtocolError('an empty line');
      const line = chunk.toString('latin1', position, lf - 1);
      position = lf + 1;
      const size = valueSize(line);
      if (size < 0) {
        this.#onFrame(line, null);
        continue;
      }
      const end = position + size;
      if (end + 2 > chunk.length) {
        // The block spans reads: keep its first piece and wait for the rest.
        this.#valueLine = line;
        this.#valuePieces = [chunk.subarray(position)];
        this.#valueMissing = size + 2 - (chunk.length - position);
        return;
      }
      checkValueEnd(chunk, end);
      const value = chunk.subarray(position, end);
      position = end + 2;
      this.#onFrame(line, value);
    }
  }

  /** Takes the next bytes of a spanning value block; returns how many of `chunk` it used. */
  #continueValue(chunk: Buffer): number {
    const pieces = this.#valuePieces as Buffer[];
    const used = Math.min(chunk.length, this.#valueMissing);
    pieces.push(used === chunk.length ? chunk : chunk.subarray(0, used));
    this.#valueMissing -= used;
    if (this.#valueMissing > 0) return used;
    const block = Buffer.concat(pieces);
    const size = block.length - 2;
    this.#valuePieces = null;
    checkValueEnd(block, size);
    this.#onFrame(this.#valueLine, block.subarray(0, size));
    return used;
  }
}

/** The block size of a `VA <size> ...` line, or -1 for a line without a block. */
function valueSize(line: string): number {
  if (line.charCodeAt(0) !== 0x56 || line.charCodeAt(1) !== 0x41) return -1; // 'VA'
  const match = VALUE_LINE.exec(line);
  if (!match) throw new MetaProtocolError(`a malformed value line ${JSON.stringify(line.slice(0, 40))}`);
  const size = Number(match[1]);
  if (size > MAX_VALUE_BYTES) throw new MetaProtocolError(`a value of ${size} bytes`);
  return size;
}

function checkValueEnd(buffer: Buffer, end: number): void {
  if (buffer[end] !== CR || buffer[end + 1] !== LF) {
    throw new MetaProtocolError('a value block not followed by CRLF');
  }
}
