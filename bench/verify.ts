/**
 * Counts what the kernel holds, read with the Debian tools: a benchmark number only counts when the
 * state it claims to have programmed is really there. The counting happens in a shell pipeline, so
 * the measured process receives a few numbers instead of ~5 MB of `ipvsadm -Sn` text split into
 * 110k lines (which would land on top of the engine's peak heap, right after the cold sync).
 */
import { execFileSync } from 'node:child_process';

export interface KernelCounts {
  readonly virtualServers: number;
  readonly destinations: number;
  readonly addresses: number;
  readonly sets: Readonly<Record<string, number>>;
}

export const SETS = ['KUBE-CLUSTER-IP', 'KUBE-LOOP-BACK', 'KUBE-IPVS-IPS'] as const;

export function countKernel(): KernelCounts {
  const [virtualServers, destinations] = run(`ipvsadm -Sn | awk '/^-A /{s++} /^-a /{d++} END{print s+0, d+0}'`).trim().split(' ').map(Number);
  return {
    virtualServers: virtualServers ?? Number.NaN,
    destinations: destinations ?? Number.NaN,
    addresses: Number(run('ip -o -4 addr show dev kube-ipvs0 | wc -l').trim()),
    sets: Object.fromEntries(SETS.map((s) => [s, setEntries(s)])),
  };
}

export function expectCounts(what: string, actual: KernelCounts, expected: KernelCounts): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: the kernel holds ${a}, expected ${e}`);
}

function setEntries(name: string): number {
  const m = /^Number of entries: (\d+)$/m.exec(run(`ipset list -t ${name}`));
  if (m?.[1] === undefined) throw new Error(`ipset list -t ${name} printed no entry count`);
  return Number(m[1]);
}

/** A fixed pipeline (no outside input), run by sh; its failure (pipefail) fails the benchmark. */
function run(pipeline: string): string {
  return execFileSync('bash', ['-o', 'pipefail', '-c', pipeline], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
}
