// manifests/deploy: parses, hangs together (names, namespaces, references), grants exactly what
// the daemon needs, and matches kube-proxy's DaemonSet where a kubeadm user relies on it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { parseDuration } from '../../../src/cli/duration.ts';
import { decodeConfig } from '../../../src/config/decode.ts';
import { parseCidr, parseScheduler } from '../../../src/validate/validate.ts';
import { initContainer, loadDeploy, mainContainer, manifestFiles, type Container, type DaemonSet } from './load.ts';

const deploy = loadDeploy();
const ds = deploy.daemonSet;
const pod = ds.spec.template.spec;
const main = mainContainer(ds);
const CONFIG_DIR = '/var/lib/kube-proxy';
const PRIVILEGED_REASON = 'ipvs-proxier.io/privileged-reason';

function config(): Record<string, unknown> {
  const text = deploy.configMap.data['config.conf'];
  assert.ok(text !== undefined, 'ConfigMap has config.conf');
  const value: unknown = parse(text);
  return value as Record<string, unknown>;
}

function ipvsConfig(): Record<string, unknown> {
  return config()['ipvs'] as Record<string, unknown>;
}

/** host:port → port, for the bind addresses of the config file. */
function portOf(bindAddress: unknown): number {
  assert.equal(typeof bindAddress, 'string');
  const m = /:(\d+)$/.exec(bindAddress as string);
  assert.ok(m, `${String(bindAddress)} has a port`);
  return Number(m[1]);
}

function mount(c: Container, path: string): { volume: string; readOnly: boolean } {
  const m = (c.volumeMounts ?? []).find((v) => v.mountPath === path);
  assert.ok(m, `${c.name} mounts ${path}`);
  return { volume: m.name, readOnly: m.readOnly === true };
}

function volume(name: string): DaemonSet['spec']['template']['spec']['volumes'][number] {
  const v = pod.volumes.find((x) => x.name === name);
  assert.ok(v, `volume ${name} exists`);
  return v;
}

describe('manifests/deploy: files', () => {
  it('the kustomization lists exactly the manifest files, each once', () => {
    assert.deepEqual([...deploy.kustomization.resources].sort(), manifestFiles());
    assert.equal(new Set(deploy.kustomization.resources).size, deploy.kustomization.resources.length);
  });

  it('every object has apiVersion, kind and a name; namespaced ones are in kube-system, as the kustomization', () => {
    assert.equal(deploy.kustomization.namespace, 'kube-system');
    for (const o of deploy.objects) {
      assert.ok(o.apiVersion && o.kind && o.metadata.name, JSON.stringify(o.metadata));
      if (o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') assert.equal(o.metadata.namespace, undefined);
      else assert.equal(o.metadata.namespace, 'kube-system', `${o.kind}/${o.metadata.name}`);
    }
  });

  it('the containers use the image name the kustomization rewrites', () => {
    const names = new Set((deploy.kustomization.images ?? []).map((i) => i.name));
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) assert.ok(names.has(c.image), `${c.name}: ${c.image}`);
  });
});

describe('manifests/deploy: references', () => {
  it('DaemonSet → ServiceAccount ← ClusterRoleBinding → ClusterRole', () => {
    const sa = deploy.serviceAccount.metadata;
    assert.equal(pod.serviceAccountName, sa.name);
    assert.deepEqual(deploy.binding.subjects, [{ kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace }]);
    assert.deepEqual(deploy.binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: deploy.clusterRole.metadata.name });
  });

  it('the selector matches the pod template labels', () => {
    for (const [k, v] of Object.entries(ds.spec.selector.matchLabels)) assert.equal(ds.spec.template.metadata.labels[k], v, k);
  });

  it('the ConfigMap is mounted at kubeadm\'s path and holds the files the command and config name', () => {
    const m = mount(main, CONFIG_DIR);
    assert.equal(m.readOnly, true);
    assert.equal(volume(m.volume).configMap?.name, deploy.configMap.metadata.name);
    const files = Object.keys(deploy.configMap.data).map((k) => `${CONFIG_DIR}/${k}`);
    assert.ok(files.includes(`${CONFIG_DIR}/config.conf`));
    assert.ok(files.includes((config()['clientConnection'] as Record<string, unknown>)['kubeconfig'] as string), 'clientConnection.kubeconfig is in the ConfigMap');
  });
});

describe('manifests/deploy: RBAC', () => {
  const granted = deploy.clusterRole.rules.flatMap((r) => {
    assert.equal(r.resourceNames, undefined);
    assert.equal(r.nonResourceURLs, undefined);
    return (r.apiGroups ?? []).flatMap((g) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)));
  });

  it('grants exactly get/list/watch on services, nodes and endpointslices (no code writes to the API)', () => {
    const expected = ['/services', '/nodes', 'discovery.k8s.io/endpointslices'].flatMap((r) => ['get', 'list', 'watch'].map((v) => `${r}:${v}`));
    assert.deepEqual([...granted].sort(), expected.sort());
  });

  it('has no wildcards', () => {
    for (const g of granted) assert.ok(!g.includes('*'), g);
  });
});

describe('manifests/deploy: the DaemonSet', () => {
  it('runs on every node in the host network namespace, node-critical, rolling', () => {
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.priorityClassName, 'system-node-critical');
    assert.ok((pod.tolerations ?? []).some((t) => t['operator'] === 'Exists' && t['key'] === undefined && t['effect'] === undefined), 'tolerates every taint');
    assert.equal(ds.spec.updateStrategy?.type, 'RollingUpdate');
  });

  it('runs kube-proxy\'s command line with the node name from the downward API', () => {
    assert.deepEqual(main.command, ['ipvs-proxier', `--config=${CONFIG_DIR}/config.conf`, '--hostname-override=$(NODE_NAME)']);
    assert.equal(main.args, undefined);
    const nodeName = (main.env ?? []).find((e) => e.name === 'NODE_NAME');
    assert.equal(nodeName?.valueFrom?.fieldRef?.fieldPath, 'spec.nodeName');
  });

  it('probes /livez and /healthz on the health port of the config file', () => {
    const port = portOf(config()['healthzBindAddress']);
    assert.equal(port, 10256);
    assert.deepEqual(main.livenessProbe?.httpGet, { path: '/livez', port });
    assert.deepEqual(main.readinessProbe?.httpGet, { path: '/healthz', port });
    assert.equal(main.ports?.find((p) => p.name === 'healthz')?.containerPort, port);
    assert.equal(main.ports?.find((p) => p.name === 'metrics')?.containerPort, portOf(config()['metricsBindAddress']));
  });

  it('mounts /lib/modules read-only and the node\'s xtables lock, as kube-proxy', () => {
    const modules = mount(main, '/lib/modules');
    assert.equal(modules.readOnly, true);
    assert.equal(volume(modules.volume).hostPath?.path, '/lib/modules');
    const lock = mount(main, '/run/xtables.lock');
    assert.equal(lock.readOnly, false);
    assert.deepEqual(volume(lock.volume).hostPath, { path: '/run/xtables.lock', type: 'FileOrCreate' });
  });

  it('reaches into the host only through /lib/modules, the xtables lock, and /proc/sys/net for the init container', () => {
    const hostPaths = pod.volumes.flatMap((v) => (v.hostPath ? [v.hostPath.path] : [])).sort();
    assert.deepEqual(hostPaths, ['/lib/modules', '/proc/sys/net', '/run/xtables.lock']);
    const procVolume = pod.volumes.find((v) => v.hostPath?.path === '/proc/sys/net')?.name;
    assert.ok(!(main.volumeMounts ?? []).some((m) => m.name === procVolume), 'the daemon does not get the writable /proc/sys/net');
  });

  it('is not privileged unless the pod template states why', () => {
    const reason = ds.spec.template.metadata.annotations?.[PRIVILEGED_REASON] ?? '';
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      if (c.securityContext?.privileged === true) assert.ok(reason.trim().length > 0, `${c.name} is privileged without ${PRIVILEGED_REASON}`);
    }
  });

  it('gives each container only its capabilities, as root, with nothing else', () => {
    const expected: Record<string, string[]> = { 'ipvs-proxier': ['NET_ADMIN', 'NET_RAW'], 'prepare-node': ['NET_ADMIN', 'SYS_MODULE'] };
    const containers = [initContainer(ds, 'prepare-node'), main];
    assert.equal((pod.initContainers ?? []).length + pod.containers.length, containers.length);
    for (const c of containers) {
      const sc = c.securityContext;
      assert.deepEqual(sc?.capabilities?.drop, ['ALL'], c.name);
      assert.deepEqual([...(sc?.capabilities?.add ?? [])].sort(), expected[c.name], c.name);
      assert.equal(sc?.allowPrivilegeEscalation, false, c.name);
      assert.equal(sc?.readOnlyRootFilesystem, true, c.name);
      assert.equal(sc?.runAsUser, 0, c.name);
    }
  });
});

describe('manifests/deploy: the DaemonSet\'s limits', () => {
  it('runs under the runtime\'s default seccomp profile', () => {
    assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
  });

  it('requests CPU and memory for every container, and limits none (an OOM kill or throttled sync stops the node\'s services)', () => {
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      assert.ok(c.resources?.requests?.['cpu'], `${c.name} requests cpu`);
      assert.ok(c.resources?.requests?.['memory'], `${c.name} requests memory`);
      assert.equal(c.resources?.limits, undefined, `${c.name} has no limits`);
    }
  });

  it('requests at least the benchmark\'s peak RSS at 10,000 services (228 MiB) for the daemon', () => {
    const memory = main.resources?.requests?.['memory'] ?? '';
    const m = /^(\d+)Mi$/.exec(memory);
    assert.ok(m, memory);
    assert.ok(Number(m[1]) >= 228, memory);
  });
});

describe('manifests/deploy: the config file', () => {
  it('is a KubeProxyConfiguration in ipvs mode', () => {
    const c = config();
    assert.equal(c['apiVersion'], 'kubeproxy.config.k8s.io/v1alpha1');
    assert.equal(c['kind'], 'KubeProxyConfiguration');
    assert.equal(c['mode'], 'ipvs');
  });

  it('loads with the daemon\'s strict decoder (no unknown or mistyped field)', () => {
    const values = decodeConfig(deploy.configMap.data['config.conf'] ?? '', 'configmap.yaml').values;
    assert.equal(values.get('mode'), 'ipvs');
    assert.equal(values.get('ipvs.scheduler'), 'rr');
    assert.equal(values.get('ipvs.strictARP'), false);
    assert.equal(values.get('ipvs.syncPeriod'), 30_000);
    assert.equal(values.get('healthzBindAddress'), '0.0.0.0:10256');
    assert.equal(values.get('metricsBindAddress'), '127.0.0.1:10249');
  });

  it('has kubeadm\'s IPVS defaults, valid to our own validators', () => {
    const ipvs = ipvsConfig();
    const ctx = { operation: 'test' };
    assert.equal(parseScheduler(ipvs['scheduler'], ctx), 'rr');
    assert.equal(ipvs['strictARP'], false);
    assert.equal(parseDuration(ipvs['syncPeriod'] as string, 'syncPeriod'), 30_000);
    assert.equal(parseDuration(ipvs['minSyncPeriod'] as string, 'minSyncPeriod'), 0);
    assert.equal(parseCidr(config()['clusterCIDR'], ctx).family, 4);
  });

  it('reaches the API server with the pod\'s ServiceAccount token, as kubeadm\'s kubeconfig.conf', () => {
    const text = deploy.configMap.data['kubeconfig.conf'];
    assert.ok(text !== undefined);
    const kc = parse(text) as { kind: string; users: { user: Record<string, string> }[]; clusters: { cluster: Record<string, string> }[] };
    assert.equal(kc.kind, 'Config');
    assert.equal(kc.users[0]?.user['tokenFile'], '/var/run/secrets/kubernetes.io/serviceaccount/token');
    assert.equal(kc.clusters[0]?.cluster['certificate-authority'], '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt');
    assert.match(kc.clusters[0]?.cluster['server'] ?? '', /^https:\/\//);
  });
});
