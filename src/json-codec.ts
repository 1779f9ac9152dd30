/**
 * The default serializer's codec: JSON that reads back exactly what was written, or a refusal.
 *
 * A value JSON represents exactly (null, booleans, strings, finite numbers other than -0, arrays and
 * plain objects of those) is written as its plain JSON text and read with a bare `JSON.parse`, as in 0.1:
 * the hit path pays one byte comparison more. A value that also holds NaN, ±Infinity, -0, `undefined`,
 * Dates or null-prototype objects is written in the *tagged form*: `~` followed by the JSON text of
 * `{"value": <the value as JSON writes it, undefined as null>, "tags": [[<tag>, ...<path>], ...]}`, where
 * each tag says what to put back at the path of keys and indices from the root: `"NaN"`, `"Infinity"`,
 * `"-Infinity"`, `"-0"`, `"undefined"`, `"Date"` (the value there is its ISO string, or null for an invalid
 * Date) or `"null-prototype"`. JSON text never starts with `~`, so the two forms cannot be confused, user
 * data is never read as a tag, and 0.1 readers refuse tagged entries (a miss) instead of misreading them.
 *
 * Anything else cannot read back the same and is refused with an error naming where it is: bigints,
 * symbols, functions, Map, Set, typed arrays, Buffers, class instances and other objects with a toJSON()
 * (a Date excepted), boxed primitives, sparse arrays, symbol-keyed or non-enumerable properties, cycles.
 * A value reached twice is read back as two equal copies.
 */

type PathKey = string | number;
type TagKind = 'NaN' | 'Infinity' | '-Infinity' | '-0' | 'undefined' | 'Date' | 'null-prototype';
type Tag = [TagKind, ...PathKey[]];

const TAGGED_MARK = 0x7e; // '~'
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The bytes of `value`; throws a TypeError naming the part that cannot round-trip through JSON. */
export function encodeJson(value: unknown): Buffer {
  const tags: Tag[] = [];
  inspect(value, [], new Set(), tags);
  if (tags.length === 0) return Buffer.from(JSON.stringify(value), 'utf8');
  const text = JSON.stringify({ value, tags }, (_key, v: unknown) => (v === undefined ? null : v));
  return Buffer.concat([Buffer.of(TAGGED_MARK), Buffer.from(text, 'utf8')]);
}

/** The value `encodeJson` wrote; throws on bytes it did not write. */
export function decodeJson(bytes: Buffer): unknown {
  if (bytes[0] !== TAGGED_MARK) return JSON.parse(bytes.toString('utf8'));
  const tagged: unknown = JSON.parse(bytes.subarray(1).toString('utf8'));
  if (!isTaggedForm(tagged)) throw new Error('malformed tagged JSON');
  let root = tagged.value;
  for (const [kind, ...path] of tagged.tags) {
    if (path.length === 0) {
      root = untag(kind, root);
      continue;
    }
    const parent = path.slice(0, -1).reduce<unknown>(ownProperty, root);
    const key = path[path.length - 1] as PathKey;
    const restored = untag(kind, ownProperty(parent, key));
    Object.defineProperty(parent, key, {
      value: restored,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return root;
}

/** Walks `value` once, collecting tags; `path` is one shared stack of the keys leading here. */
function inspect(value: unknown, path: PathKey[], ancestors: Set<object>, tags: Tag[]): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'undefined':
      tags.push(['undefined', ...path]);
      return;
    case 'number':
      if (Number.isNaN(value)) tags.push(['NaN', ...path]);
      else if (value === Number.POSITIVE_INFINITY) tags.push(['Infinity', ...path]);
      else if (value === Number.NEGATIVE_INFINITY) tags.push(['-Infinity', ...path]);
      else if (Object.is(value, -0)) tags.push(['-0', ...path]);
      return;
    case 'object':
      if (value === null) return;
      if (ancestors.has(value)) refuse(path, 'a circular reference');
      ancestors.add(value);
      inspectObject(value, path, ancestors, tags);
      ancestors.delete(value);
      return;
    default:
      refuse(path, typeof value === 'bigint' ? 'a BigInt' : `a ${typeof value}`);
  }
}

function inspectObject(value: object, path: PathKey[], ancestors: Set<object>, tags: Tag[]): void {
  const proto: unknown = Object.getPrototypeOf(value);
  const ownKeys = Reflect.ownKeys(value);
  if (ownKeys.some((k) => typeof k === 'symbol')) refuse(path, 'an object with symbol-keyed properties');
  if (proto === Date.prototype) {
    if (ownKeys.length > 0) refuse(path, 'a Date with properties of its own');
    tags.push(['Date', ...path]);
    return;
  }
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) refuse(path, `${describeClass(proto)} (an Array subclass)`);
    // Own keys are the indices plus `length`: fewer means holes, more means extra properties.
    if (ownKeys.length !== value.length + 1) refuse(path, 'a sparse array or an array with extra properties');
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      inspect(value[i], path, ancestors, tags);
      path.pop();
    }
    return;
  }
  if (proto !== Object.prototype && proto !== null) refuse(path, describeClass(proto));
  const keys = Object.keys(value);
  if (keys.length !== ownKeys.length) refuse(path, 'an object with non-enumerable properties');
  if (proto === null) tags.push(['null-prototype', ...path]);
  const record = value as Record<string, unknown>;
  for (const key of keys) {
    path.push(key);
    inspect(record[key], path, ancestors, tags);
    path.pop();
  }
}

function untag(kind: TagKind, stored: unknown): unknown {
  switch (kind) {
    case 'NaN':
      return Number.NaN;
    case 'Infinity':
      return Number.POSITIVE_INFINITY;
    case '-Infinity':
      return Number.NEGATIVE_INFINITY;
    case '-0':
      return -0;
    case 'undefined':
      return undefined;
    case 'Date':
      if (stored !== null && typeof stored !== 'string') throw new Error('malformed Date tag');
      return new Date(stored === null ? Number.NaN : stored);
    case 'null-prototype':
      if (typeof stored !== 'object' || stored === null) throw new Error('malformed null-prototype tag');
      return Object.setPrototypeOf(stored, null);
    default:
      throw new Error(`unknown tag ${JSON.stringify(kind)}`);
  }
}

/** Steps one key down the decoded value, through own properties only. */
function ownProperty(holder: unknown, key: PathKey): unknown {
  if (typeof holder !== 'object' || holder === null || !Object.hasOwn(holder, key))
    throw new Error('tag path leads nowhere');
  return (holder as Record<PathKey, unknown>)[key];
}

function isTaggedForm(value: unknown): value is { value: unknown; tags: Tag[] } {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, 'value')) return false;
  const tags = (value as { tags?: unknown }).tags;
  return (
    Array.isArray(tags) &&
    tags.every(
      (tag) =>
        Array.isArray(tag) &&
        typeof tag[0] === 'string' &&
        tag.slice(1).every((k) => typeof k === 'string' || typeof k === 'number'),
    )
  );
}

function refuse(path: PathKey[], what: string): never {
  throw new TypeError(
    `jsonSerializer cannot store ${what} at ${formatPath(path)}: it would not read back the same ` +
      '(use v8Serializer or a custom serializer)',
  );
}

function describeClass(proto: unknown): string {
  const name = (proto as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name ? `a ${name}` : 'an object of an unnamed class';
}

function formatPath(path: PathKey[]): string {
  return `value${path
    .map((k) => (typeof k === 'number' ? `[${k}]` : IDENTIFIER.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`))
    .join('')}`;
}
