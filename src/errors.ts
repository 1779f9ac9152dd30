/**
 * The core's error classes with stable codes. Match on `code`, not on messages: codes never change between
 * versions. Subsystems (warmup, the HTTP layer) declare their own codes beside their errors; the public
 * `ErrorCode` (src/index.ts) is the union of them all.
 */

/** The codes of the core's errors. */
export type CoreErrorCode =
  | 'E_INVALID_OPTION'
  | 'E_WAIT_TIMEOUT'
  | 'E_STORE'
  | 'E_STORE_TIMEOUT'
  | 'E_VALUE_TOO_LARGE'
  | 'E_STORE_OUT_OF_MEMORY'
  | 'E_NODE_DOWN'
  | 'E_SERIALIZE'
  | 'E_CLOSED'
  | 'E_MOVED'
  | 'E_LOAD_TIMEOUT'
  | 'E_RECURSIVE_LOAD';

interface ErrorDetails {
  key?: string | undefined;
  cause?: unknown;
}

/**
 * Base class of every error stampede-guard throws on purpose (except option errors, which are TypeErrors).
 * `C`: the codes its subclass may carry (every public one: `ErrorCode`).
 */
export class StampedeGuardError<C extends string = string> extends Error {
  readonly code: C;
  /** The cache key involved, as the caller gave it (not namespaced, not hashed). */
  readonly key: string | undefined;

  constructor(code: C, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.key = details.key;
  }
}

/** An invalid option or argument. A TypeError, so `instanceof TypeError` holds; the message names the option. */
export class InvalidOptionError extends TypeError {
  readonly code = 'E_INVALID_OPTION' as const;
  /** The option's name, such as `lockTtl` or `wrap().ttl`. */
  readonly option: string;

  constructor(option: string, expectation: string, received: unknown) {
    super(`Option \`${option}\` must be ${expectation}, received ${describe(received)}`);
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}

/** A waiter spent its wait budget while another worker held the lock, and `onWaitTimeout` is `'throw'`. */
export class WaitTimeoutError extends StampedeGuardError<'E_WAIT_TIMEOUT'> {
  /** How long the caller waited, in milliseconds. */
  readonly waitedMs: number;

  constructor(key: string, waitedMs: number) {
    super('E_WAIT_TIMEOUT', `Gave up waiting for another worker to load "${key}" after ${waitedMs} ms`, {
      key,
    });
    this.waitedMs = waitedMs;
  }
}

/**
 * A loader ran longer than `hardTimeoutMs` (its `ctx.signal` was aborted with this error), or was still
 * running when `close()` spent its `closeTimeoutMs`: its callers reject with it and nothing is stored.
 */
export class LoadTimeoutError extends StampedeGuardError<'E_LOAD_TIMEOUT'> {
  /** How long the loader had run, in milliseconds. */
  readonly elapsedMs: number;

  constructor(key: string, elapsedMs: number, why = 'hardTimeoutMs') {
    super('E_LOAD_TIMEOUT', `The loader of "${key}" did not settle within ${why} (${elapsedMs} ms)`, { key });
    this.elapsedMs = elapsedMs;
  }
}

/**
 * A loader called `wrap()` (or a `cached()` function) on a key it is itself loading, directly or through
 * other keys: the call would wait for itself. `chain` lists the keys, outermost first, ending with the repeat.
 */
export class RecursiveLoadError extends StampedeGuardError<'E_RECURSIVE_LOAD'> {
  readonly chain: readonly string[];

  constructor(chain: readonly string[]) {
    const key = chain[chain.length - 1] ?? '';
    super('E_RECURSIVE_LOAD', `The loader of "${key}" needs "${key}" itself: ${chain.join(' -> ')}`, { key });
    this.chain = chain;
  }
}

/** A memcached operation failed. The cache never lets it reach a `wrap()` caller; `get`/`set`/`delete` report it. */
export type StoreErrorCode =
  | 'E_STORE'
  | 'E_STORE_TIMEOUT'
  | 'E_VALUE_TOO_LARGE'
  | 'E_STORE_OUT_OF_MEMORY'
  | 'E_NODE_DOWN';

export class StoreError extends StampedeGuardError<StoreErrorCode> {
  /** The store operation, e.g. `get` or `add`. */
  readonly operation: string;
  /** The memcached node (`host:port`), when one was chosen. */
  readonly node: string | undefined;

  constructor(operation: string, node: string | undefined, cause: unknown, code: StoreErrorCode = 'E_STORE') {
    const reason = describeThrown(cause);
    super(code, `memcached ${operation} failed${node ? ` on ${node}` : ''}: ${reason}`, { cause });
    this.operation = operation;
    this.node = node;
  }
}

/** A memcached operation got no answer within `opTimeoutMs` (a hung or unreachable node). */
export class StoreTimeoutError extends StoreError {
  /** `cause`: the client's own timeout error, when it gave up first. */
  constructor(operation: string, node: string | undefined, timeoutMs: number, cause?: unknown) {
    super(operation, node, cause ?? new Error(`no answer within ${timeoutMs} ms`), 'E_STORE_TIMEOUT');
  }
}

/**
 * The key's node is known to be down and no other node may take it (`failover: 'none'`, or every node
 * is down and the owner hangs): the call failed at once, without a network round trip.
 */
export class NodeDownError extends StoreError {
  constructor(operation: string, node: string) {
    super(operation, node, new Error('node is down and no other node may take the key'), 'E_NODE_DOWN');
  }
}

/** memcached refused a value as too large (its item size limit is below `maxValueBytes`). */
export class ValueTooLargeError extends StoreError {
  constructor(operation: string, node: string | undefined, cause: unknown) {
    super(operation, node, cause, 'E_VALUE_TOO_LARGE');
  }
}

/**
 * memcached answered that it has no memory for the item (it runs with `-M`, or its slabs are exhausted):
 * the write did not happen, but the node is alive and still serves reads. Not health evidence.
 */
export class StoreOutOfMemoryError extends StoreError {
  constructor(operation: string, node: string | undefined, cause: unknown) {
    super(operation, node, cause, 'E_STORE_OUT_OF_MEMORY');
  }
}

/** A value could not be serialized for storage (circular structure, BigInt with JSON, ...). */
export class SerializationError extends StampedeGuardError<'E_SERIALIZE'> {
  constructor(key: string | undefined, cause: unknown) {
    const reason = describeThrown(cause);
    super('E_SERIALIZE', `Cannot serialize the value of "${key}": ${reason}`, { key, cause });
  }
}

/** The cache was used after `close()`. */
export class CacheClosedError extends StampedeGuardError<'E_CLOSED'> {
  constructor() {
    super('E_CLOSED', 'The cache is closed');
  }
}

/** A part of the API that moved: the message names where it went. */
export class MovedError extends StampedeGuardError<'E_MOVED'> {
  constructor(what: string, instead: string) {
    super('E_MOVED', `${what} moved: ${instead}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** A one-line description of a thrown value; never throws (`String()` of `Object.create(null)` does). */
export function describeThrown(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error);
  } catch {
    try {
      return Object.prototype.toString.call(error);
    } catch {
      return 'a value that cannot be described';
    }
  }
}
