/** `--ipvs-exclude-cidrs`: upstream never cleans up virtual servers inside these ranges. */
import { inAnyCidr } from '../validate/cidr.ts';

export function isExcluded(address: string, cidrs: readonly string[]): boolean {
  return inAnyCidr(address, cidrs);
}
