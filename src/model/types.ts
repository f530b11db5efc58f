/**
 * The normalised, read-only model the engine works on. Sources (manifest files, the API server)
 * turn Kubernetes objects into these values once, validated; nothing downstream sees raw objects.
 */
import type { IpFamily, Protocol } from '../validate/validate.ts';

/** `namespace/name` */
export type ServiceName = string;

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';
export type TrafficPolicy = 'Cluster' | 'Local';

export interface ServicePort {
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
  /** Set for NodePort and LoadBalancer services (0 when not allocated). */
  readonly nodePort: number;
}

export type SessionAffinity =
  | { readonly kind: 'None' }
  | { readonly kind: 'ClientIP'; readonly timeoutSeconds: number };

export interface LoadBalancerIngress {
  readonly ip: string;
  /** `Proxy` ingress is handled by the load balancer; upstream skips binding it. */
  readonly ipMode: 'VIP' | 'Proxy';
}

export interface Service {
  readonly namespace: string;
  readonly name: string;
  /**
   * metadata.creationTimestamp, ms since the epoch; undefined when absent (manifests) or unreadable.
   * The older of two services claiming one virtual server keeps it (desired/index.ts).
   */
  readonly creationTimestamp: number | undefined;
  /** Where it came from, for messages about it (`file web.yaml`); undefined from the API server. */
  readonly origin: string | undefined;
  readonly type: ServiceType;
  /** Canonical addresses, primary family first (spec.clusterIPs). */
  readonly clusterIPs: readonly string[];
  readonly ports: readonly ServicePort[];
  readonly sessionAffinity: SessionAffinity;
  readonly externalIPs: readonly string[];
  readonly loadBalancerIngress: readonly LoadBalancerIngress[];
  readonly loadBalancerSourceRanges: readonly string[];
  readonly externalTrafficPolicy: TrafficPolicy;
  readonly internalTrafficPolicy: TrafficPolicy;
  readonly healthCheckNodePort: number;
}

export interface Endpoint {
  readonly address: string;
  readonly family: IpFamily;
  readonly port: number;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
  readonly nodeName: string | undefined;
  readonly zone: string | undefined;
  /** Zones from `hints.forZones`; undefined when the slice carries no hints for this endpoint. */
  readonly hintZones: readonly string[] | undefined;
}

/** One EndpointSlice, reduced to what the proxier needs: endpoints per service port name/protocol. */
export interface EndpointSliceInfo {
  readonly namespace: string;
  readonly name: string;
  /** `kubernetes.io/service-name` label: the owning service. */
  readonly serviceName: string;
  readonly family: IpFamily;
  /** Key `portName/PROTOCOL`. */
  readonly endpointsByPort: ReadonlyMap<string, readonly Endpoint[]>;
  /** `endpoints.kubernetes.io/last-change-trigger-time`, ms since epoch, when present. */
  readonly lastChangeTriggerTime: number | undefined;
}

export function serviceName(namespace: string, name: string): ServiceName {
  return `${namespace}/${name}`;
}
