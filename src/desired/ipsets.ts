/**
 * The ipsets this proxier maintains, as a data table (kube-proxy's ipsetInfo). Which members they
 * hold comes from the service contributions; the sets themselves always exist, so the iptables
 * rules that reference them are static and written once.
 */
import type { IpFamily } from '../validate/validate.ts';
import type { SetType } from '../kernel/ipset/types.ts';
import { SetName, familySetName, type BaseSetName } from './names.ts';

export interface DesiredSetSpec {
  readonly name: string;
  readonly type: SetType;
  readonly family: IpFamily;
  /** Upstream's comment, used in the iptables rules that match the set. */
  readonly comment: string;
}

const SET_TABLE: readonly { readonly base: BaseSetName; readonly type: SetType; readonly comment: string }[] = [
  { base: SetName.LOOP_BACK, type: 'hash:ip,port,ip', comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose' },
  { base: SetName.CLUSTER_IP, type: 'hash:ip,port', comment: 'Kubernetes service cluster ip + port for masquerade purpose' },
  { base: SetName.IPVS_IPS, type: 'hash:ip', comment: 'IPVS virtual server IP addresses' },
];

export function desiredSets(family: IpFamily): DesiredSetSpec[] {
  return SET_TABLE.map(({ base, type, comment }) => ({ name: familySetName(base, family), type, family, comment }));
}

export function setComment(base: BaseSetName): string {
  const row = SET_TABLE.find((r) => r.base === base);
  if (row === undefined) throw new RangeError(`no set table row for ${base}`);
  return row.comment;
}
