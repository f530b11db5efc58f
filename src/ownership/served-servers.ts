/**
 * The virtual servers this process has desired on addresses that are not on kube-ipvs0: NodePorts
 * on node IPs, and externalIPs or ingress IPs the node holds on another interface. They count as
 * ours until a full sync sees them gone from both the desired state and the kernel, which covers
 * two cases the set evidence (node-ports.ts) misses: a node IP that went away (the server on it is
 * no longer on a node IP), and a deletion that failed after the plan had removed the set member
 * that vouched for it (the ipset step runs before the IPVS step). Memory: one entry per such
 * server, the same order as the desired state's own.
 */
import { virtualServerId, type VirtualServerId } from '../desired/ids.ts';
import type { VirtualServerKey } from '../kernel/ipvs/types.ts';

type AddressKey = Extract<VirtualServerKey, { kind: 'address' }>;

export class ServedServers {
  readonly #keys = new Map<VirtualServerId, AddressKey>();

  add(key: AddressKey): void {
    this.#keys.set(virtualServerId(key), key);
  }

  has(key: AddressKey): boolean {
    return this.#keys.has(virtualServerId(key));
  }

  /** Forgets every server `keep` says is neither desired nor in the kernel any more. */
  prune(keep: (id: VirtualServerId) => boolean): void {
    for (const id of this.#keys.keys()) if (!keep(id)) this.#keys.delete(id);
  }

  get size(): number {
    return this.#keys.size;
  }
}
