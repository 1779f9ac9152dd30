/**
 * Property tests of `cached()` keys (issue 9 item 5): two argument lists share a key only when they are
 * equal by the definition in src/arguments-key.ts (restated independently below), and what that
 * definition cannot compare is refused, never merged. Values are drawn from small pools of confusable
 * leaves (0/-0, undefined/null/absent, typed arrays of several types, boxed strings, Dates and their ISO
 * strings, class instances with private fields, symbol keys) so that near-collisions are frequent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { argumentsKey } from '../src/arguments-key.js';

class Private {
  readonly #secret: number;
  constructor(secret: number) {
    this.#secret = secret;
  }
  reveal(): number {
    return this.#secret;
  }
}

const leaves: (() => unknown)[] = [
  () => 0,
  () => -0,
  () => 1,
  () => Number.NaN,
  () => Number.POSITIVE_INFINITY,
  () => null,
  () => undefined,
  () => '',
  () => '0',
  () => 'x',
  () => '1970-01-01T00:00:00.000Z',
  () => 0n,
  () => true,
  () => new Date(0),
  () => new URL('https://a.example/'),
  () => new Uint8Array([0]),
  () => new Int8Array([0]),
  () => new Float64Array([-0]),
  () => new Float64Array([0]),
  () => Buffer.from([0]),
  () => ({ 0: 0 }),
  () => Object.assign(Object.create(null), { 0: 0 }),
  () => new String('x'),
  () => new Number(0),
  () => new Private(1),
  () => new Private(2),
  () => ({ [Symbol.for('s')]: 1 }),
  () => new Map([[0, 0]]),
  () => new Set([0]),
  () => Symbol.for('x'),
  () => new Array(1),
];
const leafArb = fc.integer({ min: 0, max: leaves.length - 1 }).map((i) => (leaves[i] as () => unknown)());
const { value: valueArb } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', '0', '__proto__'), tie('value'), { maxKeys: 2 }),
  ),
}));
const argsArb = fc.array(valueArb, { maxLength: 2 });

const TYPED = [Int8Array, Uint8Array, Float64Array].map((t) => t.prototype as object);

/** Whether the definition refuses `value` (anywhere inside it). */
function refused(value: unknown, seen = new Set<object>()): boolean {
  if (typeof value === 'symbol' || typeof value === 'function') return true;
  if (typeof value !== 'object' || value === null) return false;
  if (seen.has(value) || Object.getOwnPropertySymbols(value).length > 0) return true;
  seen.add(value);
  const proto = Object.getPrototypeOf(value);
  try {
    if (Array.isArray(value))
      return Object.keys(value).length !== value.length || value.some((v) => refused(v, seen));
    if (TYPED.includes(proto) || proto === Buffer.prototype) return false;
    if (value instanceof Date || value instanceof URL) return false;
    if (proto !== Object.prototype && proto !== null) return true;
    return Object.values(value).some((v) => refused(v, seen));
  } finally {
    seen.delete(value);
  }
}

/** Equality by the definition: Object.is for primitives, structure for data, class + toJSON() for the rest. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  const [pa, pb] = [Object.getPrototypeOf(a), Object.getPrototypeOf(b)];
  if (Array.isArray(a) || Array.isArray(b))
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => same(v, b[i]));
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (pa !== pb) return false;
    const [ia, ib] = [Array.from(a as Uint8Array), Array.from(b as Uint8Array)];
    return ia.length === ib.length && ia.every((v, i) => Object.is(v, ib[i]));
  }
  if (a instanceof Date || a instanceof URL || b instanceof Date || b instanceof URL)
    return pa === pb && same((a as Date).toJSON(), (b as Date).toJSON());
  const [ka, kb] = [Object.keys(a).sort(), Object.keys(b).sort()];
  const [ra, rb] = [a as Record<string, unknown>, b as Record<string, unknown>];
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same(ra[k], rb[k]));
}

const keyOrRefusal = (args: unknown[]): string | TypeError => {
  try {
    return argumentsKey(args);
  } catch (error) {
    if (error instanceof TypeError) return error;
    throw error;
  }
};

describe('cached() argument keys (property)', () => {
  it('refuse exactly the arguments the definition cannot compare, naming the argument', () => {
    fc.assert(
      fc.property(argsArb, (args) => {
        const result = keyOrRefusal(args);
        expect(result instanceof TypeError).toBe(args.some((a) => refused(a)));
        if (result instanceof TypeError) expect(result.message).toMatch(/`cached\(\) argument \d/);
      }),
      { numRuns: 1000 },
    );
  });

  it('give two accepted argument lists one key only when they are equal', () => {
    fc.assert(
      fc.property(fc.array(argsArb, { minLength: 2, maxLength: 20 }), (lists) => {
        const accepted = lists.filter((args) => !args.some((a) => refused(a)));
        const keys = accepted.map(argumentsKey);
        for (let i = 0; i < accepted.length; i++)
          for (let j = i + 1; j < accepted.length; j++)
            expect(keys[i] === keys[j]).toBe(same(accepted[i], accepted[j]));
      }),
      { numRuns: 400 },
    );
  });

  it('keep plain JSON arguments keyed as in 0.1 (sorted-key JSON)', () => {
    // 0.1's encoding of JSON data: sorted keys, no spaces.
    const legacy = (v: unknown): string =>
      Array.isArray(v)
        ? `[${v.map(legacy).join(',')}]`
        : typeof v === 'object' && v !== null
          ? `{${Object.keys(v)
              .sort()
              .map((k) => `${JSON.stringify(k)}:${legacy((v as Record<string, unknown>)[k])}`)
              .join(',')}}`
          : JSON.stringify(v);
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 3 }), (args) => {
        fc.pre(!containsNegativeZero(args));
        expect(argumentsKey(args)).toBe(legacy(args));
      }),
      { numRuns: 300 },
    );
  });
});

function containsNegativeZero(value: unknown): boolean {
  if (Object.is(value, -0)) return true;
  return typeof value === 'object' && value !== null && Object.values(value).some(containsNegativeZero);
}
