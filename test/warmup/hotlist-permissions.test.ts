/** Hotlists hold keys and URLs: owner-only files and directories, from the temporary file on. */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { HotKeyRecorder } from '../../src/index.js';

/** The mode of each file the writer renames, taken just before the rename: the temporary file's. */
const renamedModes = vi.hoisted(() => [] as number[]);
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const rename: typeof fs.rename = async (from, to) => {
    renamedModes.push((await fs.stat(from)).mode & 0o777);
    return fs.rename(from, to);
  };
  return { ...fs, default: { ...fs, rename }, rename };
});

let dir: string;
let umask: number;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sg-perms-'));
  umask = process.umask(0); // the most permissive umask: the modes must not rely on it
});
afterEach(async () => {
  process.umask(umask);
  await rm(dir, { recursive: true, force: true });
});

it('writes the temporary file and the hotlist 0600 and creates missing directories 0700', async () => {
  const recorder = new HotKeyRecorder({
    hotlistFile: path.join(dir, 'a', 'b', 'hot.json'),
    writeIntervalMs: 0,
  });
  recorder.recordRequest('k', undefined);
  await recorder.flush();
  await recorder.close();
  expect(renamedModes).toEqual([0o600, 0o600]);
  expect((await stat(path.join(dir, 'a', 'b', 'hot.json'))).mode & 0o777).toBe(0o600);
  expect((await stat(path.join(dir, 'a', 'b'))).mode & 0o777).toBe(0o700);
  expect((await stat(path.join(dir, 'a'))).mode & 0o777).toBe(0o700);
});
