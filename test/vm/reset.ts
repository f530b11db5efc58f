/**
 * Removes everything ipvs-proxier may have created in the VM's kernel: our chains and jumps in
 * iptables-nft first (they reference our ipsets, which cannot be destroyed while referenced), then
 * what the user-mode-linux tier's reset removes (IPVS, kube-ipvs0, iptables-legacy, ipsets).
 */
import { tokenizeLine } from '../../src/kernel/iptables/text.ts';
import { resetProxierState as resetLegacyAndIpvs } from '../sandbox/reset.ts';
import { tool, toolQuiet } from './require-vm.ts';

export function resetProxierState(): void {
  for (const [cmd, save] of [['iptables-nft', 'iptables-nft-save'], ['ip6tables-nft', 'ip6tables-nft-save']] as const) {
    for (const table of ['nat', 'filter']) {
      const text = safeTool(save, '-t', table);
      for (const line of text.split('\n')) {
        if (!/^-A (PREROUTING|OUTPUT|POSTROUTING|INPUT|FORWARD) .* -j KUBE-[A-Z0-9-]+$/.test(line)) continue;
        // The saved rule, tokenized as iptables-restore would (quoted comments stay one argument).
        const args = tokenizeLine(line);
        if (args !== undefined) toolQuiet(cmd, '-t', table, '-D', ...args.slice(1));
      }
      const chains = text.split('\n').filter((l) => l.startsWith(':KUBE-')).map((l) => l.slice(1).split(' ')[0] ?? '');
      for (const c of chains) toolQuiet(cmd, '-t', table, '-F', c);
      for (const c of chains) toolQuiet(cmd, '-t', table, '-X', c);
    }
  }
  resetLegacyAndIpvs();
}

function safeTool(command: string, ...args: string[]): string {
  try {
    return tool(command, ...args);
  } catch {
    return '';
  }
}
