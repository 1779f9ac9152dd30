/**
 * Generates the API reference in `docs/api/` from the TSDoc of the public entry points with TypeDoc and
 * typedoc-plugin-markdown. The output is deterministic (no sources, dates or absolute paths), so it is
 * committed and a test compares it with a fresh generation. `--check` exits 1 when `docs/api/` is out of
 * date; without it, `docs/api/` is rewritten.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, LogLevel, type TypeDocOptions } from 'typedoc';
import type { PluginOptions } from 'typedoc-plugin-markdown';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const API_DIR = path.join(ROOT, 'docs/api');

const OPTIONS: TypeDocOptions & Partial<PluginOptions> = {
  entryPoints: [
    path.join(ROOT, 'src/index.ts'),
    path.join(ROOT, 'src/express/index.ts'),
    path.join(ROOT, 'src/prometheus/index.ts'),
  ],
  tsconfig: path.join(ROOT, 'tsconfig.build.json'),
  plugin: ['typedoc-plugin-markdown'],
  name: 'stampede-guard API reference',
  readme: 'none',
  disableSources: true, // "Defined in" lines would carry paths and line numbers that churn on every edit
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true, // no members inherited from Error or other lib types
  sort: ['source-order'],
  outputFileStrategy: 'modules',
  hidePageHeader: true,
  hideBreadcrumbs: true,
  useCodeBlocks: true,
  parametersFormat: 'table',
  interfacePropertiesFormat: 'table',
  classPropertiesFormat: 'table',
  typeDeclarationFormat: 'table',
  expandObjects: true,
  validation: { notExported: false, invalidLink: true, notDocumented: false },
  logLevel: LogLevel.Error,
};

/** Writes the reference into `outDir` (emptied first). */
export async function generateApiReference(outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  const app = await Application.bootstrapWithPlugins({ ...OPTIONS, out: outDir });
  const project = await app.convert();
  if (!project || app.logger.hasErrors()) throw new Error('TypeDoc could not convert the sources');
  await app.generateOutputs(project);
}

/** Every file under `dir`, relative path → contents. */
export function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files.set(path.relative(dir, file), readFileSync(file, 'utf8'));
  }
  return files;
}

/** The files that differ between the committed reference and a fresh generation (empty: up to date). */
export async function staleApiFiles(): Promise<string[]> {
  const fresh = mkdtempSync(path.join(os.tmpdir(), 'stampede-guard-api-'));
  try {
    await generateApiReference(fresh);
    const expected = readTree(fresh);
    const committed = readTree(API_DIR);
    const names = new Set([...expected.keys(), ...committed.keys()]);
    return [...names].filter((name) => expected.get(name) !== committed.get(name)).sort();
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = await staleApiFiles();
    if (stale.length > 0) {
      console.error(`docs/api is out of date (${stale.join(', ')}): run \`npm run docs\``);
      process.exit(1);
    }
  } else {
    await generateApiReference(API_DIR);
  }
}
