/** The benchmark's result object (what --json prints), its targets, and the readable table. */
import type { CallTiming } from './timed-kernel.ts';

export interface BenchResult {
  services: number;
  endpoints: number;
  destinations: number;
  changes: number;
  cold_sync_ms: number;
  cold_sync_writes: number;
  /** Where the cold sync's time went: kernel calls by subsystem method (reads overlap). */
  cold_sync_kernel_ms: Record<string, CallTiming>;
  /** Cold sync wall time with no kernel call in flight: contributions, diff, plan (not encoding, which runs inside the calls). */
  cold_sync_compute_ms: number;
  ipvsadm_restore_ms: number;
  ipset_restore_ms: number;
  /** Context only, not in the target: the kube-ipvs0 addresses with `ip -batch`. */
  ip_batch_ms: number;
  noop_writes: number;
  noop_ms: number;
  noop_full_writes: number;
  noop_full_ms: number;
  change_p50_ms: number;
  change_p99_ms: number;
  change_max_ms: number;
  change_writes_max: number;
  /** Kernel calls of the slowest endpoint change. */
  change_max_kernel_ms: Record<string, CallTiming>;
  /** A full resync after the changes: 0 means the mirror still matched the kernel. */
  final_full_writes: number;
  peak_rss_mib: number;
  targets: Record<string, Target>;
  targets_met: boolean;
}

export interface Target {
  target: string;
  measured: number;
  pass: boolean;
}

export type Measured = Omit<BenchResult, 'targets' | 'targets_met'>;

export function withTargets(m: Measured): BenchResult {
  const tools = m.ipvsadm_restore_ms + m.ipset_restore_ms;
  const targets: Record<string, Target> = {
    cold_sync_vs_tools: { target: '≤ 1/3 of (ipvsadm -R + ipset restore)', measured: ratio(m.cold_sync_ms, tools), pass: m.cold_sync_ms <= tools / 3 },
    noop_writes: { target: '= 0 (partial and full)', measured: m.noop_writes + m.noop_full_writes, pass: m.noop_writes === 0 && m.noop_full_writes === 0 },
    change_p99: { target: '≤ 1 % of cold_sync_ms', measured: ratio(m.change_p99_ms, m.cold_sync_ms), pass: m.change_p99_ms <= m.cold_sync_ms / 100 },
    change_writes_max: { target: '≤ 4', measured: m.change_writes_max, pass: m.change_writes_max <= 4 },
    peak_rss_mib: { target: '≤ 250 MiB', measured: m.peak_rss_mib, pass: m.peak_rss_mib <= 250 },
  };
  return { ...m, targets, targets_met: Object.values(targets).every((t) => t.pass) };
}

function ratio(a: number, b: number): number {
  return b === 0 ? Number.POSITIVE_INFINITY : Math.round((a / b) * 10_000) / 10_000;
}

export function formatTable(r: BenchResult): string {
  const rows: [string, string][] = [
    ['workload', `${r.services} services × ${r.endpoints} endpoints = ${r.destinations} destinations`],
    ['cold sync', `${r.cold_sync_ms} ms, ${r.cold_sync_writes} writes (compute ${r.cold_sync_compute_ms} ms)`],
    ...Object.entries(r.cold_sync_kernel_ms).map(([k, t]): [string, string] => [`  ${k}`, `${t.ms} ms in ${t.calls} call(s)`]),
    ['ipvsadm -R', `${r.ipvsadm_restore_ms} ms`],
    ['ipset restore', `${r.ipset_restore_ms} ms`],
    ['ip -batch (context)', `${r.ip_batch_ms} ms`],
    ['no-op resync (partial)', `${r.noop_ms} ms, ${r.noop_writes} writes`],
    ['no-op resync (full)', `${r.noop_full_ms} ms, ${r.noop_full_writes} writes`],
    [`endpoint change (${r.changes}×)`, `p50 ${r.change_p50_ms} ms, p99 ${r.change_p99_ms} ms, max ${r.change_max_ms} ms, writes ≤ ${r.change_writes_max}`],
    ...Object.entries(r.change_max_kernel_ms).map(([k, t]): [string, string] => [`  slowest: ${k}`, `${t.ms} ms in ${t.calls} call(s)`]),
    ['full resync after changes', `${r.final_full_writes} writes`],
    ['peak RSS', `${r.peak_rss_mib} MiB`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  lines.push('', 'targets:');
  for (const [name, t] of Object.entries(r.targets)) lines.push(`  ${t.pass ? 'PASS' : 'MISS'}  ${name.padEnd(20)} ${t.target}; measured ${t.measured}`);
  return `${lines.join('\n')}\n`;
}
