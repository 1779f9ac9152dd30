/** Plain-text output: aligned tables, numbers formatted for reading, target lines. */

export interface Table {
  headers: string[];
  rows: string[][];
  /** Per column: numbers read best right-aligned. @default first column left, the rest right */
  align?: Array<'left' | 'right'>;
}

export interface Target {
  description: string;
  pass: boolean;
  /** What was measured, e.g. "max 1 load". */
  actual: string;
}

/** Renders a table with a header rule, columns padded to their widest cell. */
export function renderTable(table: Table): string {
  const widths = table.headers.map((h, i) =>
    Math.max(h.length, ...table.rows.map((row) => (row[i] ?? '').length)),
  );
  const alignOf = (i: number) => table.align?.[i] ?? (i === 0 ? 'left' : 'right');
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const w = widths[i] as number;
        return alignOf(i) === 'left' ? cell.padEnd(w) : cell.padStart(w);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(table.headers), rule, ...table.rows.map(line)].join('\n');
}

export function renderTargets(targets: readonly Target[]): string {
  return targets.map((t) => `  [${t.pass ? 'PASS' : 'MISS'}] ${t.description}: ${t.actual}`).join('\n');
}

/** Milliseconds with one decimal. */
export function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : '-';
}

/** An integer with thousands separators. */
export function int(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '-';
}

/** A ratio such as 0.91x. */
export function ratio(value: number, digits = 2): string {
  return Number.isFinite(value) ? `${value.toFixed(digits)}x` : '-';
}

/** A count that may be fractional (a median of an even number of rounds). */
export function count(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
