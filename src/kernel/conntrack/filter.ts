import { ValidationError } from '../../errors.ts';
import { parseAddress, parsePort, type Ctx } from '../../validate/validate.ts';
import type { UdpFlowFilter } from './types.ts';

/** Human form of a filter, for error objects: `udp [src 10.0.0.9 ->] 10.96.0.10:53`. */
export function describeFilter(filter: UdpFlowFilter): string {
  const src = filter.source === undefined ? '' : `src ${filter.source} -> `;
  const port = filter.destinationPort === undefined ? '' : `:${filter.destinationPort}`;
  const dst = filter.family === 6 && port !== '' ? `[${filter.destination}]` : filter.destination;
  return `udp ${src}${dst}${port}`;
}

/** Canonical, validated filter; every address must be of the filter's family. */
export function parseUdpFlowFilter(filter: UdpFlowFilter, ctx: Ctx): UdpFlowFilter {
  if (filter.family !== 4 && filter.family !== 6) {
    throw new ValidationError('family', filter.family, 'must be 4 or 6', ctx);
  }
  const destination = parseFamilyAddress(filter.destination, filter.family, ctx, 'destination');
  const source = filter.source === undefined ? undefined : parseFamilyAddress(filter.source, filter.family, ctx, 'source');
  const destinationPort = filter.destinationPort === undefined
    ? undefined
    : parsePort(filter.destinationPort, ctx, 'destinationPort');
  return {
    family: filter.family,
    destination,
    ...(destinationPort === undefined ? {} : { destinationPort }),
    ...(source === undefined ? {} : { source }),
  };
}

function parseFamilyAddress(value: unknown, family: 4 | 6, ctx: Ctx, field: string): string {
  const parsed = parseAddress(value, ctx, field);
  if (parsed.family !== family) {
    throw new ValidationError(field, value, `is IPv${parsed.family} but the filter is IPv${family}`, ctx);
  }
  return parsed.address;
}
