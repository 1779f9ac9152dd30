/** `null` is not "the default": every warmup option given `null` is an InvalidOptionError naming it. */
import { describe, expect, it } from 'vitest';
import { HotKeyRecorder, planWarmup, warmup } from '../../src/index.js';

const WARMUP_OPTIONS = [
  'entries',
  'top',
  'baseUrl',
  'cache',
  'loaders',
  'concurrency',
  'rate',
  'timeoutMs',
  'retries',
  'retryDelayMs',
  'force',
  'signal',
  'onProgress',
];
const RECORDER_OPTIONS = [
  'capacity',
  'hotlistFile',
  'writeIntervalMs',
  'hotlistSize',
  'onWriteError',
  'queryParams',
];

const naming = (name: string) =>
  expect.objectContaining({ code: 'E_INVALID_OPTION', message: expect.stringContaining(`\`${name}\``) });

describe('null options', () => {
  it.each(WARMUP_OPTIONS)('warmup({ %s: null }) and planWarmup() reject it', async (name) => {
    const options = { entries: [], [name]: null } as never;
    await expect(warmup(options)).rejects.toThrow(naming(name));
    expect(() => planWarmup(options)).toThrow(naming(name));
  });

  it.each(RECORDER_OPTIONS)('new HotKeyRecorder({ %s: null }) rejects it', (name) => {
    expect(() => new HotKeyRecorder({ [name]: null } as never)).toThrow(naming(name));
  });
});
