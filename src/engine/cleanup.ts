/**
 * `--cleanup`: removes everything the ownership module (src/ownership/) says is ours, our objects
 * and the upstream kube-proxy leftovers we adopt, and nothing else; then the caller exits. It works
 * on every IP family the node has, whatever `--cluster-cidr` or `--ip-families` say: a dual-stack
 * node's ip6tables rules hold its `KUBE-6-…` sets, which could not be destroyed otherwise.
 *
 * Upstream's IPVS cleanup flushes the WHOLE IPVS table (ipvs.Flush), taking foreign virtual servers
 * with it, and deletes jump rules by target; we delete only what the ownership module claims. The
 * steps run in REMOVAL_ORDER; a failing step does not stop the later ones, but sets a family's
 * rules still hold are left alone rather than failing with EBUSY.
 */
import { ProxierError } from '../errors.ts';
import { IpsetTransaction } from '../kernel/ipset/transaction.ts';
import { IptablesTransaction } from '../kernel/iptables/transaction.ts';
import type { IpvsOperation } from '../kernel/ipvs/types.ts';
import type { Kernel } from '../kernel/kernel.ts';
import { ipv6StackPresent } from './families.ts';
import type { LinkInfo } from '../kernel/link/types.ts';
import { KUBE_IPVS_INTERFACE } from '../desired/names.ts';
import { InUseError } from '../ownership/errors.ts';
import { addRemoval, analyzeRemoval, isEmptyRemoval, type RuleRef } from '../ownership/iptables-removal.ts';
import { REMOVAL_ORDER, type RemovalStep } from '../ownership/removal-order.ts';
import { ownedSetFamily } from '../ownership/sets.ts';
import { nodePortSetNames, nodePortsFromSets } from '../ownership/node-ports.ts';
import { ownsVirtualServer, type VirtualServerScope } from '../ownership/virtual-servers.ts';
import { nodeAddressesOf } from '../model/node-state.ts';
import type { IpFamily } from '../validate/validate.ts';

export interface CleanupReport {
  readonly virtualServers: number;
  readonly chains: number;
  readonly sets: number;
  readonly linkDeleted: boolean;
  readonly errors: readonly ProxierError[];
}

export async function cleanup(kernel: Kernel): Promise<CleanupReport> {
  const run = new CleanupRun(kernel);
  const steps: Record<RemovalStep, () => Promise<void>> = {
    virtualServers: () => run.virtualServers(),
    iptables: () => run.iptables(),
    ipsets: () => run.ipsets(),
    link: () => run.link(),
  };
  for (const step of REMOVAL_ORDER) await run.attempt(`cleanup ${step}`, steps[step]);
  return run.report();
}

class CleanupRun {
  readonly #kernel: Kernel;
  readonly #errors: ProxierError[] = [];
  #link: LinkInfo | undefined;
  #virtualServers = 0;
  #chains = 0;
  #sets = 0;
  #linkDeleted = false;
  /** Sets that rules staying on the node still match, with one such rule. */
  readonly #setsInUse = new Map<string, RuleRef>();
  /** Families whose iptables are not (yet) clean: their rules may still hold their sets. */
  readonly #iptablesLeft = new Set<IpFamily>([4, 6]);

  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  report(): CleanupReport {
    return { virtualServers: this.#virtualServers, chains: this.#chains, sets: this.#sets, linkDeleted: this.#linkDeleted, errors: this.#errors };
  }

  /** Runs one part; a failure is recorded, and the caller learns whether it succeeded. */
  async attempt(operation: string, run: () => Promise<void>): Promise<boolean> {
    try {
      await run();
      return true;
    } catch (error) {
      this.#errors.push(error instanceof ProxierError ? error : new ProxierError('ERR_CLEANUP', String(error), { operation, cause: error }));
      return false;
    }
  }

  /**
   * Virtual servers on kube-ipvs0's addresses, and upstream's NodePort virtual servers on the node's
   * IPs (every family; `--ipvs-exclude-cidrs` does not apply). Runs first: the ipsets step destroys
   * the NodePort sets that say which node-IP servers are upstream's.
   */
  async virtualServers(): Promise<void> {
    this.#link = await this.#kernel.links.getLink(KUBE_IPVS_INTERFACE);
    const addresses = this.#link === undefined ? [] : await this.#kernel.links.listAddresses(KUBE_IPVS_INTERFACE);
    const bound = new Set(addresses.map((a) => a.address));
    const scope: VirtualServerScope = {
      family: undefined, onKubeIpvs0: (address) => bound.has(address), ...(await this.#nodePorts()), excludeCIDRs: [],
    };
    const services = await this.#kernel.ipvs.listServices();
    const deletes: IpvsOperation[] = services.filter((s) => ownsVirtualServer(s.key, scope)).map((s) => ({ op: 'deleteService', key: s.key }));
    if (deletes.length === 0) return;
    const result = await this.#kernel.ipvs.apply(deletes);
    this.#errors.push(...result.failures.map((f) => f.error));
    this.#virtualServers = deletes.length;
  }

  /**
   * The node's IPs and upstream's node ports, for the node-IP claim. If they cannot be read, that
   * is reported and no node-IP server is claimed: keeping one is safer than guessing.
   */
  async #nodePorts(): Promise<Pick<VirtualServerScope, 'nodeIPs' | 'nodePorts'>> {
    let evidence: Pick<VirtualServerScope, 'nodeIPs' | 'nodePorts'> = { nodeIPs: new Set(), nodePorts: [] };
    await this.attempt('cleanup virtualServers: node ports', async () => {
      const [local, sets] = await Promise.all([this.#kernel.links.listLocalAddresses(), this.#kernel.ipset.list()]);
      const node = nodeAddressesOf(local);
      const names = new Set(nodePortSetNames());
      const nodePortSets = new Map(sets.filter((set) => names.has(set.name)).map((set) => [set.name, set.members]));
      evidence = { nodeIPs: new Set([...node[4], ...node[6]]), nodePorts: [nodePortsFromSets(nodePortSets)] };
    });
    return evidence;
  }

  async iptables(): Promise<void> {
    const families = await nodeFamilies(this.#kernel);
    for (const family of [4, 6] as const) if (!families.includes(family)) this.#iptablesLeft.delete(family);
    for (const family of families) {
      if (await this.attempt(`cleanup iptables v${family}`, () => this.#iptablesOf(family))) this.#iptablesLeft.delete(family);
    }
  }

  async #iptablesOf(family: IpFamily): Promise<void> {
    const { removal, setsInUse } = analyzeRemoval(await this.#kernel.iptables.save(family), 'all');
    for (const [set, rule] of setsInUse) if (!this.#setsInUse.has(set)) this.#setsInUse.set(set, rule);
    if (!isEmptyRemoval(removal)) await this.#kernel.iptables.restore(family, addRemoval(new IptablesTransaction(family), removal));
    this.#chains += removal.deleteChains.length;
    for (const held of removal.heldChains) {
      this.#errors.push(new InUseError(`IPv${family} chain ${held.table}/${held.chain}`, held.heldBy, 'cleanup iptables'));
    }
  }

  /** One `ipset restore` for every owned set, of every family, that no remaining rule matches. */
  async ipsets(): Promise<void> {
    const tx = new IpsetTransaction();
    for (const name of await this.#kernel.ipset.listNames()) {
      const family = ownedSetFamily(name);
      // A family whose iptables failed is reported already; its sets would only add EBUSY failures.
      if (family === undefined || this.#iptablesLeft.has(family)) continue;
      const heldBy = this.#setsInUse.get(name);
      if (heldBy === undefined) tx.destroy(name);
      else this.#errors.push(new InUseError(`set ${name}`, heldBy, 'cleanup ipsets'));
    }
    if (tx.size === 0) return;
    await this.#kernel.ipset.apply(tx);
    this.#sets = tx.size;
  }

  async link(): Promise<void> {
    if (this.#link === undefined) return;
    await this.#kernel.links.deleteLink(KUBE_IPVS_INTERFACE);
    this.#linkDeleted = true;
  }
}

/** IPv4 always; IPv6 when the node has the stack, whatever the flags say (issue 9). */
async function nodeFamilies(kernel: Kernel): Promise<IpFamily[]> {
  return (await ipv6StackPresent(kernel)) ? [4, 6] : [4];
}
