/**
 * What `cache-warmup` reads before it starts: the hotlist or URL list, the user's loader module, and
 * whether the base URL answers at all. Every problem becomes a one-line error with its exit status.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Cache } from '../cache.js';
import { InputError } from './cli-args.js';
import type { WarmLoader } from './crawler-options.js';
import { type HotlistEntry, HotlistError } from './hotlist-format.js';
import { readHotlist } from './hotlist-reader.js';

/** The run could not start or finish for a reason other than usage: exit status 1. */
export class RunError extends Error {
  override name = 'RunError';
}

/** A hotlist file or directory, merged and ranked. A missing or corrupt file is a UsageError. */
export async function loadHotlist(fileOrDir: string): Promise<HotlistEntry[]> {
  try {
    return (await readHotlist(fileOrDir)).entries;
  } catch (error) {
    if (error instanceof HotlistError) throw new InputError(error.message);
    throw error;
  }
}

/** Paths, one per line, in file order (duplicates dropped); blank lines and `#` comments ignored. */
export async function loadUrlList(file: string): Promise<HotlistEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(
      `URL list ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  const seen = new Set<string>();
  const entries: HotlistEntry[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!/^\/(?!\/)\S*$/.test(line)) {
      throw new InputError(
        `URL list ${file}:${i + 1}: expected a path starting with "/", got ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    if (seen.has(line)) continue;
    seen.add(line);
    entries.push({ key: line, count: 0, costMs: 0, replay: { kind: 'url', url: line } });
  }
  if (entries.length === 0) throw new InputError(`URL list ${file}: no paths in it`);
  return entries;
}

export interface LoaderModule {
  cache: Cache;
  loaders: Record<string, WarmLoader>;
}

/**
 * Imports the user's module: named exports `cache` and `loaders` (or a default export holding both).
 * The import may take `timeoutMs`: a top-level `await` that never settles (a connection that never
 * comes) is a failed run, not a hang.
 */
export async function loadModule(file: string, timeoutMs: number): Promise<LoaderModule> {
  let mod: Record<string, unknown>;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new RunError(`module ${file}: its import did not finish within ${timeoutMs} ms (--timeout)`)),
      timeoutMs,
    );
  });
  try {
    mod = await Promise.race([import(pathToFileURL(path.resolve(file)).href), timeout]);
  } catch (error) {
    if (error instanceof RunError) throw error;
    const reason = (error as Error).message?.split('\n')[0] ?? String(error);
    throw new InputError(`cannot load module ${file}: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
  const source = (mod.cache === undefined && isObject(mod.default) ? mod.default : mod) as Record<
    string,
    unknown
  >;
  const { cache, loaders } = source;
  if (!isObject(cache) || typeof cache.cached !== 'function' || typeof cache.close !== 'function') {
    throw new InputError(`module ${file} must export \`cache\`, a stampede-guard cache (createCache())`);
  }
  if (!isObject(loaders)) {
    throw new InputError(
      `module ${file} must export \`loaders\`: { name: function } named as in cache.cached(name, ...)`,
    );
  }
  for (const [name, loader] of Object.entries(loaders)) {
    const fn = typeof loader === 'function' ? loader : isObject(loader) ? loader.fn : undefined;
    if (typeof fn !== 'function') {
      throw new InputError(`module ${file}: loaders.${name} must be a function or { fn, options }`);
    }
  }
  return { cache: cache as unknown as Cache, loaders: loaders as Record<string, WarmLoader> };
}

/**
 * Opens (and closes) a TCP connection to the base URL's host, so an unreachable application is one clear
 * error before the run instead of every entry failing after its retries.
 */
export function probeBaseUrl(baseUrl: string, timeoutMs: number): Promise<void> {
  const url = new URL(baseUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (reason: string) => {
      socket.destroy();
      reject(new RunError(`cannot reach ${url.origin}: ${reason}`));
    };
    socket.setTimeout(Math.min(timeoutMs, 5000), () => fail('connection timed out'));
    socket.once('error', (error) => fail(error.message));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
