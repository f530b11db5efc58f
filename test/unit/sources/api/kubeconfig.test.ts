import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { FakeApiServer } from '../../../support/apiserver/server.ts';
import { loadApiConfig } from '../../../../src/sources/api/kubeconfig.ts';
import { ApiConfigError } from '../../../../src/sources/api/errors.ts';
import { serviceObject } from '../../../helpers/objects.ts';
import { nodeObject, sourceFixture } from './harness.ts';

function kubeconfigYaml(server: string, user: Record<string, string>): string {
  return [
    'apiVersion: v1', 'kind: Config', 'current-context: kp',
    'clusters:', `- name: c`, `  cluster:`, `    server: ${server}`,
    'contexts:', '- name: kp', '  context:', '    cluster: c', '    user: kube-proxy',
    'users:', '- name: kube-proxy', '  user:', ...Object.entries(user).map(([k, v]) => `    ${k}: ${v}`), '',
  ].join('\n');
}

describe('API server configuration', { timeout: 10_000 }, () => {
  let dir: string;
  let api: FakeApiServer;
  const saved = { host: process.env['KUBERNETES_SERVICE_HOST'], port: process.env['KUBERNETES_SERVICE_PORT'] };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
    api = await FakeApiServer.start({ token: 's3cret' });
    api.create(serviceObject({ name: 'a', clusterIP: '10.96.0.10' }));
    api.create(nodeObject());
  });

  after(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    for (const [k, v] of [['KUBERNETES_SERVICE_HOST', saved.host], ['KUBERNETES_SERVICE_PORT', saved.port]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('honours a kubeconfig user\'s tokenFile (relative to the kubeconfig, newline trimmed)', async () => {
    await writeFile(join(dir, 'token'), 's3cret\n');
    const file = join(dir, 'kubeconfig');
    await writeFile(file, kubeconfigYaml(api.url, { tokenFile: 'token' }));
    const f = sourceFixture(loadApiConfig({ kubeconfig: file }));
    f.source.start();
    try {
      assert.equal(await f.source.whenSynced(), true);
      assert.deepEqual(f.services.map(([, b]) => b?.name), ['a']);
      const auth = new Set(api.requests.slice(-6).map((r) => r.authorization));
      assert.deepEqual([...auth], ['Bearer s3cret']);
    } finally {
      await f.source.stop();
    }
  });

  it('is needed: the client alone ignores tokenFile and is refused', async () => {
    const file = join(dir, 'kubeconfig');
    await writeFile(file, kubeconfigYaml(api.url, { tokenFile: join(dir, 'token') }));
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    kc.clusters = kc.clusters.map((c) => ({ ...c, skipTLSVerify: true }));
    await assert.rejects(kc.makeApiClient(CoreV1Api).listNode(), (err: { code?: number }) => err.code === 401);
  });

  it('applies --master over the kubeconfig\'s server', async () => {
    const file = join(dir, 'elsewhere');
    await writeFile(file, kubeconfigYaml('https://10.255.255.1:6443', { token: 's3cret' }));
    const kc = loadApiConfig({ kubeconfig: file, master: api.url });
    assert.equal(kc.getCurrentCluster()?.server, api.url);
    const nodes = await kc.makeApiClient(CoreV1Api).listNode();
    assert.equal(nodes.items.length, 1);
  });

  it('fails clearly with no configuration outside a cluster, instead of trying localhost:8080', () => {
    delete process.env['KUBERNETES_SERVICE_HOST'];
    assert.throws(() => loadApiConfig({ serviceAccountDir: join(dir, 'missing') }), (err) => {
      assert.ok(err instanceof ApiConfigError);
      assert.equal(err.code, 'ERR_API_CONFIG');
      assert.match(err.message, /--kubeconfig/);
      return true;
    });
  });

  it('uses the service account in a pod', async () => {
    const sa = join(dir, 'var/run/secrets/kubernetes.io/serviceaccount');
    await mkdir(sa, { recursive: true });
    await writeFile(join(sa, 'token'), 'pod-token');
    process.env['KUBERNETES_SERVICE_HOST'] = 'fd00::1';
    process.env['KUBERNETES_SERVICE_PORT'] = '443';
    const kc = loadApiConfig({ serviceAccountDir: sa });
    assert.equal(kc.getCurrentCluster()?.server, 'https://[fd00::1]:443');
    assert.equal(kc.getCurrentCluster()?.caFile, join(sa, 'ca.crt'));
  });

  it('rejects a kubeconfig that cannot be read and a bad server URL', async () => {
    assert.throws(() => loadApiConfig({ kubeconfig: join(dir, 'nope') }), ApiConfigError);
    assert.throws(() => loadApiConfig({ master: 'ftp://x' }), ApiConfigError);
    const file = join(dir, 'nocontext');
    await writeFile(file, 'apiVersion: v1\nkind: Config\nclusters: []\n');
    assert.throws(() => loadApiConfig({ kubeconfig: file }), ApiConfigError);
  });
});
