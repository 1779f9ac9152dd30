/**
 * Persists a hotlist outside memcached, atomically: write a temporary file in the same directory, then
 * `rename` it over the target, so a reader (or a crash mid-write) never sees half a file. Files are
 * created mode 0600 (owner only) and directories the writer creates 0700. Periodic writes
 * run on an unref'ed timer (they never keep the process alive) and report failures to `onWriteError`
 * instead of throwing into the application.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidOptionError } from '../errors.js';
import { number } from '../validation.js';
import { HOTLIST_VERSION, type HotlistEntry, HotlistError, type HotlistFile } from './hotlist-format.js';

/** The recorder's persistence options (documented on `HotKeyRecorderOptions`). */
export interface HotlistWriterOptions {
  hotlistFile: string;
  writeIntervalMs?: number;
  onWriteError?: (error: HotlistError) => void;
}

let tempCounter = 0;

export class HotlistWriter {
  /** The resolved target path. */
  readonly file: string;
  readonly #snapshot: () => HotlistEntry[];
  readonly #onError: (error: HotlistError) => void;
  readonly #timer: NodeJS.Timeout | undefined;
  /** The write in progress; writes never overlap, so an older snapshot cannot land after a newer one. */
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(snapshot: () => HotlistEntry[], options: HotlistWriterOptions) {
    const { hotlistFile: file } = options;
    if (typeof file !== 'string' || file.length === 0) {
      throw new InvalidOptionError('hotlistFile', 'a non-empty path', file);
    }
    const { intervalMs, onError } = resolveWriteOptions(options);
    this.file = path.resolve(file.replaceAll('{pid}', String(process.pid)).replaceAll('{host}', hostName()));
    this.#snapshot = snapshot;
    this.#onError = onError;
    if (intervalMs > 0) {
      this.#timer = setInterval(() => {
        this.flush().catch((error: HotlistError) => this.#report(error));
      }, intervalMs);
      this.#timer.unref();
    }
  }

  /** Writes the current snapshot now. Rejects with `HotlistError` naming the file. */
  flush(): Promise<void> {
    const next = this.#writing.catch(() => {}).then(() => this.#write());
    this.#writing = next;
    return next;
  }

  /** Stops periodic writes and writes a last time. Idempotent (later calls only wait for that write). */
  close(): Promise<void> {
    if (this.#closed) return this.#writing;
    this.#closed = true;
    clearInterval(this.#timer);
    return this.flush();
  }

  /** A throwing `onError` must not become an unhandled rejection in the application either. */
  #report(error: HotlistError): void {
    try {
      this.#onError(error);
    } catch (thrown) {
      warn(new HotlistError(this.file, `onWriteError threw: ${String(thrown)}`, thrown));
    }
  }

  async #write(): Promise<void> {
    const content: HotlistFile = {
      version: HOTLIST_VERSION,
      writtenAt: new Date().toISOString(),
      pid: process.pid,
      host: os.hostname(),
      entries: this.#snapshot(),
    };
    const dir = path.dirname(this.file);
    // Same directory as the target: rename is atomic only within one file system. A dotfile not
    // ending in .json, so a directory reader never picks it up.
    const temp = path.join(dir, `.${path.basename(this.file)}.${process.pid}.${++tempCounter}.tmp`);
    try {
      // Keys and URLs can be private: owner-only from creation (the mode applies at open, so there is
      // no moment when the temporary file is readable by others; 'wx' never reuses a planted file).
      // Directories this creates are owner-only too; an existing directory keeps its mode.
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(temp, `${JSON.stringify(content)}\n`, { encoding: 'utf8', mode: 0o600, flag: 'wx' });
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => {});
      throw new HotlistError(this.file, `cannot write (${(error as Error).message})`, error);
    }
  }
}

/** The periodic-write options with their defaults; a TypeError naming a bad one (with or without a file). */
export function resolveWriteOptions(options: Omit<HotlistWriterOptions, 'hotlistFile'>): {
  intervalMs: number;
  onError: (error: HotlistError) => void;
} {
  const { writeIntervalMs: intervalMs = 30_000, onWriteError: onError = warn } = options;
  number('writeIntervalMs', intervalMs, 0);
  if (typeof onError !== 'function') throw new InvalidOptionError('onWriteError', 'a function', onError);
  return { intervalMs, onError };
}

/** The host name as a file name part. */
function hostName(): string {
  return os.hostname().replace(/[^\w.-]/g, '_');
}

function warn(error: HotlistError): void {
  process.emitWarning(error.message, 'StampedeGuardWarning');
}
