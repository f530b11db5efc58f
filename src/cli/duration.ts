/**
 * Go durations (time.ParseDuration), as kube-proxy's flags and its config file's metav1.Duration
 * fields take them: `30s`, `1m30s`, `250ms`, `1.5h`, `0`, and signed values like `-1s`. Negative
 * values parse, as in Go, so the caller can say "must be >= 0" instead of "not a duration".
 * Results are milliseconds, rounded to the nearest one.
 */
import { ValidationError } from '../errors.ts';

// Go spells microseconds three ways: us, µs (U+00B5, micro sign) and μs (U+03BC, Greek mu).
const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** time.Duration is int64 nanoseconds: about 292 years. */
const MAX_MS = 9_223_372_036_854.775;
const COMPONENT = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y;

/** Milliseconds, or undefined when `text` is not a Go duration. */
export function goDurationMs(text: string): number | undefined {
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.startsWith('-') || text.startsWith('+') ? text.slice(1) : text;
  if (body === '0') return 0;
  if (body === '') return undefined;
  let total = 0;
  COMPONENT.lastIndex = 0;
  while (COMPONENT.lastIndex < body.length) {
    const m = COMPONENT.exec(body);
    const [whole = '', fraction = '', unit = ''] = m === null ? [] : m.slice(1);
    // Go needs a digit before or after the point: ".5s" and "1.s" are fine, ".s" is not.
    if (m === null || (whole === '' && fraction === '')) return undefined;
    total += Number(`${whole || '0'}.${fraction || '0'}`) * (UNIT_MS[unit] ?? NaN);
  }
  if (!Number.isFinite(total) || total > MAX_MS) return undefined;
  return sign * Math.round(total);
}

/** Like goDurationMs, but a value that is not a duration throws a ValidationError naming `field`. */
export function parseDuration(text: string, field: string): number {
  const ms = goDurationMs(text);
  if (ms === undefined) {
    throw new ValidationError(field, text, 'must be a duration like 30s, 1m30s or 250ms', { operation: 'parse configuration' });
  }
  return ms;
}

/** Go's Duration.String() spelling of whole milliseconds, for messages and docs: 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = `${rest / 1000}s`;
  return `${sign}${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}`;
}
