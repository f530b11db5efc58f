/**
 * This node, as the desired state sees it: an input tracked and diffed like Services and
 * EndpointSlices (tracking/node-tracker.ts), so the desired-state step stays pure. Two sources
 * feed it: the Node object (labels, zone, eligibility; cluster mode only) and the kernel's address
 * list (this node's IPs, for NodePort and for telling local addresses apart).
 */
import { KUBE_IPVS_INTERFACE } from '../desired/names.ts';
import type { IpFamily } from '../validate/validate.ts';

export type NodeAddresses = Readonly<Record<IpFamily, readonly string[]>>;

/** What the Node object says; a node seen through no API (manifests mode) has none of it. */
export interface NodeObjectFacts {
  readonly labels: Readonly<Record<string, string>>;
  /** `topology.kubernetes.io/zone`, for topology hints and traffic distribution. */
  readonly zone: string | undefined;
  /** Upstream's NodeEligible: not being deleted, not tainted for deletion by the autoscaler. */
  readonly eligible: boolean;
  /** The Node's primary IPs (status.addresses, upstream's GetNodeHostIPs), at most one per family. */
  readonly primaryIPs: readonly string[];
}

export interface NodeState extends NodeObjectFacts {
  readonly name: string;
  /** This node's IPs per family, sorted (nodeAddressesOf). */
  readonly addresses: NodeAddresses;
}

/** One address of the kernel's list (the link layer's LocalAddress has these fields). */
export interface KernelAddress {
  readonly family: IpFamily;
  readonly address: string;
  readonly linkName: string;
}

export const NO_ADDRESSES: NodeAddresses = { 4: [], 6: [] };

export function initialNodeState(name: string): NodeState {
  return { name, labels: {}, zone: undefined, eligible: true, primaryIPs: [], addresses: NO_ADDRESSES };
}

/**
 * The node's IPs, as upstream's IPVS mode picks NodePort addresses: every local address except
 * the service IPs on kube-ipvs0, without loopback (127.0.0.0/8, ::1) and IPv6 link-local
 * (fe80::/10: not reachable without a zone, and IPVS cannot bind a virtual server to one).
 */
export function nodeAddressesOf(addresses: readonly KernelAddress[]): NodeAddresses {
  const out: Record<IpFamily, Set<string>> = { 4: new Set(), 6: new Set() };
  for (const a of addresses) {
    if (a.linkName === KUBE_IPVS_INTERFACE || isLoopback(a) || isIpv6LinkLocal(a)) continue;
    out[a.family].add(a.address);
  }
  return { 4: [...out[4]].sort(), 6: [...out[6]].sort() };
}

function isLoopback(a: KernelAddress): boolean {
  return a.family === 4 ? a.address.startsWith('127.') : a.address === '::1';
}

function isIpv6LinkLocal(a: KernelAddress): boolean {
  // fe80::/10 is fe80 through febf in the first group; the link layer prints addresses compressed and lower-case.
  return a.family === 6 && /^fe[89ab][0-9a-f]:/.test(a.address);
}

export function sameAddresses(a: NodeAddresses, b: NodeAddresses): boolean {
  return sameList(a[4], b[4]) && sameList(a[6], b[6]);
}

export function sameNodeState(a: NodeState, b: NodeState): boolean {
  return a.name === b.name && a.zone === b.zone && a.eligible === b.eligible && sameList(a.primaryIPs, b.primaryIPs)
    && sameAddresses(a.addresses, b.addresses) && sameLabels(a.labels, b.labels);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
