/**
 * One story everywhere for a page the middleware does not store: the crawler counts it `uncacheable`
 * (exit 0, not retried), and --help, docs/warmup.md and docs/express.md say so, never that it fails.
 */
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { USAGE } from '../../src/warmup/cli-args.js';

const doc = (name: string) => readFile(new URL(`../../docs/${name}`, import.meta.url), 'utf8');
/** The text's sentences that mention `X-Cache: BYPASS`, each on one line. */
const bypassSentences = (text: string) =>
  text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.;])\s/)
    .filter((sentence) => /X-Cache: `?BYPASS/.test(sentence));

it.each([
  ['--help', async () => USAGE],
  ['docs/warmup.md', () => doc('warmup.md')],
  ['docs/express.md', () => doc('express.md')],
])('%s counts a page answered BYPASS as uncacheable, not as failed', async (_, read) => {
  const sentences = bypassSentences(await read());
  expect(sentences.some((sentence) => /\buncacheable\b/.test(sentence))).toBe(true);
  for (const sentence of sentences) expect(sentence).not.toMatch(/\bit fails\b|\bcounts it as failed\b/);
});
