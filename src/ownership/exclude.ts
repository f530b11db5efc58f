/** `--ipvs-exclude-cidrs`: upstream never cleans up virtual servers inside these ranges. */
import ipaddr from 'ipaddr.js';

export function isExcluded(address: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return false;
  const parsed = ipaddr.parse(address);
  return cidrs.some((cidr) => {
    const [network, prefix] = ipaddr.parseCIDR(cidr);
    return network.kind() === parsed.kind() && parsed.match(network, prefix);
  });
}
