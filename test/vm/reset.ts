/**
 * Removes everything ipvs-proxier may have created in the VM's kernel: our chains and jumps in
 * iptables-nft first (they reference our ipsets, which cannot be destroyed while referenced), then
 * what the user-mode-linux tier's reset removes (IPVS, kube-ipvs0, iptables-legacy, ipsets).
 */
import { removeOurIptables, resetProxierState as resetLegacyAndIpvs } from '../sandbox/reset.ts';

export function resetProxierState(): void {
  removeOurIptables([['iptables-nft', 'iptables-nft-save'], ['ip6tables-nft', 'ip6tables-nft-save']]);
  resetLegacyAndIpvs();
}
