/**
 * One log line per conflict between two services over a virtual server, when it begins and when
 * it ends. The desired state decides who wins (desired/conflicts.ts); saying so is the engine's.
 */
import type { Logger } from 'pino';
import type { ConflictChanges } from '../desired/conflicts.ts';
import type { ServiceName } from '../model/types.ts';

/** `describe` names a service for humans: `shop/web (file web.yaml)` when its origin is known. */
export function logConflicts(logger: Logger, changes: ConflictChanges, describe: (name: ServiceName) => string): void {
  for (const c of changes.started) {
    const why = c.decidedBy === 'creationTimestamp' ? 'it is older' : 'same or unknown creation time, first by namespace/name';
    logger.warn(
      { virtualServer: c.virtualServer, winner: c.winner, loser: c.loser, decidedBy: c.decidedBy },
      `services ${describe(c.winner)} and ${describe(c.loser)} both claim ${c.virtualServer}; ${c.winner} is served (${why}), ${c.loser} is not on it`,
    );
  }
  for (const c of changes.ended) {
    logger.info(
      { virtualServer: c.virtualServer, winner: c.winner, loser: c.loser },
      `services ${c.winner} and ${c.loser} no longer both claim ${c.virtualServer}`,
    );
  }
}
