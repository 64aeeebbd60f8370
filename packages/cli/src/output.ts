/** Where a command writes: stdout for results, stderr for progress and errors. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  /** Longer cells are cut with an ellipsis. */
  max?: number;
}

/** A plain aligned table, headers in capitals; `(none)` when empty. */
export function table<T>(rows: T[], columns: Column<T>[]): string {
  if (!rows.length) return '(none)';
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row), c.max)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n');
}

function cell(value: unknown, max = 60): string {
  let s: string;
  if (value === null || value === undefined || value === '') s = '-';
  else if (typeof value === 'object') s = JSON.stringify(value);
  else s = String(value);
  s = s.replace(/\s+/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** `key: value` lines, aligned. */
export function fields(pairs: Array<[string, unknown]>): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${cell(v, 200)}`).join('\n');
}

export const json = (value: unknown) => JSON.stringify(value, null, 2);

/** `prl_test_abcd…wxyz`: enough to recognise a key, not enough to use it. */
export function maskKey(key: string): string {
  return key.length > 16 ? `${key.slice(0, 13)}…${key.slice(-4)}` : '****';
}
