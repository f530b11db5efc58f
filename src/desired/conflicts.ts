/**
 * Two services claiming one virtual server: an externalIP or a ClusterIP shared on one port is a
 * user error the API does not prevent (a probe put a second Service on another's 10.96.10.1:80,
 * and the first one's destinations were silently replaced). Who wins must not depend on event
 * order, and the user must hear about it once, not on every sync.
 *
 * The older service wins, by metadata.creationTimestamp: it was there first, so its clients are
 * the ones already depending on the address, and a newcomer cannot take it over by its name.
 * Equal or unknown times fall back to namespace/name; an unknown time sorts after every known one.
 */
import type { VirtualServerKey } from '../kernel/ipvs/types.ts';
import type { ServiceName } from '../model/types.ts';
import type { VirtualServerId } from './ids.ts';

export interface Claimant {
  readonly name: ServiceName;
  /** ms since the epoch; undefined when unknown. */
  readonly createdAt: number | undefined;
}

/** True when `a` keeps a virtual server `b` also claims. */
export function outranks(a: Claimant, b: Claimant): boolean {
  if (a.createdAt !== b.createdAt) {
    if (a.createdAt === undefined) return false;
    if (b.createdAt === undefined) return true;
    return a.createdAt < b.createdAt;
  }
  return a.name < b.name;
}

export interface Conflict {
  readonly id: VirtualServerId;
  /** For humans: `10.96.10.1:80/TCP`, `[fd00::1]:80/TCP`. */
  readonly virtualServer: string;
  readonly winner: ServiceName;
  readonly loser: ServiceName;
  /** What decided it: the winner is older, or both were created at the same (or an unknown) time. */
  readonly decidedBy: 'creationTimestamp' | 'name';
}

export interface ConflictChanges {
  readonly started: readonly Conflict[];
  readonly ended: readonly Conflict[];
}

export function conflict(id: VirtualServerId, key: VirtualServerKey, winner: Claimant, loser: Claimant): Conflict {
  const decidedBy = winner.createdAt !== loser.createdAt ? 'creationTimestamp' : 'name';
  return { id, virtualServer: describeKey(key), winner: winner.name, loser: loser.name, decidedBy };
}

function describeKey(key: VirtualServerKey): string {
  if (key.kind === 'fwmark') return `fwmark ${key.fwmark}`;
  const host = key.family === 6 ? `[${key.address}]` : key.address;
  return `${host}:${key.port}/${key.protocol}`;
}

/**
 * The conflicts last reported, per virtual server and loser. Only virtual servers touched since
 * the last take() are compared, so a sync that changed nothing costs nothing.
 */
export class ConflictTracker {
  private readonly reported = new Map<VirtualServerId, ReadonlyMap<ServiceName, Conflict>>();
  private touched = new Set<VirtualServerId>();

  /** A virtual server's claims changed; `claims` is how many services claim it now. */
  touch(id: VirtualServerId, claims: number): void {
    if (claims > 1 || this.reported.has(id)) this.touched.add(id);
  }

  take(current: (id: VirtualServerId) => readonly Conflict[]): ConflictChanges {
    const started: Conflict[] = [];
    const ended: Conflict[] = [];
    for (const id of this.touched) {
      const now = new Map(current(id).map((c) => [c.loser, c]));
      const before = this.reported.get(id) ?? new Map<ServiceName, Conflict>();
      for (const [loser, c] of now) {
        const old = before.get(loser);
        if (old?.winner === c.winner) continue;
        if (old !== undefined) ended.push(old);
        started.push(c);
      }
      for (const [loser, old] of before) if (!now.has(loser)) ended.push(old);
      if (now.size > 0) this.reported.set(id, now);
      else this.reported.delete(id);
    }
    this.touched = new Set();
    return { started, ended };
  }
}
