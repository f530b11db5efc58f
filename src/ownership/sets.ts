/**
 * Which ipsets are ours: a list of exact names, never a prefix. Two kinds:
 *
 * - `ours`: the sets this proxier creates and keeps (desired/ipsets.ts);
 * - `adopted`: every other set upstream kube-proxy's IPVS mode creates (pkg/proxy/ipvs/ipset.go
 *   ipsetInfo). A node migrating from upstream still has them, full of members and referenced by
 *   upstream's chains; we remove them once those chains are gone (see iptables-removal.ts).
 *
 * A `KUBE-` prefix proves nothing: kube-router's network-policy sets are `KUBE-SRC-…`/`KUBE-DST-…`,
 * and any operator may name a set `KUBE-something`. Those are foreign and never touched.
 */
import { desiredSets } from '../desired/ipsets.ts';
import { SetName, familySetName } from '../desired/names.ts';
import type { IpFamily } from '../validate/validate.ts';

export type Owner = 'ours' | 'adopted';

const FAMILIES: readonly IpFamily[] = [4, 6];

function ownersOf(family: IpFamily): ReadonlyMap<string, Owner> {
  const out = new Map<string, Owner>();
  for (const base of Object.values(SetName)) out.set(familySetName(base, family), 'adopted');
  for (const spec of desiredSets(family)) out.set(spec.name, 'ours');
  return out;
}

const OWNERS: ReadonlyMap<IpFamily, ReadonlyMap<string, Owner>> = new Map(FAMILIES.map((f) => [f, ownersOf(f)]));

/** `ours`, `adopted`, or undefined for a foreign set. A set of the other family is not this family's. */
export function setOwner(name: string, family: IpFamily): Owner | undefined {
  return OWNERS.get(family)?.get(name);
}

export function isOwnedSet(name: string, family: IpFamily): boolean {
  return setOwner(name, family) !== undefined;
}

/** The family whose name scheme a set of ours follows (`KUBE-6-…` is IPv6); undefined: foreign. */
export function ownedSetFamily(name: string): IpFamily | undefined {
  return FAMILIES.find((family) => isOwnedSet(name, family));
}
