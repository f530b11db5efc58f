/**
 * What the bad-input corpus checks in the fake kernel after each input: the good Services' state is
 * still there, unchanged; no address the kernel must never get appears anywhere; and, once the
 * input is removed, the kernel is exactly as before it (nothing leaked).
 */
import assert from 'node:assert/strict';
import type { FakeKernel } from '../../../src/kernel/fake-kernel.ts';

export interface KernelState {
  /** One line per virtual server with its real servers, sorted. */
  readonly virtualServers: readonly string[];
  /** One line per set member, sorted. */
  readonly members: readonly string[];
  readonly addresses: readonly string[];
}

export async function kernelState(kernel: FakeKernel): Promise<KernelState> {
  const [dump, sets, addresses] = await Promise.all([kernel.ipvs.dump(), kernel.ipset.list(), kernel.links.listAddresses('kube-ipvs0').catch(() => [])]);
  return {
    virtualServers: dump.map((d) => JSON.stringify(d)).sort(),
    members: sets.flatMap((s) => s.members.map((m) => `${s.name} ${m}`)).sort(),
    addresses: addresses.map((a) => JSON.stringify(a)).sort(),
  };
}

/** Every piece of `baseline` is still in `now`, byte for byte. */
export function assertGoodUnchanged(baseline: KernelState, now: KernelState, what: string): void {
  for (const key of ['virtualServers', 'members', 'addresses'] as const) {
    const present = new Set(now[key]);
    for (const item of baseline[key]) assert.ok(present.has(item), `${what}: lost or changed ${key}: ${item}`);
  }
}

/**
 * Unspecified, this-network, loopback, broadcast, multicast and link-local addresses, as they appear
 * in JSON dumps and set members. A VIP or real server there hijacks node traffic or breaks the ipset.
 */
const FORBIDDEN = /(^|[^0-9a-f:.])(0\.\d+\.\d+\.\d+|127\.\d+\.\d+\.\d+|255\.255\.255\.255|2(2[4-9]|3\d)\.\d+\.\d+\.\d+|169\.254\.\d+\.\d+|::1?|ff[0-9a-f]{2}:[0-9a-f:]*|fe[89ab][0-9a-f]:[0-9a-f:]*)([^0-9a-f:.]|$)/i;

export function assertNothingForbidden(now: KernelState, what: string): void {
  for (const item of [...now.virtualServers, ...now.members, ...now.addresses]) {
    assert.doesNotMatch(item, FORBIDDEN, `${what}: the kernel got ${item}`);
  }
}
