import { describe, expect, it } from 'vitest';
import { parseCliArgs, parseDuration, USAGE, UsageError } from '../../src/warmup/cli-args.js';
import { formatSummary, ProgressReporter } from '../../src/warmup/cli-report.js';
import type { WarmupSummary } from '../../src/warmup/crawler.js';

const base = ['--hotlist', 'h.json', '--base-url', 'http://127.0.0.1:3000'];

describe('parseCliArgs', () => {
  it('has the documented defaults', () => {
    expect(parseCliArgs(base)).toMatchObject({
      hotlist: 'h.json',
      baseUrl: 'http://127.0.0.1:3000',
      top: 500,
      concurrency: 8,
      rate: 50,
      timeoutMs: 10_000,
      retries: 2,
      maxFailures: 0,
      force: false,
      dryRun: false,
      json: false,
    });
  });

  it('reads every flag', () => {
    const argv = [...base, '--top', '5', '--concurrency', '2', '--rate', '0', '--timeout', '1.5s'];
    argv.push('--retries', '0', '--max-failures', '3', '--force', '--dry-run', '--json');
    expect(parseCliArgs(argv)).toMatchObject({
      top: 5,
      concurrency: 2,
      rate: 0,
      timeoutMs: 1500,
      retries: 0,
      maxFailures: 3,
      force: true,
      dryRun: true,
      json: true,
    });
    expect(parseCliArgs(['--module', 'm.js', '--hotlist', 'd'])).toMatchObject({ module: 'm.js' });
    expect(parseCliArgs(['-h']).help).toBe(true);
  });

  const bad: Array<[string[], RegExp]> = [
    [['--nope'], /^unknown option --nope$/],
    [[...base, 'extra'], /^unexpected argument extra$/],
    [[...base, '--top'], /argument missing/],
    [[...base, '--top', '0'], /--top must be an integer >= 1/],
    [[...base, '--concurrency', 'many'], /--concurrency must be an integer/],
    [[...base, '--rate', '-1'], /--rate/],
    [[...base, '--timeout', '10'], /--timeout must be a duration/],
    [['--base-url', 'http://x'], /exactly one of --hotlist and --urls/],
    [['--hotlist', 'a', '--urls', 'b', '--base-url', 'http://x'], /exactly one of/],
    [['--urls', 'u.txt'], /--urls needs --base-url/],
    [['--urls', 'u.txt', '--base-url', 'http://x', '--module', 'm.js'], /--module replays loader entries/],
    [['--hotlist', 'h.json'], /--hotlist needs --base-url .* or --module/],
    [['--hotlist', 'h.json', '--base-url', 'localhost:3000'], /--base-url must be an http/],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(' ')} with a one-line UsageError`, () => {
      const error = (() => {
        try {
          parseCliArgs(argv);
        } catch (e) {
          return e as Error;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(UsageError);
      expect(error?.message).toMatch(message);
      expect(error?.message).not.toContain('\n');
    });
  }

  it('documents every flag in --help', () => {
    for (const flag of [
      '--hotlist',
      '--urls',
      '--module',
      '--base-url',
      '--top',
      '--concurrency',
      '--rate',
    ]) {
      expect(USAGE).toContain(flag);
    }
    for (const flag of [
      '--timeout',
      '--retries',
      '--max-failures',
      '--force',
      '--dry-run',
      '--json',
      '--help',
    ]) {
      expect(USAGE).toContain(flag);
    }
    expect(USAGE).toMatch(/130/);
  });
});

describe('parseDuration', () => {
  it('reads ms, s and m', () => {
    expect(parseDuration('--t', '500ms')).toBe(500);
    expect(parseDuration('--t', '10s')).toBe(10_000);
    expect(parseDuration('--t', '2m')).toBe(120_000);
    expect(() => parseDuration('--t', '0s')).toThrow(UsageError);
    expect(() => parseDuration('--t', '1h')).toThrow(/--t must be a duration/);
  });
});

describe('progress and summary', () => {
  const progress = (done: number, total: number) => ({
    done,
    total,
    warmed: done,
    skipped: 0,
    uncacheable: 0,
    failed: 0,
    entry: { key: 'k', count: 1, costMs: 1, replay: null },
    outcome: 'warmed' as const,
  });

  it('prints a plain line every 10% when not on a terminal', () => {
    const lines: string[] = [];
    const reporter = new ProgressReporter({ write: (t: string) => lines.push(t) });
    for (let i = 1; i <= 50; i++) reporter.update(progress(i, 50));
    reporter.end();
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^cache-warmup: 5\/50 \(10%\) warmed 5, skipped 0, failed 0, .*\/s\n$/);
    expect(lines.at(-1)).toMatch(/^cache-warmup: 50\/50 \(100%\)/);
  });

  it('redraws one line on a terminal and clears it at the end', () => {
    const out: string[] = [];
    const reporter = new ProgressReporter({ write: (t: string) => out.push(t), isTTY: true, columns: 80 });
    reporter.update(progress(1, 3));
    reporter.update(progress(3, 3));
    reporter.end();
    expect(out.every((t) => t.startsWith('\r\x1b[2K') && !t.includes('\n'))).toBe(true);
    expect(out[1]).toContain('[########################] 3/3 (100%)');
    expect(out.at(-1)).toBe('\r\x1b[2K');
  });

  it('summarizes counts, saved time, ignored entries and failures', () => {
    const summary: WarmupSummary = {
      total: 3,
      warmed: 1,
      skipped: 1,
      uncacheable: 0,
      failed: 1,
      notRun: 0,
      ignored: { 'no replay recorded': 2 },
      interrupted: false,
      durationMs: 1234,
      estimatedSavedMs: 250,
      failures: [{ key: '/x', target: 'http://h/x', error: 'HTTP 500' }],
    };
    expect(formatSummary(summary)).toBe(
      [
        'cache-warmup: warmed 1, skipped 1, failed 1 of 3 entries in 1.2 s',
        '  estimated database time saved: 250 ms',
        '  ignored (cannot be replayed here): 2 no replay recorded',
        '  failures:',
        '    http://h/x: HTTP 500',
      ].join('\n'),
    );
  });
});
