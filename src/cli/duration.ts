/** Go-style durations as kube-proxy flags take them: `30s`, `1m30s`, `250ms`, `0`. */
import { ValidationError } from '../errors.ts';

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, field: string): number {
  const ctx = { operation: 'parse flags' };
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? NaN);
    consumed = re.lastIndex;
  }
  if (text.length === 0 || consumed !== text.length || !Number.isFinite(total)) {
    throw new ValidationError(field, text, 'must be a duration like 30s, 1m30s or 250ms', ctx);
  }
  return Math.round(total);
}
