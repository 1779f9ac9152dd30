/** Whatever the broken text, the reason is one line, and a stated place lies inside the text. */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { describeJsonError } from '../../src/warmup/json-error.js';

it('describes any invalid JSON in one line with a place inside the text', () => {
  const jsonish = fc.stringMatching(/^[\s{}[\]",:0-9a-z.-]*$/);
  fc.assert(
    fc.property(jsonish, (text) => {
      let error: Error | undefined;
      try {
        JSON.parse(text);
      } catch (e) {
        error = e as Error;
      }
      fc.pre(error !== undefined);
      const reason = describeJsonError(error as Error, text);
      expect(reason).not.toMatch(/\n/);
      expect(reason).not.toContain('is not valid JSON');
      const place = /^at line (\d+), column (\d+) \(/.exec(reason);
      if (place) {
        const lines = text.split('\n');
        const line = Number(place[1]);
        expect(line).toBeLessThanOrEqual(lines.length);
        expect(Number(place[2])).toBeLessThanOrEqual((lines[line - 1]?.length ?? 0) + 1);
      }
    }),
    { numRuns: 500 },
  );
});
