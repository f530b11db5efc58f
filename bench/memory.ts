/** The engine process's memory, for the progress log and the `peak_rss_mib` result. */
import { readFileSync } from 'node:fs';
import { round } from './timed-kernel.ts';

/** The larger of the kernel's two views of this process's peak resident set, in MiB. */
export function peakRssMiB(): number {
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return round(Math.max(process.resourceUsage().maxRSS, Number(hwm ?? 0)) / 1024);
}

/** One progress-log line: where the memory is now, and the peak so far. */
export function memory(): string {
  const m = process.memoryUsage();
  const mib = (n: number): string => `${round(n / 1048576)} MiB`;
  return `rss ${mib(m.rss)} (peak ${peakRssMiB()} MiB), heap used ${mib(m.heapUsed)} of ${mib(m.heapTotal)}, external ${mib(m.external)} (array buffers ${mib(m.arrayBuffers)})`;
}
