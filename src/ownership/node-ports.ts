/**
 * Evidence that a protocol and port on one of this node's IPs is a node port, for the node-IP claim
 * of virtual-servers.ts. A node IP also carries other software's virtual servers (keepalived,
 * another load balancer, an operator's `ipvsadm -A`), so the address alone proves nothing: the
 * port must be a node port someone we answer for published. Each source is one NodePorts:
 *
 * - upstream kube-proxy's IPVS mode, read from its NodePort sets as the kernel holds them
 *   (pkg/proxy/ipvs/proxier.go). `KUBE-NODE-PORT-TCP`/`-UDP` and their `-LOCAL-` variants are
 *   bitmap:port: a member is a port, served on every node IP. `KUBE-NODE-PORT-SCTP-HASH` and
 *   `-LOCAL-SCTP-HASH` are hash:ip,port with one `nodeIP,sctp:port` member per node IP, so they
 *   name the address too. IPv6 copies are `KUBE-6-…` (desired/names.ts);
 * - ours, from the desired state, once NodePort lands.
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

/** Upstream's NodePort sets; `protocol` for bitmap:port sets, whose members do not carry one. */
const UPSTREAM_SETS: readonly { readonly base: BaseSetName; readonly protocol?: Protocol }[] = [
  { base: SetName.NODE_PORT_TCP, protocol: 'TCP' },
  { base: SetName.NODE_PORT_LOCAL_TCP, protocol: 'TCP' },
  { base: SetName.NODE_PORT_UDP, protocol: 'UDP' },
  { base: SetName.NODE_PORT_LOCAL_UDP, protocol: 'UDP' },
  { base: SetName.NODE_PORT_SCTP_HASH },
  { base: SetName.NODE_PORT_LOCAL_SCTP_HASH },
];

const FAMILIES: readonly IpFamily[] = [4, 6];

/** Every family's upstream NodePort set names (what `--cleanup` reads before destroying them). */
export function upstreamNodePortSetNames(): string[] {
  return FAMILIES.flatMap((family) => UPSTREAM_SETS.map(({ base }) => familySetName(base, family)));
}

/**
 * Upstream's node ports, from the members of its NodePort sets (set name → members; any other set
 * in the map is ignored). An absent set is no evidence, and neither is a member not in ipset's
 * canonical text (the kernel layer prints only that): a wrong guess would delete a foreign server.
 */
export function upstreamNodePorts(sets: ReadonlyMap<string, Iterable<string>>): NodePorts {
  const out = new NodePorts();
  for (const family of FAMILIES) {
    for (const { base, protocol } of UPSTREAM_SETS) {
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
