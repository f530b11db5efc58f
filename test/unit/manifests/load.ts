/**
 * Loads manifests/deploy/ for the manifest tests, with just enough typing to read the fields the
 * tests check. Shapes are asserted where read: a missing field fails the test, not the loader.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const deployDir = fileURLToPath(new URL('../../../manifests/deploy/', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface Meta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: Meta;
}

export interface VolumeMount { readonly name: string; readonly mountPath: string; readonly readOnly?: boolean }
export interface Probe { readonly httpGet?: { readonly path: string; readonly port: number | string } }
export interface SecurityContext {
  readonly privileged?: boolean;
  readonly runAsUser?: number;
  readonly allowPrivilegeEscalation?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly capabilities?: { readonly add?: string[]; readonly drop?: string[] };
}
export interface Container {
  readonly name: string;
  readonly image: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly env?: { readonly name: string; readonly value?: string; readonly valueFrom?: { readonly fieldRef?: { readonly fieldPath: string } } }[];
  readonly ports?: { readonly name: string; readonly containerPort: number; readonly protocol?: string }[];
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly securityContext?: SecurityContext;
  readonly volumeMounts?: VolumeMount[];
  readonly resources?: { readonly requests?: Record<string, string>; readonly limits?: Record<string, string> };
}
export interface Volume {
  readonly name: string;
  readonly configMap?: { readonly name: string };
  readonly hostPath?: { readonly path: string; readonly type?: string };
}
export interface DaemonSet extends KubeObject {
  readonly spec: {
    readonly selector: { readonly matchLabels: Record<string, string> };
    readonly updateStrategy?: { readonly type: string };
    readonly template: {
      readonly metadata: { readonly labels: Record<string, string>; readonly annotations?: Record<string, string> };
      readonly spec: {
        readonly hostNetwork?: boolean;
        readonly priorityClassName?: string;
        readonly serviceAccountName?: string;
        readonly securityContext?: { readonly seccompProfile?: { readonly type: string } };
        readonly tolerations?: Record<string, string>[];
        readonly initContainers?: Container[];
        readonly containers: Container[];
        readonly volumes: Volume[];
      };
    };
  };
}
export interface PolicyRule {
  readonly apiGroups?: string[];
  readonly resources?: string[];
  readonly verbs: string[];
  readonly resourceNames?: string[];
  readonly nonResourceURLs?: string[];
}
export interface ClusterRole extends KubeObject { readonly rules: PolicyRule[] }
export interface ClusterRoleBinding extends KubeObject {
  readonly roleRef: { readonly apiGroup: string; readonly kind: string; readonly name: string };
  readonly subjects: { readonly kind: string; readonly name: string; readonly namespace?: string }[];
}
export interface ConfigMap extends KubeObject { readonly data: Record<string, string> }
export interface Kustomization {
  readonly namespace?: string;
  readonly resources: string[];
  readonly images?: { readonly name: string }[];
}

/** Every document of one YAML file, failing on any parse error or warning. */
export function parseFile(path: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  if (!Array.isArray(docs)) throw new Error(`${path}: no documents`);
  return docs.map((doc, i) => {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) throw new Error(`${path} document ${i}: ${problems.map((p) => p.message).join('; ')}`);
    const value: unknown = doc.toJS();
    return value;
  });
}

export function manifestFiles(): string[] {
  return readdirSync(deployDir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
}

export interface Deploy {
  readonly kustomization: Kustomization;
  readonly objects: KubeObject[];
  readonly daemonSet: DaemonSet;
  readonly clusterRole: ClusterRole;
  readonly binding: ClusterRoleBinding;
  readonly serviceAccount: KubeObject;
  readonly configMap: ConfigMap;
}

export function loadDeploy(): Deploy {
  const [kustomization] = parseFile(`${deployDir}kustomization.yaml`) as [Kustomization];
  const objects = manifestFiles().flatMap((f) => parseFile(`${deployDir}${f}`) as KubeObject[]);
  const only = <T extends KubeObject>(kind: string): T => {
    const found = objects.filter((o) => o.kind === kind);
    if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
    return found[0] as T;
  };
  return {
    kustomization,
    objects,
    daemonSet: only<DaemonSet>('DaemonSet'),
    clusterRole: only<ClusterRole>('ClusterRole'),
    binding: only<ClusterRoleBinding>('ClusterRoleBinding'),
    serviceAccount: only('ServiceAccount'),
    configMap: only<ConfigMap>('ConfigMap'),
  };
}

/** The long-running container (the one that is not an init container). */
export function mainContainer(ds: DaemonSet): Container {
  const [container, ...rest] = ds.spec.template.spec.containers;
  if (container === undefined || rest.length > 0) throw new Error('expected exactly one container');
  return container;
}

export function initContainer(ds: DaemonSet, name: string): Container {
  const found = (ds.spec.template.spec.initContainers ?? []).find((c) => c.name === name);
  if (found === undefined) throw new Error(`no init container ${name}`);
  return found;
}
