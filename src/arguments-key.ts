/**
 * The default key of a `cached()` call: a text encoding of its arguments that gives distinct arguments
 * distinct keys, and refuses (InvalidOptionError naming the argument) what it cannot tell apart rather
 * than merging it. Values are equal here when they are:
 *
 * - primitives equal by `Object.is` (so `-0` and `0` differ, `NaN` equals `NaN`), bigints by value;
 * - arrays of equal items (no holes, no extra properties);
 * - plain objects with the same own enumerable string keys (in any order) and equal values, a
 *   null-prototype object being plain; `{a: undefined}` is not `{}`;
 * - typed arrays of the same type (a Buffer is its own type) with equal items;
 * - objects with `toJSON()` of the same class name whose `toJSON()` results are equal: a Date is its ISO
 *   instant and a URL its href, and neither equals the bare string.
 *
 * Refused: symbols, functions, objects with symbol keys or non-enumerable own properties, sparse arrays,
 * cycles, and instances of any other class (Map, Set, RegExp, boxed primitives, class instances whose
 * state may be private): for those, the `key` option says what identifies an argument.
 *
 * The encoding is JSON-like and decodable, hence injective: every value starts with a token that tells
 * its kind (`"` string; digit or `-` number, `-0` and a trailing `n` for bigint being no JSON; the words
 * `undefined`/`null`/`true`/`false`/`NaN`/`Infinity`; `[`; `{`; or a class name followed by `(`), and
 * composite values are delimited. Plain JSON arguments keep the key they had in 0.1.
 */
import { InvalidOptionError } from './errors.js';

const TYPED_ARRAY_NAMES = new Map<object, string>(
  [
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
  ].map((type) => [type.prototype, type.name]),
).set(Buffer.prototype, 'Buffer');
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The key suffix of `args`: empty for no arguments, else the encoding of the argument list. */
export function argumentsKey(args: readonly unknown[]): string {
  if (args.length === 0) return '';
  const ancestors = new Set<object>();
  return `[${args.map((arg, i) => encode(arg, `cached() argument ${i}`, ancestors)).join(',')}]`;
}

function encode(value: unknown, path: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'boolean':
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (Object.is(value, -0)) return '-0';
      // NaN and ±Infinity are not JSON tokens, so they can equal no other argument's key.
      return Number.isFinite(value) ? JSON.stringify(value) : String(value);
    case 'bigint':
      return `${value}n`;
    case 'object':
      if (value === null) return 'null';
      if (ancestors.has(value)) refuse(path, 'a circular structure', value);
      ancestors.add(value);
      try {
        return encodeObject(value, path, ancestors);
      } finally {
        ancestors.delete(value);
      }
    default:
      return refuse(path, `a ${typeof value}`, value);
  }
}

function encodeObject(value: object, path: string, ancestors: Set<object>): string {
  if (Object.getOwnPropertySymbols(value).length > 0)
    refuse(path, 'an object with symbol-keyed properties', value);
  const proto: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value)) return encodeArray(value, proto, path, ancestors);
  const typedArrayName = TYPED_ARRAY_NAMES.get(proto as object);
  if (typedArrayName !== undefined) return encodeTypedArray(value as Uint8Array, typedArrayName, path);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const name = (proto as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    if (typeof name !== 'string' || !IDENTIFIER.test(name))
      refuse(path, 'an object with toJSON() but no class name', value);
    return `${name}(${encode(toJSON.call(value), `${path}.toJSON()`, ancestors)})`;
  }
  if (proto !== Object.prototype && proto !== null) refuse(path, describeClass(proto), value);
  const keys = Object.keys(value);
  if (Object.getOwnPropertyNames(value).length !== keys.length)
    refuse(path, 'an object with non-enumerable properties', value);
  const record = value as Record<string, unknown>;
  const fields = keys
    .sort()
    .map((k) => `${JSON.stringify(k)}:${encode(record[k], `${path}${propertyPath(k)}`, ancestors)}`);
  return `{${fields.join(',')}}`;
}

function encodeArray(value: unknown[], proto: unknown, path: string, ancestors: Set<object>): string {
  if (proto !== Array.prototype) refuse(path, `${describeClass(proto)} (an Array subclass)`, value);
  // Own names are the indices plus `length`: fewer means holes, more means extra properties.
  if (Object.getOwnPropertyNames(value).length !== value.length + 1)
    refuse(path, 'a sparse array or an array with extra properties', value);
  return `[${value.map((item, i) => encode(item, `${path}[${i}]`, ancestors)).join(',')}]`;
}

function encodeTypedArray(value: Uint8Array, name: string, path: string): string {
  if (Object.getOwnPropertyNames(value).length !== value.length)
    refuse(path, `a ${name} with extra properties`, value);
  const items = Array.from(value as ArrayLike<number | bigint>, (item, i) =>
    encode(item, `${path}[${i}]`, new Set()),
  );
  return `${name}([${items.join(',')}])`;
}

function refuse(path: string, what: string, value: unknown): never {
  throw new InvalidOptionError(
    path,
    `JSON-like data, a typed array or an object with toJSON(), not ${what}: use the \`key\` option to say what identifies it`,
    value,
  );
}

function describeClass(proto: unknown): string {
  const name = (proto as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name ? `a ${name} object` : 'an object of an unnamed class';
}

function propertyPath(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
