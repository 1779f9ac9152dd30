import { deserialize as v8Deserialize, serialize as v8Serialize } from 'node:v8';
import { decodeJson, encodeJson } from './json-codec.js';

/** Turns values into bytes for memcached and back. Must be the same on every process sharing a namespace. */
export interface Serializer {
  /** A short name, recorded for diagnostics. */
  readonly name: string;
  serialize(value: unknown): Buffer;
  deserialize(bytes: Buffer): unknown;
}

/**
 * JSON (the default), readable from any language, and exact: every value it accepts reads back identical
 * (same numbers by `Object.is`, same types, same prototypes), and it refuses, with an error naming the
 * place in the value, what it could not read back the same.
 *
 * - Plain JSON text: null, booleans, strings, finite numbers (not -0), arrays and plain objects of those.
 * - Tagged form, for values that also hold NaN, ±Infinity, -0, `undefined`, Dates or null-prototype
 *   objects: `~{"value": <JSON, undefined written as null>, "tags": [[<tag>, ...<path>], ...]}`, where a
 *   tag (`"NaN"`, `"Infinity"`, `"-Infinity"`, `"-0"`, `"undefined"`, `"Date"` over an ISO string or
 *   null, `"null-prototype"`) says what to restore at a path of keys and indices. Plain JSON never starts
 *   with `~`, so user data is never read as a tag.
 * - Refused (a `SerializationError` from the cache): bigints, symbols, functions, Map, Set, typed arrays,
 *   Buffers inside a value, class instances, objects with a `toJSON()` other than Date's, boxed primitives,
 *   sparse arrays, symbol-keyed or non-enumerable properties, cycles. Use `v8Serializer` or your own for
 *   those. A Buffer that *is* the value never reaches a serializer: the cache stores its bytes as they are.
 *
 * A value reached twice in one structure reads back as two equal copies.
 */
export const jsonSerializer: Serializer = {
  name: 'json',
  serialize: encodeJson,
  deserialize: decodeJson,
};

/** Node's structured clone (node:v8): keeps Dates, Maps, Sets, BigInts, typed arrays; Node readers only. */
export const v8Serializer: Serializer = {
  name: 'v8',
  serialize: (value) => v8Serialize(value),
  deserialize: (bytes) => v8Deserialize(bytes),
};
