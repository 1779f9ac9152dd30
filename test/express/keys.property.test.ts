/**
 * Property tests of the default key (fast-check): what the app can see differently never shares a key,
 * and the equivalent forms it promises to merge do share one. "Differently" is judged by the app's own
 * readers: Express's two query parsers (`simple`: node:querystring; `extended`: qs as Express calls it)
 * and the raw header values.
 */
import querystring from 'node:querystring';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import qs from 'qs';
import { describe, expect, it } from 'vitest';
import { canonicalQuery } from '../../src/http/canonical-query.js';
import { pathAndQuery, varySuffix } from '../../src/http/request-key.js';

const simple = (q: string) => querystring.parse(q);
const extended = (q: string) => qs.parse(q, { allowPrototypes: true });
/** Whether both parsers read the two queries alike (key order aside). */
const readAlike = (a: string, b: string) =>
  isDeepStrictEqual({ ...simple(a) }, { ...simple(b) }) && isDeepStrictEqual(extended(a), extended(b));

/** Pieces of raw queries: names with brackets, separators, escapes valid and not, `+` and `%2B`, ... */
const TOKENS = [
  'a',
  'b',
  'a[]',
  'a[0]',
  'a[x]',
  'x',
  '=',
  '=',
  '&',
  '&',
  '+',
  '%20',
  '%2B',
  '%2b',
  '%32',
  '2',
  '%FE',
  '%fe',
  '%FF',
  '%C3%BE',
  '%c3%be',
  '%E2%82',
  '%EF%BF%BD',
  '%5B',
  '%5D',
  '[',
  ']',
  '%3D',
  '%26',
  '%25',
  '%',
  '%G1',
  '~',
  '%7E',
  '|',
  '%7C',
  '?',
  ';',
];
/** Rewrites of a token into another form (equivalent in a part that decodes, except where noted). */
const ALTERNATIVES: Record<string, string[]> = {
  '2': ['%32'],
  '%32': ['2'],
  '+': ['%20'],
  '%20': ['+'],
  '%2B': ['%2b', '+'],
  '%2b': ['%2B'],
  '%FE': ['%fe', '%FF'],
  '%fe': ['%FE'],
  '%C3%BE': ['%c3%be'],
  '%c3%be': ['%C3%BE'],
  '~': ['%7E'],
  '%7E': ['~'],
  '|': ['%7C'],
  '%7C': ['|'],
  '%5D': [']'],
  ']': ['%5D'],
  '%5B': ['['],
  '[': ['%5B'],
  '%3D': ['='],
  '=': ['%3D'],
  'a[]': ['a'],
  a: ['a[]', 'b'],
};

const rawQuery = fc.array(fc.constantFrom(...TOKENS), { maxLength: 14 });
/** A query and a variant: some tokens rewritten, and maybe its parts shuffled. */
const queryPair = rawQuery.chain((tokens) =>
  fc
    .tuple(
      fc.array(fc.nat(), { minLength: tokens.length, maxLength: tokens.length }),
      fc.boolean(),
      fc.array(fc.nat(), { maxLength: 8 }),
    )
    .map(([picks, shuffle, order]) => {
      const variant = tokens.map((t, i) => {
        const options = ALTERNATIVES[t];
        const pick = picks[i] as number;
        return options && pick % 3 !== 0 ? (options[pick % options.length] as string) : t;
      });
      let b = variant.join('');
      if (shuffle) {
        const parts = b.split('&');
        for (const [i, n] of order.entries()) {
          const j = n % parts.length;
          const k = i % parts.length;
          [parts[j], parts[k]] = [parts[k] as string, parts[j] as string];
        }
        b = parts.join('&');
      }
      return [tokens.join(''), b] as const;
    }),
);

describe('the query part of the key', () => {
  it('never merges two queries either parser reads differently', () => {
    fc.assert(
      fc.property(queryPair, ([a, b]) => {
        if (canonicalQuery(a) === canonicalQuery(b)) expect(readAlike(a, b), `${a} | ${b}`).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('merges the equivalent forms of a query whose parts decode: escapes, + and %20, order of names', () => {
    const value = fc.array(
      fc.constantFrom('2', '%32', '+', '%20', '%2B', '~', '%7E', '%C3%BE', '%c3%be', 'z'),
      {
        maxLength: 4,
      },
    );
    const params = fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), value, value), {
      selector: ([name]) => name,
      maxLength: 5,
    });
    const swap: Record<string, string> = {
      '2': '%32',
      '%32': '2',
      '+': '%20',
      '%20': '+',
      '~': '%7E',
      '%7E': '~',
      '%C3%BE': '%c3%be',
      '%c3%be': '%C3%BE',
    };
    fc.assert(
      fc.property(params, (list) => {
        const a = list.map(([name, v]) => `${name}=${v.join('')}`).join('&');
        const b = [...list]
          .reverse()
          .map(([name, v]) => `${name}=${v.map((t) => swap[t] ?? t).join('')}`)
          .join('&');
        expect(readAlike(a, b)).toBe(true);
        expect(canonicalQuery(a)).toBe(canonicalQuery(b));
      }),
    );
  });

  it.each([
    ['q=%FE', 'q=%FF'],
    ['q=%FE', 'q=%fe'],
    ['q=%FE', 'q=%25FE'],
    ['q=2%FE', 'q=%32%FE'],
    ['q=a+%FE', 'q=a%20%FE'],
    ['q=%2B', 'q=+'],
    ['a=1&a=2', 'a=2&a=1'],
    ['a=2&a[]=1', 'a[]=1&a=2'],
    ['a%3Db]=2&a=b]=1', 'a=b]=1&a%3Db]=2'],
    ['q=a#b', 'q=a%23b'],
  ])('keeps %s and %s apart', (a, b) => {
    expect(canonicalQuery(a)).not.toBe(canonicalQuery(b));
  });

  it.each([
    ['b=2&a=1', 'a=1&b=%32'],
    ['q=x+y', 'q=x%20y'],
    ['q=%c3%be', 'q=%C3%BE'],
    ['q=~', 'q=%7E'],
    ['a=1&&b=2', 'b=2&a=1'],
  ])('merges %s and %s', (a, b) => {
    expect(readAlike(a, b)).toBe(true);
    expect(canonicalQuery(a)).toBe(canonicalQuery(b));
  });
});

describe('the vary part of the key', () => {
  /** Header values as Node hands them over: latin1 text, spaces inside, or no header at all. */
  const value = fc.option(
    fc.string({ unit: fc.constantFrom('A', 'a', ' ', '|', '=', '%', '%7C', ',', 'é', '"') }),
    {
      nil: undefined,
    },
  );
  const VARY = ['x-tenant', 'x-theme'];

  it('gives distinct header values distinct keys, after any path', () => {
    const request = fc.tuple(fc.constantFrom('/p', '/p|x-tenant=a', '/p|x-tenant'), value, value);
    fc.assert(
      fc.property(
        fc.uniqueArray(request, { minLength: 2, maxLength: 6, comparator: isDeepStrictEqual }),
        (requests) => {
          const keys = requests.map(([path, tenant, theme]) => {
            const headers = {
              ...(tenant === undefined ? {} : { 'x-tenant': tenant }),
              ...(theme === undefined ? {} : { 'x-theme': theme }),
            };
            return pathAndQuery(path) + varySuffix(headers, VARY);
          });
          expect(new Set(keys).size).toBe(requests.length);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('keeps case and inner whitespace, tells an empty header from none', () => {
    const suffix = (value?: string) =>
      varySuffix(value === undefined ? {} : { 'x-tenant': value }, ['x-tenant']);
    expect(suffix('Acme')).toBe('|x-tenant=Acme');
    expect(
      new Set([suffix('Acme'), suffix('acme'), suffix('blue sky'), suffix('bluesky'), suffix(''), suffix()])
        .size,
    ).toBe(6);
    expect(suffix('blue sky')).toBe('|x-tenant=blue%20sky');
    expect(suffix()).toBe('|x-tenant');
  });

  it('reads Accept-Encoding codings case-insensitively, as compression() does, but not its parameters', () => {
    const ae = (value: string) => varySuffix({ 'accept-encoding': value }, ['accept-encoding']);
    expect(ae('GZIP, Br')).toBe(ae('gzip,br'));
    expect(ae('gzip;q=0')).not.toBe(ae('gzip;Q=0'));
    expect(ae('gz ip')).not.toBe(ae('gzip'));
  });
});
