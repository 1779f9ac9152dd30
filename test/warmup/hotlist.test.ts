import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HotlistEntry, HotlistError, mergeHotlists, readHotlist } from '../../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sg-hotlist-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const url = (u: string) => ({ kind: 'url' as const, url: u });
async function writeList(name: string, entries: HotlistEntry[], extra: object = {}): Promise<string> {
  const file = path.join(dir, name);
  const content = { version: 1, writtenAt: new Date().toISOString(), pid: 1, host: 'h', entries, ...extra };
  await writeFile(file, JSON.stringify(content));
  return file;
}

describe('mergeHotlists', () => {
  it('sums counts, takes the count-weighted mean cost and ranks by count x cost', () => {
    const merged = mergeHotlists([
      [
        { key: 'a', count: 10, costMs: 10, replay: url('/a') },
        { key: 'b', count: 1, costMs: 100, replay: null },
      ],
      [
        { key: 'a', count: 30, costMs: 20, replay: url('/a') },
        { key: 'b', count: 3, costMs: 60, replay: url('/b') },
        { key: 'c', count: 0, costMs: 5, replay: url('/c') },
      ],
    ]);
    expect(merged).toEqual([
      { key: 'a', count: 40, costMs: 17.5, replay: url('/a'), impactMs: 700 },
      { key: 'b', count: 4, costMs: 70, replay: url('/b'), impactMs: 280 }, // the replay one file knew
      { key: 'c', count: 0, costMs: 5, replay: url('/c'), impactMs: 0 },
    ]);
  });
});

describe('readHotlist', () => {
  it('reads one file', async () => {
    const file = await writeList('one.json', [{ key: 'k', count: 2, costMs: 3, replay: url('/k') }]);
    expect(await readHotlist(file)).toEqual({
      files: [file],
      entries: [{ key: 'k', count: 2, costMs: 3, replay: url('/k'), impactMs: 6 }],
    });
  });

  it("merges every *.json of a directory, ignoring dotfiles (a writer's temp files) and other files", async () => {
    await writeList('p1.json', [{ key: 'k', count: 2, costMs: 10, replay: url('/k') }]);
    await writeList('p2.json', [{ key: 'k', count: 2, costMs: 20, replay: url('/k') }]);
    await writeFile(path.join(dir, '.p3.json.123.1.tmp'), '{ half a fi');
    await writeFile(path.join(dir, '.hidden.json'), 'not json');
    await writeFile(path.join(dir, 'notes.txt'), 'hello');
    const { files, entries } = await readHotlist(dir);
    expect(files.map((f) => path.basename(f))).toEqual(['p1.json', 'p2.json']);
    expect(entries).toEqual([{ key: 'k', count: 4, costMs: 15, replay: url('/k'), impactMs: 60 }]);
  });

  const bad: Array<[string, () => Promise<string>, RegExp]> = [
    [
      'a missing file',
      async () => path.join(dir, 'missing.json'),
      /missing\.json: no such file or directory/,
    ],
    [
      'invalid JSON',
      async () => writeFile(path.join(dir, 'x.json'), '{"version":1,').then(() => path.join(dir, 'x.json')),
      /x\.json: not valid JSON/,
    ],
    [
      'another version',
      () => writeList('v.json', [], { version: 2 }),
      /v\.json: unsupported version 2 \(expected 1\)/,
    ],
    [
      'a bad entry',
      () => writeList('e.json', [{ key: 'k', count: -1, costMs: 0, replay: null }]),
      /e\.json: entries\[0\]: `count`/,
    ],
    [
      'a bad replay',
      () => writeList('r.json', [{ key: 'k', count: 1, costMs: 0, replay: { kind: 'x' } as never }]),
      /r\.json: entries\[0\]: `replay`/,
    ],
    [
      'an empty directory',
      async () => mkdir(path.join(dir, 'empty')).then(() => path.join(dir, 'empty')),
      /empty: directory holds no \*\.json/,
    ],
  ];
  for (const [what, make, message] of bad) {
    it(`rejects ${what} with E_HOTLIST naming the file`, async () => {
      const target = await make();
      const error = await readHotlist(target).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HotlistError);
      expect(error).toMatchObject({ code: 'E_HOTLIST' });
      expect((error as HotlistError).message).toMatch(message);
      expect((error as HotlistError).file).toContain(dir);
    });
  }

  it('says where invalid JSON is, in one complete line', async () => {
    const cases: Array<[string, string]> = [
      ['garbage{\n', "at line 1, column 1 (unexpected token 'g')"],
      ['{\n  "version": 1,\n  "entries" []\n}\n', "at line 3, column 13 (unexpected token '[')"],
      ['{"version":1,"entries":[\n', 'at line 2, column 1 (unexpected end of the file)'],
      ['{"version":1}\n}', 'at line 2, column 1 (unexpected non-whitespace character after JSON)'],
    ];
    for (const [text, where] of cases) {
      const file = path.join(dir, 'bad.json');
      await writeFile(file, text);
      const error = (await readHotlist(file).catch((e: unknown) => e)) as HotlistError;
      expect(error.message).toBe(`hotlist ${file}: not valid JSON ${where}`);
    }
  });

  it('names the corrupt file of a directory', async () => {
    await writeList('good.json', []);
    await writeFile(path.join(dir, 'broken.json'), '[]');
    await expect(readHotlist(dir)).rejects.toMatchObject({ file: path.join(dir, 'broken.json') });
  });
});
