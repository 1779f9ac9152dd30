/** The safe- lock's value: small, versioned, readable by any process; a 0.1 bare token still reads. */
import { describe, expect, it } from 'vitest';
import { decodeLockValue, encodeLockValue } from '../../src/lock/lock-value.js';

describe('lock value', () => {
  it('is one ASCII line: sg1 <estimate ms> <holder start ms> <token>', () => {
    const bytes = encodeLockValue({
      token: 'host/42/abcdef/7',
      estimateMs: 199.6,
      startedAtMs: 1_700_000_000_123,
    });
    expect(bytes.toString('latin1')).toBe('sg1 200 1700000000123 host/42/abcdef/7');
    expect(decodeLockValue(bytes)).toEqual({
      token: 'host/42/abcdef/7',
      estimateMs: 200,
      startedAtMs: 1_700_000_000_123,
    });
  });

  it('writes - for an unknown estimate', () => {
    const bytes = encodeLockValue({ token: 'h/1/a/1', estimateMs: null, startedAtMs: 5 });
    expect(bytes.toString('latin1')).toBe('sg1 - 5 h/1/a/1');
    expect(decodeLockValue(bytes)).toEqual({ token: 'h/1/a/1', estimateMs: null, startedAtMs: 5 });
  });

  it('reads a 0.1 value (the bare token) or any other shape as a token with no estimate', () => {
    for (const text of ['myhost/1234/0a1b2c3d4e5f/17', 'sg2 100 5 h/1/a/1', 'sg1 x 5 t', 'sg1 100 5 a b']) {
      expect(decodeLockValue(Buffer.from(text))).toEqual({
        token: text,
        estimateMs: null,
        startedAtMs: null,
      });
    }
  });
});
