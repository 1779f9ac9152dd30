/**
 * The validation helpers every options module uses (the cache's, the middleware's, warmup's, the exporter's,
 * the stores'): each throws an `InvalidOptionError` (a TypeError) naming the option, so every subsystem words
 * its errors the same way. Each subsystem owns its slice of options; only the checks live here.
 */
import { InvalidOptionError } from './errors.js';

/**
 * Checks an options object: an object, only known names, and no `null` values. Left out (or undefined)
 * means the default; null is not a silent synonym for it, since no option documents a meaning for null.
 * `where` prefixes option names in errors (`'wrap().'`).
 */
export function checkObject(name: string, value: unknown, known: ReadonlySet<string>, where: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(where ? `${where.slice(0, -1)}` : name, 'an object', value);
  }
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new InvalidOptionError(`${where}${key}`, 'a known option (unknown name)', key);
    if ((value as Record<string, unknown>)[key] === null) {
      throw new InvalidOptionError(`${where}${key}`, 'left out for its default (null is not a value)', null);
    }
  }
}

export function number(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
  if (!ok) throw new InvalidOptionError(name, `a finite number from ${min} to ${max}`, value);
}

export function integer(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new InvalidOptionError(name, `an integer from ${min} to ${max}`, value);
  }
}

export function oneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new InvalidOptionError(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
}

export function optionalString(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'string') throw new InvalidOptionError(name, 'a string', value);
}
