/**
 * What the kernel (or the ipset tool) says about one restore line in a given state. The fake uses it
 * to decide whether a line fails; the real implementation uses it after a failed restore, on the
 * state `ipset save` then shows, to learn WHY line N failed without reading ipset's message text.
 * Rules measured with ipset 7.17 on Linux 6.1 (test/sandbox/ipset.test.ts).
 */
import { Errno } from '../../errors.ts';
import { canonicalMember } from './members.ts';
import { SET_TYPES, type IpsetOperation, type IpsetSetState, type SetType, type ValidSetSpec } from './types.ts';

export interface Verdict {
  readonly errno: number;
  /**
   * `tool`: the ipset tool itself refused the line before sending it (it must look the set up to
   * parse an add/del element), which also discards the add/del lines it had buffered, unsent, just
   * before (see pendingRunStart). `kernel`: the kernel refused it; every earlier line is applied.
   */
  readonly stage: 'tool' | 'kernel';
  readonly reason: string;
}

export type SetLookup = (name: string) => IpsetSetState | undefined;

/** undefined when `op` would succeed in this state. `referenced(name)`: an iptables rule uses the set. */
export function verdict(op: IpsetOperation, lookup: SetLookup, referenced: (name: string) => boolean): Verdict | undefined {
  switch (op.op) {
    case 'create':
      return createVerdict(op.spec, op.exist, lookup(op.spec.name));
    case 'add':
    case 'del':
      return memberVerdict(op, lookup(op.set));
    case 'flush':
      return lookup(op.set) === undefined ? kernel(Errno.ENOENT, `set ${op.set} does not exist`) : undefined;
    case 'swap':
      return swapVerdict(op.set, op.other, lookup);
    case 'destroy':
      if (lookup(op.set) === undefined) return op.exist ? undefined : kernel(Errno.ENOENT, `set ${op.set} does not exist`);
      return referenced(op.set) ? kernel(Errno.EBUSY, `set ${op.set} is in use by a kernel component`) : undefined;
  }
}

/**
 * Index of the first line of the add (or del) run the tool had buffered when line `index` failed in
 * the tool: consecutive lines with the same command on the same set, just before `index`. ipset
 * sends such a run as one netlink message once ~4 KiB are buffered (100 hash:ip,port IPv4 entries,
 * 53 hash:ip,port,ip IPv6 entries: measured), so only its last, partial message is really lost;
 * callers treat the whole run as "maybe applied".
 */
export function pendingRunStart(ops: readonly IpsetOperation[], index: number): number {
  const last = ops[index - 1];
  if (last === undefined || (last.op !== 'add' && last.op !== 'del')) return index;
  let start = index - 1;
  for (let i = index - 2; i >= 0; i--) {
    const op = ops[i];
    if (op === undefined || op.op !== last.op || op.set !== last.set) break;
    start = i;
  }
  return start;
}

/**
 * `create -exist` succeeds on an existing set of the same type whose maxelem (hash) or range
 * (bitmap) and extensions match; hashsize may differ (the kernel resizes anyway). Kernel quirk: the
 * family is NOT compared (ip_set_create compares the type's family, which is "any" for these
 * types), so creating an inet6 set over an inet one "succeeds" and leaves the inet set in place.
 * Except hash:ip: its same_set compares the netmask, which defaults to the family's host mask
 * (32 vs 128), so there a family change is EEXIST (measured for all five hash types).
 */
function createVerdict(spec: ValidSetSpec, exist: boolean, existing: IpsetSetState | undefined): Verdict | undefined {
  if (existing === undefined) return undefined;
  if (!exist) return kernel(Errno.EEXIST, `set ${spec.name} already exists`);
  const netmaskDiffers = spec.type === 'hash:ip' && existing.family !== spec.family;
  const same = existing.type === spec.type && existing.maxelem === spec.maxelem && !existing.comment && !netmaskDiffers &&
    existing.range?.from === spec.range?.from && existing.range?.to === spec.range?.to;
  return same ? undefined : kernel(Errno.EEXIST, `set ${spec.name} exists with a different type or header`);
}

function memberVerdict(op: IpsetOperation & { op: 'add' | 'del' }, set: IpsetSetState | undefined): Verdict | undefined {
  if (set === undefined) return { errno: Errno.ENOENT, stage: 'tool', reason: `set ${op.set} does not exist` };
  if (!fits(set, op.member)) return { errno: Errno.EINVAL, stage: 'tool', reason: `${op.member} is not a ${set.type} member of set ${op.set}` };
  const port = set.type === 'bitmap:port' ? Number(op.member) : undefined;
  if (port !== undefined && set.range !== undefined && (port < set.range.from || port > set.range.to)) {
    return kernel(Errno.ERANGE, `${op.member} is outside the range of set ${op.set}`);
  }
  const present = set.members.includes(op.member);
  if (op.op === 'del') return present || op.exist ? undefined : kernel(Errno.ENOENT, `${op.member} is not in set ${op.set}`);
  if (present) return op.exist ? undefined : kernel(Errno.EEXIST, `${op.member} is already in set ${op.set}`);
  if (set.maxelem !== undefined && set.members.length >= set.maxelem) return kernel(Errno.ENOSPC, `set ${op.set} is full`);
  return undefined;
}

/** Swap needs both sets and the same type and family (ip_set_swap: same features and family). */
function swapVerdict(a: string, b: string, lookup: SetLookup): Verdict | undefined {
  const from = lookup(a);
  const to = lookup(b);
  if (from === undefined || to === undefined) return kernel(Errno.ENOENT, `set ${from === undefined ? a : b} does not exist`);
  if (from.type !== to.type || from.family !== to.family) return kernel(Errno.EINVAL, `sets ${a} and ${b} differ in type or family`);
  return undefined;
}

/** Whether the tool can parse `member` for this set (its real type and family, not our spec's). */
function fits(set: IpsetSetState, member: string): boolean {
  if (!(SET_TYPES as readonly string[]).includes(set.type)) return false;
  try {
    const type = set.type as SetType;
    // Range is checked separately: it is the kernel's error, not the tool's.
    return canonicalMember({ name: set.name, type, family: set.family ?? 4 }, member, 'ipset restore') === member;
  } catch {
    return false;
  }
}

function kernel(errno: number, reason: string): Verdict {
  return { errno, stage: 'kernel', reason };
}
