/** Address-in-range checks on already validated, canonical values (ipaddr.js does the matching). */
import ipaddr from 'ipaddr.js';

/** The address lies inside one of the CIDRs; a CIDR of the other family never matches. */
export function inAnyCidr(address: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return false;
  const parsed = ipaddr.parse(address);
  return cidrs.some((cidr) => {
    const [network, prefix] = ipaddr.parseCIDR(cidr);
    return network.kind() === parsed.kind() && parsed.match(network, prefix);
  });
}
