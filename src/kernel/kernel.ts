/** The whole kernel layer as the engine sees it: one handle per subsystem, injected. */
import type { Ipset } from './ipset/types.ts';
import type { Iptables } from './iptables/types.ts';
import type { Ipvs } from './ipvs/types.ts';
import type { Links } from './link/types.ts';
import type { Sysctl } from './sysctl/types.ts';

export interface Kernel {
  readonly ipvs: Ipvs;
  readonly links: Links;
  readonly ipset: Ipset;
  readonly iptables: Iptables;
  readonly sysctl: Sysctl;
}
