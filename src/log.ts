/** Structured JSON logs on stderr (stdout is reserved for command output such as --dry-run plans). */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { component: 'ipvs-proxier' } }, pino.destination({ fd: 2, sync: true }));
}
