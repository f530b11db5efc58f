/**
 * A small model of a cluster's Services and EndpointSlices for model-based churn tests, the
 * fast-check arbitrary of churn commands that mutate it, and an oracle saying what the kernel must
 * hold for it. The oracle is deliberately written from the Kubernetes/kube-proxy rules, NOT from
 * src/desired: a shared bug in both would otherwise go unseen.
 *
 * Commands carry abstract picks (numbers taken modulo whatever exists when they run), so any
 * sequence is valid against any model state, and fast-check can shrink a failing sequence freely.
 */
import fc from 'fast-check';
import type { EndpointSliceInfo, Service } from '../../src/model/types.ts';
import { service, slice } from './objects.ts';

export const NODE = 'churn-node';
const OTHER_NODE = 'other-node';
const SERVICE_NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
/** Fewer addresses than names × 1.5: freed cluster IPs are reused by later services. */
const CLUSTER_IPS = Array.from({ length: 12 }, (_, i) => `10.96.0.${i + 1}`);
const POD_IPS = Array.from({ length: 24 }, (_, i) => `10.244.0.${i + 10}`);
const TARGET_PORTS = [8080, 8443, 5353, 9000];
/** Slices per service: endpoints of one service may be spread over two slices. */
const SLICES_PER_SERVICE = 2;

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export const PORT_TABLE: readonly { readonly protocol: Protocol; readonly port: number }[] = [
  { protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 443 }, { protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 },
  { protocol: 'SCTP', port: 80 }, { protocol: 'SCTP', port: 3868 }, { protocol: 'UDP', port: 5000 },
];

export type EndpointState = 'ready' | 'notReady' | 'terminating' | 'terminatingNotServing';
const STATES: readonly EndpointState[] = ['ready', 'notReady', 'terminating', 'terminatingNotServing'];

export interface ModelPort { readonly name: string; readonly protocol: Protocol; readonly port: number; targetPort: number }
export interface ModelService { readonly clusterIP: string; ports: ModelPort[]; affinity: number | undefined; local: boolean }
/** An EndpointSlice: its ports carry the target port numbers (as the endpoint controller writes them). */
export interface ModelSlice {
  readonly service: string;
  ports: { readonly name: string; readonly protocol: Protocol; readonly port: number }[];
  readonly endpoints: Map<string, EndpointState>;
}

export class ChurnModel {
  readonly services = new Map<string, ModelService>();
  /** Keyed by slice name `<service>-<n>`. */
  readonly slices = new Map<string, ModelSlice>();
}

/** A pod's node never changes: even last octet → this node, so KUBE-LOOP-BACK always has work. */
export function nodeOf(podIP: string): string {
  return Number(podIP.split('.')[3]) % 2 === 0 ? NODE : OTHER_NODE;
}

export function conditionsOf(state: EndpointState): { ready: boolean; serving: boolean; terminating: boolean } {
  switch (state) {
    case 'ready': return { ready: true, serving: true, terminating: false };
    case 'notReady': return { ready: false, serving: false, terminating: false };
    case 'terminating': return { ready: false, serving: true, terminating: true };
    case 'terminatingNotServing': return { ready: false, serving: false, terminating: true };
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

export type ChurnCommand =
  | { readonly op: 'addService'; readonly name: number; readonly ip: number; readonly ports: readonly number[]; readonly target: number; readonly affinity: number | undefined; readonly withSlice: boolean }
  | { readonly op: 'removeService'; readonly pick: number; readonly dropSlices: boolean }
  /** Delete a service and create one (maybe under another name) on its cluster IP, same ports, before the next sync. */
  | { readonly op: 'recreateService'; readonly pick: number; readonly name: number }
  | { readonly op: 'addPort'; readonly pick: number; readonly port: number; readonly target: number; readonly alsoSlice: boolean }
  | { readonly op: 'removePort'; readonly pick: number; readonly port: number; readonly alsoSlice: boolean }
  | { readonly op: 'retargetPort'; readonly pick: number; readonly port: number; readonly target: number; readonly alsoSlice: boolean }
  /** The endpoint controller catching up: every slice of the service gets the service's ports. */
  | { readonly op: 'syncSlicePorts'; readonly pick: number }
  | { readonly op: 'addEndpoint'; readonly pick: number; readonly slice: number; readonly ip: number; readonly state: EndpointState }
  | { readonly op: 'removeEndpoint'; readonly pick: number; readonly endpoint: number }
  | { readonly op: 'setEndpointState'; readonly pick: number; readonly endpoint: number; readonly state: EndpointState }
  | { readonly op: 'setAffinity'; readonly pick: number; readonly timeout: number | undefined }
  | { readonly op: 'togglePolicy'; readonly pick: number }
  | { readonly op: 'removeSlice'; readonly pick: number };

export const COMMAND_KINDS: readonly ChurnCommand['op'][] = [
  'addService', 'removeService', 'recreateService', 'addPort', 'removePort', 'retargetPort', 'syncSlicePorts',
  'addEndpoint', 'removeEndpoint', 'setEndpointState', 'setAffinity', 'togglePolicy', 'removeSlice',
];

export interface ChurnStep { readonly command: ChurnCommand; readonly syncAfter: boolean }

const pick = fc.nat({ max: 999 });
const state = fc.constantFrom<EndpointState>('ready', 'ready', 'notReady', 'terminating', 'terminatingNotServing');
const timeout = fc.constantFrom<number | undefined>(undefined, 10, 600, 10_800);

const commandArbitrary: fc.Arbitrary<ChurnCommand> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('addService' as const), name: pick, ip: pick, ports: fc.uniqueArray(fc.nat({ max: PORT_TABLE.length - 1 }), { minLength: 1, maxLength: 3 }), target: pick, affinity: timeout, withSlice: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeService' as const), pick, dropSlices: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('recreateService' as const), pick, name: pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('addPort' as const), pick, port: pick, target: pick, alsoSlice: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removePort' as const), pick, port: pick, alsoSlice: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('retargetPort' as const), pick, port: pick, target: pick, alsoSlice: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('syncSlicePorts' as const), pick }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('addEndpoint' as const), pick, slice: pick, ip: pick, state }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('removeEndpoint' as const), pick, endpoint: pick }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('setEndpointState' as const), pick, endpoint: pick, state }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('setAffinity' as const), pick, timeout }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('togglePolicy' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeSlice' as const), pick }) },
);

/**
 * `steps` commands; a sync follows a command when it says so (about every second one), so 1 to a
 * few changes accumulate between syncs. The length is fixed (the committed seed must give the
 * promised number of steps), so shrinking "removes" a step by turning it into `undefined`
 * (skipped), which fc.option tries first; it is never generated in practice (1 in 10^6).
 */
export function churnScript(steps: number): fc.Arbitrary<(ChurnStep | undefined)[]> {
  const step = fc.record({ command: commandArbitrary, syncAfter: fc.boolean() });
  return fc.array(fc.option(step, { freq: 1_000_000, nil: undefined }), { minLength: steps, maxLength: steps });
}

/** What a command touched, for the test to tell the proxier (like informer events). */
export type Touched = { readonly kind: 'service'; readonly name: string } | { readonly kind: 'slice'; readonly name: string };

function at<T>(list: readonly T[], n: number): T | undefined {
  return list.length === 0 ? undefined : list[n % list.length];
}

/** Applies one command; returns what it changed (empty: the command was a no-op in this state). */
export function applyCommand(model: ChurnModel, command: ChurnCommand): Touched[] {
  switch (command.op) {
    case 'addService': return addService(model, command);
    case 'removeService': return removeService(model, command.pick, command.dropSlices);
    case 'recreateService': return recreateService(model, command.pick, command.name);
    case 'addPort': return addPort(model, command);
    case 'removePort': return removePort(model, command);
    case 'retargetPort': return retargetPort(model, command);
    case 'syncSlicePorts': return withService(model, command.pick, (name) => syncSlicePorts(model, name, true));
    case 'addEndpoint': return addEndpoint(model, command);
    case 'removeEndpoint': return withEndpoint(model, command.pick, command.endpoint, (slice, ip) => slice.endpoints.delete(ip));
    case 'setEndpointState': return withEndpoint(model, command.pick, command.endpoint, (slice, ip) => {
      const current = slice.endpoints.get(ip);
      // Always a real change: the same state would be a no-op event.
      slice.endpoints.set(ip, command.state === current ? STATES[(STATES.indexOf(command.state) + 1) % STATES.length]! : command.state);
    });
    case 'setAffinity': return withService(model, command.pick, (name, svc) => {
      svc.affinity = command.timeout === svc.affinity ? (svc.affinity === undefined ? 600 : undefined) : command.timeout;
      return [{ kind: 'service', name }];
    });
    case 'togglePolicy': return withService(model, command.pick, (name, svc) => {
      svc.local = !svc.local;
      return [{ kind: 'service', name }];
    });
    case 'removeSlice': {
      const name = at([...model.slices.keys()], command.pick);
      if (name === undefined) return [];
      model.slices.delete(name);
      return [{ kind: 'slice', name }];
    }
  }
}

function portOf(index: number, target: number): ModelPort {
  const p = PORT_TABLE[index % PORT_TABLE.length]!;
  return { name: `${p.protocol.toLowerCase()}-${p.port}`, protocol: p.protocol, port: p.port, targetPort: TARGET_PORTS[target % TARGET_PORTS.length]! };
}

function addService(model: ChurnModel, c: Extract<ChurnCommand, { op: 'addService' }>): Touched[] {
  const name = at(SERVICE_NAMES.filter((n) => !model.services.has(n)), c.name);
  const used = new Set([...model.services.values()].map((s) => s.clusterIP));
  const clusterIP = at(CLUSTER_IPS.filter((ip) => !used.has(ip)), c.ip);
  if (name === undefined || clusterIP === undefined) return [];
  model.services.set(name, { clusterIP, ports: c.ports.map((p, i) => portOf(p, c.target + i)), affinity: c.affinity, local: false });
  return [{ kind: 'service', name }, ...(c.withSlice ? syncSlicePorts(model, name, true) : [])];
}

function removeService(model: ChurnModel, n: number, dropSlices: boolean): Touched[] {
  const name = at([...model.services.keys()], n);
  if (name === undefined) return [];
  model.services.delete(name);
  const slices = dropSlices ? slicesOf(model, name) : [];
  for (const s of slices) model.slices.delete(s);
  return [{ kind: 'service', name }, ...slices.map((s): Touched => ({ kind: 'slice', name: s }))];
}

function recreateService(model: ChurnModel, n: number, newName: number): Touched[] {
  const old = at([...model.services.keys()], n);
  const svc = old === undefined ? undefined : model.services.get(old);
  if (old === undefined || svc === undefined) return [];
  model.services.delete(old);
  const name = at(SERVICE_NAMES.filter((x) => !model.services.has(x)), newName) ?? old;
  model.services.set(name, { clusterIP: svc.clusterIP, ports: svc.ports.map((p) => ({ ...p })), affinity: undefined, local: false });
  return [{ kind: 'service', name: old }, { kind: 'service', name }];
}

function addPort(model: ChurnModel, c: Extract<ChurnCommand, { op: 'addPort' }>): Touched[] {
  return withService(model, c.pick, (name, svc) => {
    const free = PORT_TABLE.map((_, i) => portOf(i, c.target)).filter((p) => !svc.ports.some((q) => q.name === p.name));
    const port = at(free, c.port);
    if (port === undefined) return [];
    svc.ports.push(port);
    return [{ kind: 'service', name }, ...syncSlicePorts(model, name, c.alsoSlice)];
  });
}

function removePort(model: ChurnModel, c: Extract<ChurnCommand, { op: 'removePort' }>): Touched[] {
  return withService(model, c.pick, (name, svc) => {
    if (svc.ports.length < 2) return []; // a ClusterIP service needs a port
    svc.ports.splice(c.port % svc.ports.length, 1);
    return [{ kind: 'service', name }, ...syncSlicePorts(model, name, c.alsoSlice)];
  });
}

function retargetPort(model: ChurnModel, c: Extract<ChurnCommand, { op: 'retargetPort' }>): Touched[] {
  return withService(model, c.pick, (name, svc) => {
    const port = at(svc.ports, c.port)!;
    const next = TARGET_PORTS[c.target % TARGET_PORTS.length]!;
    port.targetPort = next === port.targetPort ? TARGET_PORTS[(c.target + 1) % TARGET_PORTS.length]! : next;
    // The Service's own object does not change (targetPort is not part of the model Service);
    // only the slices tell the proxier, if the controller has caught up.
    return syncSlicePorts(model, name, c.alsoSlice);
  });
}

/** Gives every slice of the service (creating the first if none) the service's ports. */
function syncSlicePorts(model: ChurnModel, name: string, enabled: boolean): Touched[] {
  const svc = model.services.get(name);
  if (!enabled || svc === undefined) return [];
  const ports = svc.ports.map((p) => ({ name: p.name, protocol: p.protocol, port: p.targetPort }));
  const names = slicesOf(model, name);
  if (names.length === 0) {
    model.slices.set(`${name}-0`, { service: name, ports, endpoints: new Map() });
    return [{ kind: 'slice', name: `${name}-0` }];
  }
  for (const s of names) model.slices.get(s)!.ports = ports.map((p) => ({ ...p }));
  return names.map((s) => ({ kind: 'slice', name: s }));
}

function addEndpoint(model: ChurnModel, c: Extract<ChurnCommand, { op: 'addEndpoint' }>): Touched[] {
  const known = [...new Set([...model.services.keys(), ...[...model.slices.values()].map((s) => s.service)])].sort();
  const name = at(known, c.pick);
  if (name === undefined) return [];
  // An address appears once per service (two slices listing one pod is the controller's bug, not churn).
  const taken = new Set(slicesOf(model, name).flatMap((s) => [...model.slices.get(s)!.endpoints.keys()]));
  const ip = at(POD_IPS.filter((a) => !taken.has(a)), c.ip);
  if (ip === undefined) return [];
  const sliceName = `${name}-${c.slice % SLICES_PER_SERVICE}`;
  let slice = model.slices.get(sliceName);
  if (slice === undefined) {
    const ports = (model.services.get(name)?.ports ?? []).map((p) => ({ name: p.name, protocol: p.protocol, port: p.targetPort }));
    slice = { service: name, ports, endpoints: new Map() };
    model.slices.set(sliceName, slice);
  }
  slice.endpoints.set(ip, c.state);
  return [{ kind: 'slice', name: sliceName }];
}

function withService(model: ChurnModel, n: number, f: (name: string, svc: ModelService) => Touched[]): Touched[] {
  const name = at([...model.services.keys()], n);
  const svc = name === undefined ? undefined : model.services.get(name);
  return name === undefined || svc === undefined ? [] : f(name, svc);
}

function withEndpoint(model: ChurnModel, n: number, e: number, f: (slice: ModelSlice, ip: string) => void): Touched[] {
  const name = at([...model.slices.keys()].filter((s) => model.slices.get(s)!.endpoints.size > 0), n);
  const slice = name === undefined ? undefined : model.slices.get(name);
  const ip = slice === undefined ? undefined : at([...slice.endpoints.keys()], e);
  if (name === undefined || slice === undefined || ip === undefined) return [];
  f(slice, ip);
  return [{ kind: 'slice', name }];
}

function slicesOf(model: ChurnModel, service: string): string[] {
  return [...model.slices.entries()].filter(([, s]) => s.service === service).map(([n]) => n);
}

/** The model Service the proxier is told about (undefined: deleted). */
export function serviceOf(model: ChurnModel, name: string): Service | undefined {
  const s = model.services.get(name);
  if (s === undefined) return undefined;
  return service({
    name, clusterIP: s.clusterIP, ports: s.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol })),
    ...(s.affinity === undefined ? {} : { affinity: s.affinity }), internalTrafficPolicy: s.local ? 'Local' : 'Cluster',
  });
}

export function sliceOf(model: ChurnModel, name: string): EndpointSliceInfo | undefined {
  const s = model.slices.get(name);
  if (s === undefined) return undefined;
  const endpoints = [...s.endpoints].map(([ip, st]) => ({ ip, node: nodeOf(ip), ...conditionsOf(st) }));
  return slice({ service: s.service, name, ports: s.ports.map((p) => ({ ...p })), endpoints });
}

// ---------------------------------------------------------------------------------------------
// Oracle

/** What the Debian tools must print, normalised to sorted lists. */
export interface KernelView {
  readonly ipvs: readonly string[];
  readonly clusterIP: readonly string[];
  readonly loopBack: readonly string[];
  readonly ipvsIPs: readonly string[];
  readonly addresses: readonly string[];
}

const IPVSADM_PROTOCOL: Record<Protocol, string> = { TCP: '-t', UDP: '-u', SCTP: '--sctp-service' };

export function expectedView(model: ChurnModel): KernelView {
  const ipvs: string[] = [];
  const clusterIP: string[] = [];
  const loopBack = new Set<string>();
  for (const [name, svc] of model.services) {
    for (const port of svc.ports) {
      const vip = `${IPVSADM_PROTOCOL[port.protocol]} ${svc.clusterIP}:${port.port}`;
      ipvs.push(`-A ${vip} -s rr${svc.affinity === undefined ? '' : ` -p ${svc.affinity}`}`);
      const endpoints = endpointsOf(model, name, port);
      for (const e of chosen(endpoints, svc.local)) ipvs.push(`-a ${vip} -r ${e.ip}:${e.port} -m -w 1`);
      clusterIP.push(`${svc.clusterIP},${port.protocol.toLowerCase()}:${port.port}`);
      // As upstream: every endpoint of this node, whatever its state, gets a hairpin entry.
      for (const e of endpoints) if (nodeOf(e.ip) === NODE) loopBack.add(`${e.ip},${port.protocol.toLowerCase()}:${e.port},${e.ip}`);
    }
  }
  const ips = [...model.services.values()].map((s) => s.clusterIP);
  return {
    ipvs: ipvs.sort(), clusterIP: clusterIP.sort(), loopBack: [...loopBack].sort(),
    ipvsIPs: [...ips].sort(), addresses: ips.map((ip) => `${ip}/32`).sort(),
  };
}

interface OracleEndpoint { readonly ip: string; readonly port: number; readonly state: EndpointState }

/** Endpoints of one service port over all its slices: slices whose port of that name and protocol exists. */
function endpointsOf(model: ChurnModel, service: string, port: ModelPort): OracleEndpoint[] {
  const out: OracleEndpoint[] = [];
  for (const slice of model.slices.values()) {
    if (slice.service !== service) continue;
    const slicePort = slice.ports.find((p) => p.name === port.name && p.protocol === port.protocol);
    if (slicePort === undefined) continue;
    for (const [ip, state] of slice.endpoints) out.push({ ip, port: slicePort.port, state });
  }
  return out;
}

/**
 * The EndpointSlice API's rule (and kube-proxy iptables/nftables): ready endpoints; if none, the
 * serving-and-terminating ones. internalTrafficPolicy Local first narrows to this node, with no
 * fallback to other nodes.
 */
function chosen(endpoints: readonly OracleEndpoint[], local: boolean): OracleEndpoint[] {
  const candidates = local ? endpoints.filter((e) => nodeOf(e.ip) === NODE) : endpoints;
  const ready = candidates.filter((e) => e.state === 'ready');
  return ready.length > 0 ? ready : candidates.filter((e) => e.state === 'terminating');
}
