/**
 * `--cleanup`: removes everything ipvs-proxier owns and nothing else, then the caller exits.
 * Upstream's IPVS cleanup flushes the WHOLE IPVS table (ipvs.Flush), taking foreign virtual servers
 * with it; we delete only virtual servers on kube-ipvs0's addresses.
 *
 * Order: virtual servers, then our iptables chains and the jumps to them (so no rule references a
 * set any more), then our ipsets, then kube-ipvs0 itself.
 */
import { ProxierError } from '../errors.ts';
import { IpsetTransaction } from '../kernel/ipset/transaction.ts';
import type { ChainRef, IptablesFamily } from '../kernel/iptables/types.ts';
import type { IpvsOperation } from '../kernel/ipvs/types.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { KUBE_IPVS_INTERFACE, OWNED_PREFIX } from '../desired/names.ts';

export interface CleanupReport {
  readonly virtualServers: number;
  readonly chains: number;
  readonly sets: number;
  readonly linkDeleted: boolean;
  readonly errors: readonly ProxierError[];
}

export async function cleanup(kernel: Kernel, families: readonly IptablesFamily[]): Promise<CleanupReport> {
  const errors: ProxierError[] = [];
  const attempt = async <T>(operation: string, run: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      errors.push(error instanceof ProxierError ? error : new ProxierError('ERR_CLEANUP', String(error), { operation, cause: error }));
      return fallback;
    }
  };
  const link = await attempt('cleanup link', () => kernel.links.getLink(KUBE_IPVS_INTERFACE), undefined);
  const addresses = link === undefined ? [] : await attempt('cleanup addresses', () => kernel.links.listAddresses(KUBE_IPVS_INTERFACE), []);
  const owned = new Set(addresses.map((a) => a.address));
  const services = await attempt('cleanup ipvs', () => kernel.ipvs.listServices(), []);
  const deletes: IpvsOperation[] = services
    .filter((s) => s.key.kind === 'address' && owned.has(s.key.address))
    .map((s) => ({ op: 'deleteService', key: s.key }));
  if (deletes.length > 0) {
    const result = await attempt('cleanup ipvs', () => kernel.ipvs.apply(deletes), { attempted: 0, failures: [] });
    errors.push(...result.failures.map((f) => f.error));
  }
  let chains = 0;
  for (const family of families) chains += await attempt(`cleanup iptables v${family}`, () => deleteOwnedChains(kernel, family), 0);
  const sets = await attempt('cleanup ipsets', () => destroyOwnedSets(kernel), 0);
  const linkDeleted = link !== undefined && await attempt('cleanup link', async () => {
    await kernel.links.deleteLink(KUBE_IPVS_INTERFACE);
    return true;
  }, false);
  return { virtualServers: deletes.length, chains, sets, linkDeleted, errors };
}

async function deleteOwnedChains(kernel: Kernel, family: IptablesFamily): Promise<number> {
  const state = await kernel.iptables.save(family);
  const chains: ChainRef[] = [];
  for (const [table, tableState] of state.tables) {
    for (const [name, chain] of tableState.chains) {
      if (!chain.builtin && name.startsWith(OWNED_PREFIX)) chains.push({ table: table, chain: name });
    }
  }
  if (chains.length > 0) await kernel.iptables.deleteChains(family, chains);
  return chains.length;
}

async function destroyOwnedSets(kernel: Kernel): Promise<number> {
  const names = (await kernel.ipset.listNames()).filter((n) => n.startsWith(OWNED_PREFIX));
  if (names.length === 0) return 0;
  const tx = new IpsetTransaction();
  for (const name of names) tx.destroy(name);
  await kernel.ipset.apply(tx);
  return names.length;
}
