/** Stable string identities for kernel objects, used as map keys across desired state, mirror and diff. */
import type { RealServerKey, VirtualServerKey } from '../kernel/ipvs/types.ts';

export type VirtualServerId = string;
export type RealServerId = string;

export function virtualServerId(key: VirtualServerKey): VirtualServerId {
  return key.kind === 'fwmark' ? `FWM/${key.family}/${key.fwmark}` : `${key.protocol}/${key.address}/${key.port}`;
}

export function realServerId(key: RealServerKey): RealServerId {
  return `${key.address}/${key.port}`;
}
