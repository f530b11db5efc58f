/**
 * Picks the iptables backend the node already uses, as upstream's iptables-wrapper does for the
 * kube-proxy image (kubernetes-sigs/iptables-wrappers): legacy and nft are separate rulesets, and
 * rules written to the one the kubelet and CNI do not use are silently ignored.
 *
 * 1. The kubelet's marker chains (KUBE-IPTABLES-HINT, KUBE-KUBELET-CANARY) say where it writes.
 * 2. Otherwise the backend holding more rules wins.
 * 3. Otherwise (a fresh node) nft, the default of current distributions.
 * A save tool that is missing or fails counts as an empty ruleset.
 */
import type { CommandRunner } from '../exec/exec.ts';
import { binaries } from './backend.ts';
import type { IptablesBackend } from './types.ts';

const KUBELET_MARKERS = /^:(KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY) /m;

export interface DetectedBackend {
  readonly backend: IptablesBackend;
  readonly reason: string;
}

export async function detectBackend(runner: CommandRunner): Promise<DetectedBackend> {
  const [legacy, nft] = await Promise.all([saveText(runner, 'legacy'), saveText(runner, 'nft')]);
  if (KUBELET_MARKERS.test(nft)) return { backend: 'nft', reason: 'kubelet marker chains in iptables-nft' };
  if (KUBELET_MARKERS.test(legacy)) return { backend: 'legacy', reason: 'kubelet marker chains in iptables-legacy' };
  const legacyRules = countRules(legacy);
  const nftRules = countRules(nft);
  if (legacyRules > nftRules) return { backend: 'legacy', reason: `iptables-legacy holds more rules (${legacyRules} vs ${nftRules})` };
  if (nftRules > 0) return { backend: 'nft', reason: `iptables-nft holds more rules (${nftRules} vs ${legacyRules})` };
  return { backend: 'nft', reason: 'no rules in either backend: the distribution default' };
}

async function saveText(runner: CommandRunner, backend: IptablesBackend): Promise<string> {
  const texts = await Promise.all(([4, 6] as const).map(async (family) => {
    try {
      return (await runner.run(binaries(backend, family).save, [], { operation: 'iptables backend detection', timeoutMs: 10_000 })).stdout;
    } catch {
      return ''; // not installed, or the kernel lacks this backend: nothing is written there
    }
  }));
  return texts.join('\n');
}

function countRules(save: string): number {
  let count = 0;
  for (const line of save.split('\n')) if (line.startsWith('-A ')) count++;
  return count;
}
