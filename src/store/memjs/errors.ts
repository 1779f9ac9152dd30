/**
 * What a memjs failure means, as an error class the rest of the library matches on (never on text).
 * The one place that reads memjs's messages: it reports server statuses ("Value too large", "Out of
 * memory") and its own socket timeouts only as text. A node that answers "too large" or "out of memory"
 * is alive: those are writes that did not happen, not news about the node's health. Socket failures
 * keep their Node error (`cause.code`: ECONNREFUSED, ECONNRESET...), which `failureKind` reads.
 */
import {
  describeThrown,
  StoreError,
  StoreOutOfMemoryError,
  StoreTimeoutError,
  ValueTooLargeError,
} from '../../errors.js';

export function fromMemjsError(operation: string, node: string, timeoutMs: number, error: Error): StoreError {
  const message = describeThrown(error);
  if (/too large/i.test(message)) return new ValueTooLargeError(operation, node, error);
  if (/out of memory/i.test(message)) return new StoreOutOfMemoryError(operation, node, error);
  if (/timed out/i.test(message)) return new StoreTimeoutError(operation, node, timeoutMs, error);
  return new StoreError(operation, node, error);
}
