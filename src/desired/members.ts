/** Set member text in `ipset save` form, shared by the contributors. */
import type { Protocol } from '../validate/validate.ts';

/** hash:ip,port: `10.96.0.1,tcp:80`. */
export function ipPortMember(address: string, protocol: Protocol, port: number): string {
  return `${address},${protocol.toLowerCase()}:${port}`;
}

export function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}
