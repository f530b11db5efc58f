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

/** The order of a virtual server's destinations everywhere (desired, observed, mirror): address, then port. */
export function compareRealServers(a: RealServerKey, b: RealServerKey): number {
  return compareRealServerKey(a, b.address, b.port);
}

export function compareRealServerKey(a: RealServerKey, address: string, port: number): number {
  return a.address < address ? -1 : a.address > address ? 1 : a.port - port;
}
