/** docs/benchmarks.md is what the last full `npm run bench` measured: re-render it from the JSON and compare. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ResultsFile, renderBenchmarksMarkdown } from '../bench/lib/markdown.js';

describe('docs/benchmarks.md', () => {
  it('matches bench/results/latest.json figure for figure', () => {
    const json = JSON.parse(
      readFileSync(new URL('../bench/results/latest.json', import.meta.url), 'utf8'),
    ) as ResultsFile;
    const doc = readFileSync(new URL('../docs/benchmarks.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderBenchmarksMarkdown(json));
    expect(Object.keys(json.scenarios)).toEqual(
      expect.arrayContaining(['stampede', 'hit-path', 'scaling', 'node-death']),
    );
  });
});
