/** What `cache-warmup` prints: progress (a live line on a terminal, plain lines otherwise), summary, plan. */

import type { PlannedEntry, WarmupPlan, WarmupSummary } from './crawler.js';
import type { WarmupProgress } from './crawler-options.js';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Reports progress to `stream`; `end()` clears the live line before the summary is printed. */
export class ProgressReporter {
  readonly #stream: ProgressStream;
  readonly #tty: boolean;
  readonly #started = performance.now();
  #lastLine = 0;
  #lastDrawn = 0;
  #live = false;

  constructor(stream: ProgressStream) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
  }

  update(p: WarmupProgress): void {
    if (this.#tty) {
      // Redraw at most every 100 ms, and always for the last entry.
      const now = performance.now();
      if (p.done < p.total && now - this.#lastDrawn < 100) return;
      this.#lastDrawn = now;
      const line = `${bar(p.done / p.total)} ${progressText(p, this.#started)}`;
      this.#stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, (this.#stream.columns ?? 100) - 1))}`);
      this.#live = true;
      return;
    }
    // A line every 10% (at most every 100 entries), and the last one.
    const every = Math.min(100, Math.max(1, Math.ceil(p.total / 10)));
    if (p.done === p.total || p.done - this.#lastLine >= every) {
      this.#lastLine = p.done;
      this.#stream.write(`cache-warmup: ${progressText(p, this.#started)}\n`);
    }
  }

  end(): void {
    if (this.#live) this.#stream.write('\r\x1b[2K');
    this.#live = false;
  }
}

function progressText(p: WarmupProgress, started: number): string {
  const seconds = (performance.now() - started) / 1000;
  const percent = Math.floor((100 * p.done) / p.total);
  return (
    `${p.done}/${p.total} (${percent}%) warmed ${p.warmed}, skipped ${p.skipped}, failed ${p.failed}` +
    (p.uncacheable > 0 ? `, uncacheable ${p.uncacheable}` : '') +
    `, ${(p.done / Math.max(seconds, 0.001)).toFixed(1)}/s`
  );
}

function bar(fraction: number, width = 24): string {
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** The human summary: one headline, then details only when there is something to say. */
export function formatSummary(s: WarmupSummary): string {
  const lines = [
    `cache-warmup: ${s.interrupted ? 'interrupted: ' : ''}warmed ${s.warmed}, skipped ${s.skipped}, failed ${s.failed}` +
      (s.uncacheable > 0 ? `, uncacheable ${s.uncacheable}` : '') +
      ` of ${s.total} entries in ${seconds(s.durationMs)}` +
      (s.notRun > 0 ? ` (${s.notRun} not run)` : ''),
    `  estimated database time saved: ${seconds(s.estimatedSavedMs)}`,
  ];
  const ignored = Object.entries(s.ignored);
  if (ignored.length > 0) {
    lines.push(`  ignored (cannot be replayed here): ${ignored.map(([why, n]) => `${n} ${why}`).join(', ')}`);
  }
  if (s.failures.length > 0) {
    lines.push(
      `  failures${s.failures.length < s.failed ? ` (first ${s.failures.length})` : ''}:`,
      ...s.failures.map((f) => `    ${f.target}: ${f.error}`),
    );
  }
  return lines.join('\n');
}

/** The dry-run listing: what would be replayed, in order. */
export function formatPlan(plan: WarmupPlan): string {
  const lines = plan.entries.map(
    (e: PlannedEntry, i) =>
      `${String(i + 1).padStart(5)}  impact ${seconds(e.impactMs).padStart(9)}  count ${String(e.count).padStart(8)}` +
      `  cost ${`${e.costMs.toFixed(1)} ms`.padStart(10)}  ${e.target}`,
  );
  const ignored = Object.entries(plan.ignored).map(([why, n]) => `${n} ${why}`);
  lines.push(
    `cache-warmup --dry-run: would replay ${plan.entries.length} entries` +
      (ignored.length > 0 ? `; ignored: ${ignored.join(', ')}` : ''),
  );
  return lines.join('\n');
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
