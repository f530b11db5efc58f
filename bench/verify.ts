/**
 * Counts what the kernel holds, read with the Debian tools: a benchmark number only counts when the
 * state it claims to have programmed is really there.
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
  const ipvs = run('ipvsadm', '-Sn').split('\n');
  const addresses = run('ip', '-o', '-4', 'addr', 'show', 'dev', 'kube-ipvs0').split('\n').filter((l) => l !== '').length;
  return {
    virtualServers: ipvs.filter((l) => l.startsWith('-A ')).length,
    destinations: ipvs.filter((l) => l.startsWith('-a ')).length,
    addresses,
    sets: Object.fromEntries(SETS.map((s) => [s, setEntries(s)])),
  };
}

export function expectCounts(what: string, actual: KernelCounts, expected: KernelCounts): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: the kernel holds ${a}, expected ${e}`);
}

function setEntries(name: string): number {
  const m = /^Number of entries: (\d+)$/m.exec(run('ipset', 'list', '-t', name));
  if (m?.[1] === undefined) throw new Error(`ipset list -t ${name} printed no entry count`);
  return Number(m[1]);
}

function run(command: string, ...args: string[]): string {
  // ipvsadm -Sn prints ~5 MB for 100k destinations.
  return execFileSync(command, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } });
}
