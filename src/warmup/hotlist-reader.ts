/**
 * Reading hotlists back: one file, or every `*.json` file of a directory (one per process) merged.
 *
 * Merge rule, per key: counts are summed; the cost is the count-weighted mean of the files' costs, so the
 * merged impact (`count * costMs`) is exactly the sum of the per-file impacts; the first replay found wins
 * (every process records the same replay for a key).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type HotlistEntry, HotlistError, parseHotlist, type RankedEntry } from './hotlist-format.js';

export interface Hotlist {
  /** The files read, in the order merged. */
  files: string[];
  /** Merged entries, highest impact first (ties: higher count, then key). */
  entries: RankedEntry[];
}

/**
 * Reads a hotlist file, or merges every `*.json` file in a directory (dotfiles, such as a writer's
 * temporary files, are ignored). Rejects with `HotlistError` naming the file that is missing or corrupt.
 */
export async function readHotlist(fileOrDir: string): Promise<Hotlist> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(fileOrDir)).isDirectory();
  } catch (error) {
    throw new HotlistError(fileOrDir, describeFsError(error), error);
  }
  const files = isDirectory ? await listHotlists(fileOrDir) : [fileOrDir];
  const lists: HotlistEntry[][] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new HotlistError(file, describeFsError(error), error);
    }
    lists.push(parseHotlist(text, file).entries);
  }
  return { files, entries: mergeHotlists(lists) };
}

/** Merges entry lists (see the module comment for the rule) and ranks the result. */
export function mergeHotlists(lists: readonly (readonly HotlistEntry[])[]): RankedEntry[] {
  const merged = new Map<
    string,
    { count: number; impactMs: number; maxCostMs: number; entry: HotlistEntry }
  >();
  for (const list of lists) {
    for (const entry of list) {
      const seen = merged.get(entry.key);
      if (!seen) {
        merged.set(entry.key, {
          count: entry.count,
          impactMs: entry.count * entry.costMs,
          maxCostMs: entry.costMs,
          entry,
        });
        continue;
      }
      seen.count += entry.count;
      seen.impactMs += entry.count * entry.costMs;
      seen.maxCostMs = Math.max(seen.maxCostMs, entry.costMs);
      if (seen.entry.replay === null && entry.replay !== null) seen.entry = entry;
    }
  }
  const ranked: RankedEntry[] = [];
  for (const [key, m] of merged) {
    // With no requests counted (a hand-written list), a weighted mean is undefined: keep the largest cost.
    const costMs = m.count > 0 ? m.impactMs / m.count : m.maxCostMs;
    ranked.push({ key, count: m.count, costMs, replay: m.entry.replay, impactMs: m.count * costMs });
  }
  return ranked.sort(byImpact);
}

/** Highest impact first; ties broken by count, then key, so the order is deterministic. */
export function byImpact(a: RankedEntry, b: RankedEntry): number {
  return b.impactMs - a.impactMs || b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

async function listHotlists(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new HotlistError(dir, describeFsError(error), error);
  }
  const files = names
    .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
    .sort()
    .map((name) => path.join(dir, name));
  if (files.length === 0) throw new HotlistError(dir, 'directory holds no *.json hotlist file');
  return files;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return `cannot read (${(error as Error).message})`;
}
