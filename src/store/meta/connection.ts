/**
 * One pipelined connection to one memcached node. Calls issued in one turn of the event loop (until its
 * check phase: every callback of a busy I/O phase, not one tick) go out in one write;
 * answers come back in order and are matched to calls in order, each checked against the call's opaque
 * token (`O`), so a stream out of step fails instead of handing a caller another key's value.
 *
 * Every call settles: with its answer, at its deadline, or at once when the connection breaks (error,
 * close, garbage, or the oldest call outliving its deadline: a hung server), which fails every call in
 * flight together. The next call reconnects; after a failed connection, calls fail fast until a capped,
 * doubling backoff has passed (a probe always tries: the health monitor decides when to look).
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { StoreError, StoreOutOfMemoryError, StoreTimeoutError, ValueTooLargeError } from '../../errors.js';
import { isRefusedConnect } from '../failures.js';
import { type AnswerReader, flagToken } from './codec.js';
import { MetaProtocolError, ResponseParser } from './parser.js';

export interface MetaConnectionOptions {
  host: string;
  port: number;
  /** `host:port`, for errors. */
  id: string;
  /** TLS options, or undefined for plain TCP. */
  tls?: tls.ConnectionOptions | undefined;
}

/** Returned by a reader that needs more lines (a `stats` answer ends with `END`). */
export const MORE: unique symbol = Symbol('more lines');

type Done = (error: StoreError | null, result: unknown) => void;

export interface CallOptions {
  /** False for a classic command (`stats`), which takes no opaque token. Default true. */
  readonly opaque?: boolean;
  /** Connect even during the backoff after a failed connection (a probe). Default false. */
  readonly force?: boolean;
}

const ORDINARY: CallOptions = {};

interface Call {
  readonly operation: string;
  /** The opaque token sent with a meta command; null for a classic command (`stats`). */
  readonly opaque: string | null;
  readonly read: AnswerReader<unknown>;
  readonly timeoutMs: number;
  readonly deadline: number;
  /** Null once settled by a timeout: its answer is still read, then dropped. */
  done: Done | null;
}

const BACKOFF_FIRST_MS = 25;
const BACKOFF_CAP_MS = 1000;

/** A hung server: the oldest call got no answer by its deadline. */
class HungError extends Error {}

export class MetaConnection {
  readonly #options: MetaConnectionOptions;
  #socket: net.Socket | null = null;
  /** Whether the current socket has answered anything: a connection that never did counts as failed. */
  #answered = false;
  /** Whether the current socket connected (TLS: its handshake done). */
  #connected = false;
  #calls: Call[] = [];
  #head = 0;
  /** Bytes of this turn's calls, written together at its check phase. */
  #outgoing: Array<string | Buffer> = [];
  #flushScheduled = false;
  #sequence = 0;
  #failures = 0;
  #retryAt = 0;
  #lastFailure: Error | null = null;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = 0;
  #closed = false;
  #writes = 0;

  constructor(options: MetaConnectionOptions) {
    this.#options = options;
  }

  /** Writes so far (one per turn of the event loop with calls): what pipelining saves shows here. */
  get writes(): number {
    return this.#writes;
  }

  /** Calls sent and not yet answered (timed-out ones included until their answer is read). */
  get inFlight(): number {
    return this.#calls.length - this.#head;
  }

  /**
   * Sends `command` (a meta command gets ` O<opaque>` appended; `opaque: false` for a classic one) and
   * `value` as its data block, and reads the answer with `read`. `done` is called exactly once.
   */
  call(
    operation: string,
    command: string,
    value: Buffer | null,
    read: AnswerReader<unknown>,
    timeoutMs: number,
    done: Done,
    options: CallOptions = ORDINARY,
  ): void {
    if (this.#closed) {
      done(new StoreError(operation, this.#options.id, new Error('the connection is closed')), undefined);
      return;
    }
    if (this.#socket === null) {
      if (options.force !== true && this.#lastFailure !== null && performance.now() < this.#retryAt) {
        done(this.#errorFor(operation, timeoutMs, this.#lastFailure), undefined);
        return;
      }
      try {
        this.#connect();
      } catch (error) {
        // tls.connect throws at once on unusable options (a malformed `ca`, say): a failure like any other.
        done(new StoreError(operation, this.#options.id, error), undefined);
        return;
      }
    }
    let opaque: string | null = null;
    let line: string;
    if (options.opaque === false) {
      line = `${command}\r\n`;
    } else {
      this.#sequence = (this.#sequence + 1) & 0x3fffffff;
      opaque = this.#sequence.toString(36);
      line = `${command} O${opaque}\r\n`;
    }
    this.#queue(line);
    if (value !== null) {
      this.#outgoing.push(value);
      this.#queue('\r\n');
    }
    const deadline = performance.now() + timeoutMs;
    this.#calls.push({ operation, opaque, read, timeoutMs, deadline, done });
    this.#arm(deadline);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Fails every call in flight and refuses new ones. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#socket !== null) this.#break(this.#socket, new Error('the connection was closed'));
  }

  #queue(text: string): void {
    const last = this.#outgoing.length - 1;
    if (last >= 0 && typeof this.#outgoing[last] === 'string') {
      this.#outgoing[last] += text;
    } else {
      this.#outgoing.push(text);
    }
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const socket = this.#socket;
    const pieces = this.#outgoing;
    if (pieces.length === 0 || socket === null) return;
    this.#outgoing = [];
    this.#writes++;
    if (pieces.length === 1) {
      write(socket, pieces[0] as string | Buffer);
      return;
    }
    socket.cork();
    for (const piece of pieces) write(socket, piece);
    socket.uncork();
  };

  #connect(): void {
    const { host, port } = this.#options;
    const socket =
      this.#options.tls === undefined
        ? net.connect({ host, port })
        : tls.connect({ ...this.#options.tls, host, port });
    this.#socket = socket;
    this.#answered = false;
    this.#connected = false;
    socket.once(this.#options.tls === undefined ? 'connect' : 'secureConnect', () => {
      this.#connected = true;
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    const parser = new ResponseParser((line, value) => this.#onFrame(socket, line, value));
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.feed(chunk);
      } catch (error) {
        this.#break(socket, error as Error);
      }
    });
    socket.on('error', (error) => this.#break(socket, error));
    socket.on('close', () => {
      // A clean close with calls in flight (a restart, or memcached refusing us) is a reset to the caller.
      this.#break(
        socket,
        Object.assign(new Error('memcached closed the connection'), { code: 'ECONNRESET' }),
      );
    });
  }

  #onFrame(socket: net.Socket, line: string, value: Buffer | null): void {
    if (socket !== this.#socket) return;
    const call = this.#calls[this.#head];
    if (call === undefined) throw new MetaProtocolError(`an answer nobody asked for: ${preview(line)}`);
    if (line.startsWith('SERVER_ERROR')) {
      // A refused command (too large, out of memory): memcached skipped its data and stays in step.
      this.#shift();
      call.done?.(serverError(call.operation, this.#options.id, line), undefined);
      return;
    }
    if (line === 'ERROR' || line.startsWith('CLIENT_ERROR')) {
      throw new MetaProtocolError(`memcached answered ${preview(line)} to ${call.operation}`);
    }
    if (call.opaque !== null && flagToken(line, 'O') !== call.opaque) {
      throw new MetaProtocolError(`an answer out of step: ${preview(line)} to ${call.operation}`);
    }
    const result = call.read(line, value);
    if (result === MORE) return;
    this.#shift();
    this.#answered = true;
    this.#failures = 0;
    call.done?.(null, result);
  }

  #shift(): void {
    this.#head++;
    if (this.#head === this.#calls.length) {
      this.#calls = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#calls.length) {
      this.#calls = this.#calls.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Drops `socket` (if still ours) and fails every call in flight with `cause`. */
  #break(socket: net.Socket, cause: Error): void {
    socket.destroy();
    if (socket !== this.#socket) return;
    this.#socket = null;
    this.#outgoing = [];
    if (!this.#answered && !retriedAtOnce(cause, this.#connected)) {
      this.#failures++;
      this.#retryAt =
        performance.now() + Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** (this.#failures - 1));
    }
    this.#lastFailure = cause;
    const calls = this.#calls;
    const head = this.#head;
    this.#calls = [];
    this.#head = 0;
    for (let i = head; i < calls.length; i++) {
      const call = calls[i] as Call;
      call.done?.(this.#errorFor(call.operation, call.timeoutMs, cause), undefined);
    }
  }

  #errorFor(operation: string, timeoutMs: number, cause: Error): StoreError {
    const { id } = this.#options;
    if (cause instanceof HungError) return new StoreTimeoutError(operation, id, timeoutMs, cause);
    return new StoreError(operation, id, cause);
  }

  #arm(deadline: number): void {
    if (this.#timer !== null && this.#timerAt <= deadline) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = deadline;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, deadline - performance.now()) + 1);
    this.#timer.unref();
  }

  /**
   * At the earliest deadline: the oldest call unanswered means the server hangs (drop the connection, every
   * call fails as a timeout); a later call past its own, shorter deadline (a probe) fails alone. A starved
   * process can run this timer before reading answers already waiting in the socket, so an overdue oldest
   * call gets one I/O phase (`setImmediate` runs after it) before the connection is judged hung.
   */
  readonly #onTimer = (): void => {
    this.#timer = null;
    const head = this.#calls[this.#head];
    if (this.#socket === null || head === undefined) return;
    if (head.deadline <= performance.now()) {
      setImmediate(this.#judgeOverdue, head);
      return;
    }
    this.#expireLaterCalls(head);
  };

  readonly #judgeOverdue = (overdue: Call): void => {
    const socket = this.#socket;
    if (socket === null) return;
    if (this.#calls[this.#head] === overdue) {
      this.#break(socket, new HungError(`no answer within ${overdue.timeoutMs} ms`));
      return;
    }
    // Answered meanwhile: watch what is left (a timer armed since, for a newer call, may come too late).
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#onTimer();
  };

  #expireLaterCalls(head: Call): void {
    const now = performance.now();
    const calls = this.#calls;
    let next = head.deadline;
    for (let i = this.#head + 1; i < calls.length; i++) {
      const call = calls[i] as Call;
      if (call.done === null) continue;
      if (call.deadline <= now) {
        const done = call.done;
        call.done = null;
        done(new StoreTimeoutError(call.operation, this.#options.id, call.timeoutMs), undefined);
        if (this.#calls !== calls) return; // the caller closed the connection: nothing left to watch
      } else if (call.deadline < next) {
        next = call.deadline;
      }
    }
    this.#arm(next);
  }
}

/**
 * Whether the next call after a connection that never answered tries again at once rather than failing
 * fast through the backoff: after a refused connection (nothing listens: one cheap round trip) or a reset
 * of one that had connected (memcached killed or restarted under it), as memjs does on every call, so that
 * the first call after a restart finds the node back (safe mode's failover tries a refusing owner for
 * that). Hangs, failed TLS handshakes and garbage back off: retrying them costs a timeout or a handshake.
 */
function retriedAtOnce(cause: Error, connected: boolean): boolean {
  if (isRefusedConnect(cause)) return true;
  const { code } = cause as NodeJS.ErrnoException;
  return connected && (code === 'ECONNRESET' || code === 'EPIPE');
}

function write(socket: net.Socket, piece: string | Buffer): void {
  if (typeof piece === 'string') socket.write(piece, 'latin1');
  else socket.write(piece);
}

function serverError(operation: string, id: string, line: string): StoreError {
  const cause = new Error(line);
  if (/too large/i.test(line)) return new ValueTooLargeError(operation, id, cause);
  if (/out of memory/i.test(line)) return new StoreOutOfMemoryError(operation, id, cause);
  return new StoreError(operation, id, cause);
}

function preview(line: string): string {
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}...` : line);
}
