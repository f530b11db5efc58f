/**
 * What only ipvsadm refuses (exit 2, which stops the whole `ipvsadm -R`) or cannot read back. The
 * operation has already passed the shared validator (validate.ts); these must never reach ipvsadm.
 */
import { ValidationError } from '../../errors.ts';
import type { Ctx } from '../../validate/validate.ts';
import {
  ServiceFlag, describeRealServer, describeVirtualServer,
  type IpvsOperation, type RealServer, type VirtualServer, type VirtualServerKey,
} from './types.ts';
import { defaultNetmask } from './validate.ts';

/** ipvsadm's MAX_TIMEOUT (31 days) for -p and --set. */
export const IPVSADM_MAX_TIMEOUT = 86400 * 31;

function checkServiceForIpvsadm(service: VirtualServer, ctx: Ctx): void {
  const { key, flags } = service;
  if ((flags & ServiceFlag.PERSISTENT) !== 0) {
    if (service.timeout < 1 || service.timeout > IPVSADM_MAX_TIMEOUT) {
      throw new ValidationError('timeout', service.timeout, `ipvsadm -p takes 1..${IPVSADM_MAX_TIMEOUT}`, ctx);
    }
  } else if (service.timeout !== 0 || service.netmask !== defaultNetmask(key.family)) {
    // ipvsadm -S prints -p/-M only for persistent services: the values would not read back.
    throw new ValidationError('timeout', service.timeout, 'ipvsadm sets timeout and netmask only on persistent services', ctx);
  }
  if ((flags & ServiceFlag.ONEPACKET) !== 0 && !(key.kind === 'address' && key.protocol === 'UDP')) {
    throw new ValidationError('flags', flags, 'ipvsadm allows one-packet scheduling only for UDP services', ctx);
  }
  if ((flags & ServiceFlag.SCHED3) !== 0 && (service.scheduler === 'sh' || service.scheduler === 'mh')) {
    // ipvsadm prints sh/mh flags by alias name and has none for flag-3: `-b ` would come back empty.
    throw new ValidationError('flags', flags, `ipvsadm cannot read back flag-3 of the ${service.scheduler} scheduler`, ctx);
  }
}

function checkDestinationForIpvsadm(service: VirtualServerKey, dest: RealServer, ctx: Ctx): void {
  if (dest.forward !== 'masq' && dest.forward !== 'droute' && dest.forward !== 'tunnel') {
    throw new ValidationError('forward', dest.forward, 'ipvsadm can only set masq, droute or tunnel', ctx);
  }
  if (dest.family !== service.family && dest.forward !== 'tunnel') {
    throw new ValidationError('family', dest.family, 'a destination of another family needs tunnel forwarding', ctx);
  }
  const servicePort = service.kind === 'address' ? service.port : 0;
  if (dest.forward !== 'masq' && dest.port !== servicePort) {
    // ipvsadm silently replaces the port of a gatewaying/tunneling server with the service port.
    throw new ValidationError('destination port', dest.port, `ipvsadm forces ${servicePort} for ${dest.forward}`, ctx);
  }
}

/** What ipvsadm refuses (exit 2, aborting the restore) or cannot read back; the op is normalized. */
export function checkIpvsadmLimits(op: IpvsOperation): void {
  const operation = `ipvs.${op.op}`;
  switch (op.op) {
    case 'addService':
    case 'updateService':
      checkServiceForIpvsadm(op.service, { operation, object: describeVirtualServer(op.service.key) });
      return;
    case 'addDestination':
    case 'updateDestination':
      checkDestinationForIpvsadm(op.service, op.destination, {
        operation, object: `${describeVirtualServer(op.service)} -> ${describeRealServer(op.destination)}`,
      });
      return;
    case 'deleteService':
    case 'deleteDestination':
      return;
  }
}
