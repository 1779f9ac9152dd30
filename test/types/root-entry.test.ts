/**
 * Importing the root `stampede-guard` never needs Express types: nothing the root entry reaches (types
 * included) comes from `express` or `@types/express*`, so a TypeScript user without `@types/express`
 * compiles without `skipLibCheck`. The Express entry point is the control: it does reach them.
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** The files a program rooted at `entry` loads: everything its import graph reaches, types included. */
function reachedFiles(entry: string): string[] {
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    types: ['node'],
    strict: true,
    noEmit: true,
  });
  return program.getSourceFiles().map((file) => file.fileName);
}

const fromExpress = (file: string) => /\/node_modules\/(@types\/)?express[^/]*\//.test(file);

describe('entry points', () => {
  it('the root reaches no Express types', () => {
    const files = reachedFiles('src/index.ts');
    expect(files.some((f) => f.endsWith('src/index.ts'))).toBe(true);
    expect(files.filter(fromExpress)).toEqual([]);
  }, 60_000);

  it('stampede-guard/express does (the control)', () => {
    expect(reachedFiles('src/express/index.ts').some(fromExpress)).toBe(true);
  }, 60_000);
});
