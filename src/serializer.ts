import { deserialize as v8Deserialize, serialize as v8Serialize } from 'node:v8';

/** Turns values into bytes for memcached and back. Must be the same on every process sharing a namespace. */
export interface Serializer {
  /** A short name, recorded for diagnostics. */
  readonly name: string;
  serialize(value: unknown): Buffer;
  deserialize(bytes: Buffer): unknown;
}

/** JSON (the default): readable from any language; Dates become strings, `undefined` inside objects is dropped. */
export const jsonSerializer: Serializer = {
  name: 'json',
  serialize(value) {
    const text = JSON.stringify(value);
    // JSON.stringify returns undefined for functions and symbols: refuse rather than store garbage.
    if (text === undefined) throw new TypeError(`JSON cannot represent a value of type ${typeof value}`);
    return Buffer.from(text, 'utf8');
  },
  deserialize(bytes) {
    return JSON.parse(bytes.toString('utf8'));
  },
};

/** Node's structured clone (node:v8): keeps Dates, Maps, Sets, BigInts, typed arrays; Node readers only. */
export const v8Serializer: Serializer = {
  name: 'v8',
  serialize: (value) => v8Serialize(value),
  deserialize: (bytes) => v8Deserialize(bytes),
};
