/** Which iptables binaries to run. */
import { ValidationError } from '../../errors.ts';
import type { IptablesBackend, IptablesFamily } from './types.ts';

export const BACKEND_ENV = 'IPVS_PROXIER_IPTABLES_BACKEND';

/**
 * Constructor option, else $IPVS_PROXIER_IPTABLES_BACKEND, else `nft`: the backend current
 * distributions (Debian 11+, RHEL 8+) use, and the one upstream's iptables-wrapper picks on a host
 * without legacy rules. Mixing backends on one host splits the ruleset, so it must be chosen to
 * match the host.
 */
export function resolveBackend(option: unknown, env: NodeJS.ProcessEnv = process.env): IptablesBackend {
  const value = option ?? env[BACKEND_ENV] ?? 'nft';
  if (value === 'legacy' || value === 'nft') return value;
  throw new ValidationError('backend', value, 'must be legacy or nft', {
    operation: 'iptables.backend',
    object: option === undefined ? BACKEND_ENV : 'backend option',
  });
}

export interface IptablesBinaries {
  readonly restore: string;
  readonly save: string;
}

export function binaries(backend: IptablesBackend, family: IptablesFamily): IptablesBinaries {
  const base = family === 4 ? 'iptables' : 'ip6tables';
  return { restore: `${base}-${backend}-restore`, save: `${base}-${backend}-save` };
}
