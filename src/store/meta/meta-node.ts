/**
 * One memcached node spoken to in the meta protocol, over one pipelined connection (plain or TLS): the
 * sibling of the memjs node, with the same operations and guarantees (every call settles within
 * `opTimeoutMs` with a value or a `StoreError`, nothing is resent, values are Buffers, TTLs go through
 * `toExptime`), plus the CAS-carrying calls an atomic lock needs.
 */
import type { ConnectionOptions } from 'node:tls';
import { InvalidOptionError, type StoreError } from '../../errors.js';
import {
  type CasDeleteOutcome,
  type CasMismatch,
  type CasToken,
  type CasValue,
  checkCasToken,
} from '../cas.js';
import type { NodeIdentity, PoolNode } from '../node-pool.js';
import { toExptime } from '../store.js';
import { type AnswerReader, checkKey, commands, readers } from './codec.js';
import { MetaConnection, MORE } from './connection.js';
import { MetaProtocolError } from './parser.js';

export interface MetaNodeOptions {
  /** `host:port` (IPv6: `[::1]:port`). */
  address: string;
  opTimeoutMs: number;
  /** TLS: `true` for Node's defaults (the system CAs), or `tls.connect` options (`ca`, `servername`...). */
  tls?: boolean | ConnectionOptions | undefined;
  /**
   * Told the outcome of every ordinary call (null on success): a health monitor's passive evidence.
   * Not told of probes: the monitor judges those itself, and must not count one failure twice.
   */
  onOutcome?: ((error: StoreError | null) => void) | undefined;
}

export class MetaNode implements PoolNode {
  /** `host:port`: safe to put in events and errors. */
  readonly id: string;
  readonly #connection: MetaConnection;
  readonly #timeoutMs: number;
  readonly #onOutcome: MetaNodeOptions['onOutcome'];

  constructor(options: MetaNodeOptions) {
    const { host, port } = parseAddress(options.address);
    this.id = options.address;
    this.#timeoutMs = options.opTimeoutMs;
    this.#onOutcome = options.onOutcome;
    const tlsOptions = options.tls === true ? {} : options.tls === false ? undefined : options.tls;
    this.#connection = new MetaConnection({ host, port, id: this.id, tls: tlsOptions });
  }

  /** Writes to the socket so far: calls issued in one turn of the event loop share one. */
  get writes(): number {
    return this.#connection.writes;
  }

  get(key: string): Promise<Buffer | null> {
    checkKey(key);
    return this.#request('get', commands.get(key), null, readers.value);
  }

  /** The value and its CAS token (for `deleteIfCas` / `setIfCas`), or null on a miss. */
  getWithCas(key: string): Promise<CasValue | null> {
    checkKey(key);
    return this.#request('get', commands.getWithCas(key), null, readers.valueWithCas);
  }

  /** Throws InvalidOptionError for a key or TTL memcached cannot take, before anything is sent. */
  set(key: string, value: Buffer, ttlSeconds: number): Promise<void> {
    checkKey(key);
    const exptime = toExptime(ttlSeconds);
    return this.#request('set', commands.set(key, value.length, exptime), value, readers.stored);
  }

  add(key: string, value: Buffer, ttlSeconds: number): Promise<boolean> {
    checkKey(key);
    const exptime = toExptime(ttlSeconds);
    return this.#request('add', commands.add(key, value.length, exptime), value, readers.added);
  }

  /** Like `add`, resolving the stored item's CAS token (null when the key was there): a lock's owner proof. */
  addWithCas(key: string, value: Buffer, ttlSeconds: number): Promise<CasToken | null> {
    checkKey(key);
    const exptime = toExptime(ttlSeconds);
    return this.#request('add', commands.addWithCas(key, value.length, exptime), value, readers.addedWithCas);
  }

  /** Stores only if the item's CAS is still `cas`; resolves the new CAS, or why it did not store. */
  setIfCas(key: string, value: Buffer, ttlSeconds: number, cas: CasToken): Promise<CasToken | CasMismatch> {
    checkKey(key);
    checkCasToken(cas);
    const exptime = toExptime(ttlSeconds);
    const command = commands.setIfCas(key, value.length, exptime, cas);
    return this.#request('set', command, value, readers.storedIfCas);
  }

  delete(key: string): Promise<boolean> {
    checkKey(key);
    return this.#request('delete', commands.delete(key), null, readers.deleted);
  }

  /** Deletes only if the item's CAS is still `cas` (an owner-checked release, in one round trip). */
  deleteIfCas(key: string, cas: CasToken): Promise<CasDeleteOutcome> {
    checkKey(key);
    checkCasToken(cas);
    return this.#request('delete', commands.deleteIfCas(key, cas), null, readers.deletedIfCas);
  }

  touch(key: string, ttlSeconds: number): Promise<boolean> {
    checkKey(key);
    const exptime = toExptime(ttlSeconds);
    return this.#request('touch', commands.touch(key, exptime), null, readers.found);
  }

  /** Empties the node (`flush_all`): every item is invalidated at once. */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#connection.call(
        'flush',
        'flush_all',
        null,
        flushReader,
        this.#timeoutMs,
        (error) => {
          this.#report(error);
          if (error) reject(error);
          else resolve();
        },
        { opaque: false },
      );
    });
  }

  /**
   * Asks the node who it is (`stats`: pid, uptime), within `timeoutMs`. The outcome is not reported.
   * Always tries to connect, even while ordinary calls fail fast after a failed connection.
   */
  probe(timeoutMs: number): Promise<NodeIdentity> {
    return new Promise((resolve, reject) => {
      this.#connection.call(
        'stats',
        'stats',
        null,
        statsReader(),
        timeoutMs,
        (error, identity) => (error ? reject(error) : resolve(identity as NodeIdentity)),
        { opaque: false, force: true },
      );
    });
  }

  close(): void {
    this.#connection.close();
  }

  #request<T>(operation: string, command: string, value: Buffer | null, read: AnswerReader<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#connection.call(operation, command, value, read, this.#timeoutMs, (error, result) => {
        this.#report(error);
        if (error) reject(error);
        else resolve(result as T);
      });
    });
  }

  /** A listener that throws must not break the connection whose answer it was told about. */
  #report(error: StoreError | null): void {
    try {
      this.#onOutcome?.(error);
    } catch {
      // The outcome is evidence for a monitor; a faulty listener cannot be allowed to fail the call.
    }
  }
}

/** `flush_all` answers `OK`. */
const flushReader: AnswerReader<true> = (line) => {
  if (line !== 'OK') throw new MetaProtocolError(`a flush_all answer ${JSON.stringify(line)}`);
  return true;
};

/** Reads `STAT <name> <value>` lines up to `END`, keeping pid and uptime. */
function statsReader(): AnswerReader<NodeIdentity | typeof MORE> {
  let pid = Number.NaN;
  let uptime = Number.NaN;
  return (line) => {
    if (line === 'END') {
      if (!Number.isInteger(pid) || !Number.isFinite(uptime)) {
        throw new MetaProtocolError('a stats answer without pid or uptime');
      }
      return { pid, uptime };
    }
    if (!line.startsWith('STAT ')) throw new MetaProtocolError(`a stats line ${JSON.stringify(line)}`);
    if (line.startsWith('STAT pid ')) pid = Number(line.slice(9));
    else if (line.startsWith('STAT uptime ')) uptime = Number(line.slice(12));
    return MORE;
  };
}

function parseAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) {
    throw new InvalidOptionError('servers', 'addresses as host:port', address);
  }
  return { host: match[1] ?? (match[2] as string), port };
}
