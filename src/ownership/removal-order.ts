/**
 * The order in which everything we own is removed (`--cleanup`), and why:
 *
 * 1. `virtualServers`: which ones are ours is decided by kube-ipvs0's addresses and, for node-IP
 *    servers, by upstream's NodePort sets (node-ports.ts), so both are read before step 3 destroys
 *    the sets and step 4 the link.
 * 2. `iptables`, every IP family: unhook our jumps, flush our chains, delete them. After this no
 *    rule of ours matches a set any more.
 * 3. `ipsets`, every IP family: the kernel refuses to destroy a set a rule still matches (EBUSY),
 *    so only after the iptables of ALL families are gone (`KUBE-6-…` sets are matched by ip6tables).
 * 4. `link`: kube-ipvs0 last, once nothing is routed to its addresses.
 *
 * A full sync follows the same rule for upstream leftovers: the plan removes their chains in its
 * iptables step and destroys their sets in its last step (plan/plan.ts).
 */
export const REMOVAL_ORDER = ['virtualServers', 'iptables', 'ipsets', 'link'] as const;
export type RemovalStep = (typeof REMOVAL_ORDER)[number];
