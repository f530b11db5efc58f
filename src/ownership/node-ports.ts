/**
 * Evidence that a protocol and port on one of this node's IPs is a node port, for the node-IP claim
 * of virtual-servers.ts. A node IP also carries other software's virtual servers (keepalived,
 * another load balancer, an operator's `ipvsadm -A`), so the address alone proves nothing: the
 * port must be a node port someone we answer for published. Each source is one NodePorts:
 *
 * - the NodePort, externalIP and load-balancer sets as the kernel (or the mirror) holds them:
 *   ours and upstream kube-proxy IPVS mode's, which share the names (pkg/proxy/ipvs/proxier.go).
 *   `KUBE-NODE-PORT-TCP`/`-UDP` and their `-LOCAL-` variants are bitmap:port: a member is a port,
 *   served on every node IP. `KUBE-NODE-PORT-SCTP-HASH` and `-LOCAL-SCTP-HASH` are hash:ip,port
 *   with one `nodeIP,sctp:port` member per node IP, so they name the address too, as do
 *   `KUBE-EXTERNAL-IP`(`-LOCAL`) and `KUBE-LOAD-BALANCER` for an externalIP or ingress IP that is
 *   one of the node's own addresses (served there, not bound on kube-ipvs0). IPv6 copies are
 *   `KUBE-6-…` (desired/names.ts). Read before the same plan deletes members, so a port removed in
 *   this sync still vouches for the virtual server the plan deletes;
 * - the servers this process has desired on node IPs (ServedServers, engine/ipvs-mode.ts), which
 *   also covers a node IP that has gone away and a deletion that failed after its set member went.
 */
import { SetName, familySetName, type BaseSetName } from '../desired/names.ts';
import type { VirtualServerKey } from '../kernel/ipvs/types.ts';
import type { IpFamily, Protocol } from '../validate/validate.ts';

type AddressKey = Extract<VirtualServerKey, { kind: 'address' }>;

export class NodePorts {
  readonly #onEveryNodeIP = new Set<string>();
  readonly #onOneNodeIP = new Set<string>();

  /** A port served on every node IP of the family (what a bitmap:port member says). */
  addPort(family: IpFamily, protocol: Protocol, port: number): this {
    this.#onEveryNodeIP.add(portKey(family, protocol, port));
    return this;
  }

  /** A port served on one node IP (what a hash:ip,port member says). */
  addAddressPort(family: IpFamily, protocol: Protocol, address: string, port: number): this {
    this.#onOneNodeIP.add(`${portKey(family, protocol, port)} ${address}`);
    return this;
  }

  has(key: AddressKey): boolean {
    const port = portKey(key.family, key.protocol, key.port);
    return this.#onEveryNodeIP.has(port) || this.#onOneNodeIP.has(`${port} ${key.address}`);
  }

  get size(): number {
    return this.#onEveryNodeIP.size + this.#onOneNodeIP.size;
  }
}

function portKey(family: IpFamily, protocol: Protocol, port: number): string {
  return `${family} ${protocol} ${port}`;
}

/** The sets that name node-IP servers; `protocol` for bitmap:port sets, whose members do not carry one. */
const EVIDENCE_SETS: readonly { readonly base: BaseSetName; readonly protocol?: Protocol }[] = [
  { base: SetName.NODE_PORT_TCP, protocol: 'TCP' },
  { base: SetName.NODE_PORT_LOCAL_TCP, protocol: 'TCP' },
  { base: SetName.NODE_PORT_UDP, protocol: 'UDP' },
  { base: SetName.NODE_PORT_LOCAL_UDP, protocol: 'UDP' },
  { base: SetName.NODE_PORT_SCTP_HASH },
  { base: SetName.NODE_PORT_LOCAL_SCTP_HASH },
  { base: SetName.EXTERNAL_IP },
  { base: SetName.EXTERNAL_IP_LOCAL },
  { base: SetName.LOAD_BALANCER },
];

const FAMILIES: readonly IpFamily[] = [4, 6];

/** Every family's evidence set names (what `--cleanup` reads before destroying them). */
export function nodePortSetNames(): string[] {
  return FAMILIES.flatMap((family) => EVIDENCE_SETS.map(({ base }) => familySetName(base, family)));
}

/**
 * The node ports the evidence sets name (set name → members; any other set in the map is
 * ignored). An absent set is no evidence, and neither is a member not in ipset's canonical text
 * (the kernel layer prints only that): a wrong guess would delete a foreign server.
 */
export function nodePortsFromSets(sets: ReadonlyMap<string, Iterable<string>>): NodePorts {
  const out = new NodePorts();
  for (const family of FAMILIES) {
    for (const { base, protocol } of EVIDENCE_SETS) {
      for (const member of sets.get(familySetName(base, family)) ?? []) addMember(out, family, protocol, member);
    }
  }
  return out;
}

const PORT = /^[0-9]{1,5}$/;
const IP_PORT = /^([^,]+),(tcp|udp|sctp):([0-9]{1,5})$/;

function addMember(out: NodePorts, family: IpFamily, protocol: Protocol | undefined, member: string): void {
  if (protocol !== undefined) {
    if (PORT.test(member)) out.addPort(family, protocol, Number(member));
    return;
  }
  const match = IP_PORT.exec(member);
  if (match === null) return;
  const [, address = '', proto = '', port = ''] = match;
  out.addAddressPort(family, proto.toUpperCase() as Protocol, address, Number(port));
}
