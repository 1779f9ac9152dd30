/**
 * The library as users run it: the tsc build in dist/ (`npm run bench` builds it first), typed by src/
 * so type-checking does not need a build.
 */

import type * as Envelope from '../../src/envelope.js';
import type * as Library from '../../src/index.js';
import type * as Keys from '../../src/keys.js';

async function load<T>(path: string): Promise<T> {
  try {
    return (await import(new URL(`../../dist/${path}`, import.meta.url).href)) as T;
  } catch (error) {
    throw new Error(
      `bench: cannot load dist/${path}: run \`npm run build\` first (${(error as Error).message})`,
    );
  }
}

export const library = await load<typeof Library>('index.js');
export const keys = await load<typeof Keys>('keys.js');
export const envelope = await load<typeof Envelope>('envelope.js');
