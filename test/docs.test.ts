/** The documentation cannot drift: the README's option tables and every `@default` match the code. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readOptionDocs, renderReadme } from '../scripts/options-table.js';
import { resolveCacheOptions } from '../src/options.js';
import { jsonSerializer } from '../src/serializer.js';

describe('documentation', () => {
  it('has the README options tables generated from src/options.ts (run `npm run docs`)', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(renderReadme(readme)).toBe(readme);
  });

  it('documents the defaults resolveCacheOptions() really applies', () => {
    const resolved = resolveCacheOptions({}, {}) as unknown as Record<string, unknown>;
    const actual = { ...resolved, ...(resolved.policy as object) } as Record<string, unknown>;
    const docs = ['CacheOptions', 'PolicyOptions'].flatMap((i) => readOptionDocs('src/options.ts', i));
    const checked = docs.filter((d) => d.defaultValue !== '');
    expect(checked.length).toBeGreaterThan(15);
    for (const doc of checked) {
      const expected = doc.defaultValue === 'jsonSerializer' ? jsonSerializer : evaluate(doc.defaultValue);
      expect({ [doc.name]: actual[doc.name] }).toEqual({ [doc.name]: expected });
    }
  });
});

/** A literal as written in a `@default` tag: number, quoted string, boolean. */
function evaluate(literal: string): unknown {
  if (/^'.*'$/.test(literal)) return literal.slice(1, -1);
  if (literal === 'true' || literal === 'false') return literal === 'true';
  const n = Number(literal.replace(/_/g, ''));
  if (Number.isNaN(n)) throw new Error(`cannot read @default ${literal}`);
  return n;
}
