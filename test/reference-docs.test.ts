/**
 * The references cannot drift from the code: docs/api/ is what TypeDoc generates now, docs/errors.md lists
 * exactly the codes of `ErrorCode`, and the exporter's TSDoc names exactly the metrics it registers.
 */
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { staleApiFiles } from '../scripts/api-reference.js';
import { createCache, MemoryStore } from '../src/index.js';
import { registerCacheMetrics } from '../src/prometheus/index.js';

/** The string literals of the `ErrorCode` union in src/errors.ts. */
function errorCodesInSource(): string[] {
  const file = 'src/errors.ts';
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const codes: string[] = [];
  source.forEachChild((node) => {
    if (!ts.isTypeAliasDeclaration(node) || node.name.text !== 'ErrorCode') return;
    node.type.forEachChild(function visit(child): void {
      if (ts.isLiteralTypeNode(child) && ts.isStringLiteral(child.literal)) codes.push(child.literal.text);
      child.forEachChild(visit);
    });
  });
  return codes.sort();
}

describe('reference documentation', () => {
  it('has docs/api/ generated from the TSDoc as it is now (run `npm run docs`)', async () => {
    expect(await staleApiFiles()).toEqual([]);
  }, 60_000);

  it('has one row in docs/errors.md per error code of src/errors.ts, and no other', () => {
    const rows = readFileSync('docs/errors.md', 'utf8').matchAll(/^\| `(E_[A-Z_]+)` \|/gm);
    const documented = [...rows].map((m) => m[1] as string).sort();
    const inSource = errorCodesInSource();
    expect(inSource.length).toBeGreaterThan(5);
    expect(documented).toEqual(inSource);
  });

  it("names in registerCacheMetrics()'s TSDoc exactly the metrics it registers", async () => {
    const registry = new Registry();
    const cache = createCache({ store: new MemoryStore() });
    try {
      registerCacheMetrics(cache, { registry });
      const registered = registry.getMetricsAsArray().map((m) => m.name);
      const source = readFileSync('src/prometheus/index.ts', 'utf8');
      const doc = source.slice(
        source.lastIndexOf('/**', source.indexOf('export function registerCacheMetrics')),
      );
      const documented = [...new Set(doc.match(/`(stampede_guard_[a-z_]+)`/g))].map((n) => n.slice(1, -1));
      expect(documented.sort()).toEqual(registered.sort());
    } finally {
      await cache.close();
    }
  });
});
