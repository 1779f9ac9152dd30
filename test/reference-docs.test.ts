/**
 * The references cannot drift from the code: docs/api/ is what TypeDoc generates now, docs/errors.md lists
 * exactly the codes of `ErrorCode`, and the exporter's TSDoc names exactly the metrics it registers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { staleApiFiles } from '../scripts/api-reference.js';
import { createCache, MemoryStore } from '../src/index.js';
import { registerCacheMetrics } from '../src/prometheus/index.js';

/** Where error codes are declared: the core's, and each subsystem's beside its errors. */
const CODE_FILES: Record<string, string> = {
  'src/errors.ts': 'CoreErrorCode',
  'src/warmup/errors.ts': 'WarmupErrorCode',
  'src/http/errors.ts': 'HttpErrorCode',
};

/** The string literals of every subsystem's error-code union (the public `ErrorCode` is their union). */
function errorCodesInSource(): string[] {
  const codes: string[] = [];
  for (const [file, alias] of Object.entries(CODE_FILES)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    source.forEachChild((node) => {
      if (!ts.isTypeAliasDeclaration(node) || node.name.text !== alias) return;
      node.type.forEachChild(function visit(child): void {
        if (ts.isLiteralTypeNode(child) && ts.isStringLiteral(child.literal)) codes.push(child.literal.text);
        child.forEachChild(visit);
      });
      if (ts.isLiteralTypeNode(node.type) && ts.isStringLiteral(node.type.literal))
        codes.push(node.type.literal.text);
    });
  }
  return codes.sort();
}

/** Every `StampedeGuardError` subclass in src/ names its code: no error of ours is thrown without one. */
function errorClassesWithoutCode(): string[] {
  const missing: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith('.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(
          /export class (\w+) extends (\w*Error)\b([^{]*)/g,
        )) {
          const [, name, base] = m;
          if (base === 'Error' || base === 'TypeError') missing.push(`${path}: ${name}`);
        }
      }
    }
  };
  walk('src');
  return missing;
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

  it('gives every exported error class a code (the exit-status errors of the CLI aside)', () => {
    const cliOnly = ['src/warmup/cli-args.ts: UsageError', 'src/warmup/cli-inputs.ts: RunError'];
    const withCode = ['src/errors.ts: StampedeGuardError', 'src/errors.ts: InvalidOptionError'];
    expect(errorClassesWithoutCode().filter((c) => !cliOnly.includes(c) && !withCode.includes(c))).toEqual(
      [],
    );
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
