// Traffic from outside the cluster in the real kernel (issue 10): an external client namespace with
// two addresses, this node with one local pod, and a second node (node-b) with two remote pods.
// Connections from the client to node ports (TCP and UDP, IPv4 and IPv6), an externalIP and
// load-balancer IPs, and the client address each pod sees: the node's (policy Cluster:
// masqueraded) or the client's own (Local).
import './require-sandbox.ts';
import { after, before, describe, it } from 'node:test';
import { execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { release } from 'node:os';
import { pino } from 'pino';
import { desiredSysctls, parseKernelRelease } from '../../src/desired/sysctls.ts';
import { Proxier } from '../../src/engine/proxier.ts';
import { healthCheckHosts, ServiceHealthServers } from '../../src/observability/service-health.ts';
import { openKernel, type OpenKernel } from '../../src/kernel/open.ts';
import { parseService } from '../../src/model/service.ts';
import type { Service } from '../../src/model/types.ts';
import { familyConfig, serviceObject, slice } from '../helpers/objects.ts';
import { tool } from './require-sandbox.ts';
import { resetProxierState } from './reset.ts';
import { CLIENT_IPS, CLIENT_NS, NODE_EXTERNAL_IP, NODE_EXTERNAL_IP6, startOutside, type Outside } from '../../sandbox/outside.ts';
import { POD_BRIDGE, httpFrom, inPod, startPodNetwork, startUdpNameServer, udpFrom, type PodNetwork } from '../../sandbox/topology.ts';

const execFileAsync = promisify(execFile);
const NODE = 'sandbox-node';
const LOCAL_POD = { name: 'xt-local-1', ip: '10.244.0.41' };
const REMOTE_PODS = [{ name: 'xt-remote-1', ip: '10.244.1.51' }, { name: 'xt-remote-2', ip: '10.244.1.52' }];
const EXTERNAL_IP = '203.0.113.10';
const LB_IP = '203.0.113.20';
const LOCAL_POD_IP6 = 'fd00:244::41';
const POD_GATEWAY6 = 'fd00:244::1';
const LB_IP6 = 'fd00:203::20';
const UDP_PORT = 5353;

function externalService(name: string, clusterIP: string, spec: Record<string, unknown>, status?: Record<string, unknown>): Service {
  const base = serviceObject({ name, clusterIP });
  const r = parseService({ ...base, spec: { ...(base['spec'] as object), ...spec }, ...(status ? { status } : {}) });
  assert.equal(r.kind, 'ok', r.kind === 'invalid' ? r.error.message : r.kind);
  assert.deepEqual((r as { problems?: unknown[] }).problems ?? [], []);
  return (r as { value: Service }).value;
}

const nodePort = (port: number, policy: 'Cluster' | 'Local' = 'Cluster'): Record<string, unknown> =>
  ({ type: 'NodePort', externalTrafficPolicy: policy, ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: port }] });

const SERVICES: readonly Service[] = [
  externalService('np', '10.96.5.1', nodePort(30080)),
  externalService('np-local', '10.96.5.2', nodePort(30081, 'Local')),
  externalService('np-local-none', '10.96.5.3', nodePort(30082, 'Local')),
  externalService('ext', '10.96.5.4', { externalIPs: [EXTERNAL_IP] }),
  externalService('lb', '10.96.5.5', { ...nodePort(30085), type: 'LoadBalancer', loadBalancerSourceRanges: [`${CLIENT_IPS[0]}/32`] }, { loadBalancer: { ingress: [{ ip: LB_IP }] } }),
  // Health-check node ports (Local LoadBalancers): no local endpoint, and one.
  externalService('hc-none', '10.96.5.8', { ...nodePort(30086, 'Local'), type: 'LoadBalancer', healthCheckNodePort: 32001 }, { loadBalancer: { ingress: [{ ip: '203.0.113.31' }] } }),
  externalService('hc-one', '10.96.5.9', { ...nodePort(30087, 'Local'), type: 'LoadBalancer', healthCheckNodePort: 32002 }, { loadBalancer: { ingress: [{ ip: '203.0.113.32' }] } }),
  externalService('np-udp', '10.96.5.6', { type: 'NodePort', ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }] }),
  externalService('np6', 'fd00:96::5:7', { clusterIPs: ['fd00:96::5:7'], ipFamilies: ['IPv6'], ...nodePort(30090), type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: LB_IP6 }] } }),
];

function sliceFor(s: Service): ReturnType<typeof slice> {
  if (s.name === 'np-udp') return slice({ service: s.name, ports: [{ name: 'dns', port: UDP_PORT, protocol: 'UDP' }], endpoints: endpointsFor(s.name) });
  if (s.name === 'np6') return slice({ service: s.name, addressType: 'IPv6', endpoints: [{ ip: LOCAL_POD_IP6, node: NODE }] });
  return slice({ service: s.name, endpoints: endpointsFor(s.name) });
}

/** np, ext and lb: the local pod and both remote pods; np-local: the local pod and one remote; np-local-none: only remote. */
function endpointsFor(name: string): { ip: string; node: string }[] {
  const local = { ip: LOCAL_POD.ip, node: NODE };
  const remote = REMOTE_PODS.map((p) => ({ ip: p.ip, node: 'node-b' }));
  if (name === 'np-local' || name === 'hc-one') return [local, remote[0]!];
  if (name === 'np-local-none' || name === 'hc-none') return remote;
  return [local, ...remote];
}

/** `name source` answers from the client, one connection each. */
function fromClient(host: string, port: number, count: number, localAddress: string = CLIENT_IPS[0]): string[] {
  return httpFrom(CLIENT_NS, host, port, count, 2000, { path: '/source', localAddress });
}

describe('traffic from outside the cluster, in the real kernel', () => {
  let kernel: OpenKernel;
  let proxier: Proxier;
  let pods: PodNetwork | undefined;
  let outside: Outside | undefined;
  const udpServers: ChildProcess[] = [];
  let healthServers: ServiceHealthServers | undefined;

  before(async () => {
    resetProxierState();
    pods = await startPodNetwork([LOCAL_POD]);
    outside = await startOutside(REMOTE_PODS);
    // The local pod is dual-stack (the name servers listen on ::, so the address can come after them).
    tool('ip', '-6', 'addr', 'add', `${POD_GATEWAY6}/64`, 'dev', POD_BRIDGE, 'nodad');
    inPod(LOCAL_POD.name, 'ip', '-6', 'addr', 'add', `${LOCAL_POD_IP6}/64`, 'dev', 'eth0', 'nodad');
    inPod(LOCAL_POD.name, 'ip', '-6', 'route', 'add', 'default', 'via', POD_GATEWAY6);
    for (const pod of [LOCAL_POD, ...REMOTE_PODS]) udpServers.push(await startUdpNameServer(pod.name, UDP_PORT));
    kernel = await openKernel({ iptablesBackend: 'legacy' });
    proxier = new Proxier({
      kernel,
      families: [familyConfig({ nodeName: NODE, clusterCIDR: '10.244.0.0/16' }), familyConfig({ family: 6, nodeName: NODE, clusterCIDR: 'fd00:244::/64' })],
      logger: pino({ level: 'silent' }),
      sysctls: desiredSysctls({ strictARP: false, kernelVersion: parseKernelRelease(release()) }),
    });
    proxier.onNodeAddresses(await kernel.links.listLocalAddresses());
    for (const s of SERVICES) {
      proxier.onServiceUpdate(undefined, s);
      proxier.onEndpointSliceUpdate(undefined, sliceFor(s));
    }
    const report = await proxier.sync();
    assert.deepEqual(report.failures, []);
    // As the daemon wires them (src/cli/run-daemon.ts): after each sync, from the proxier's counts.
    const p = proxier;
    healthServers = new ServiceHealthServers({ targets: () => p.healthChecks, hosts: () => healthCheckHosts(p.familyConfigs), proxyHealthy: () => true });
    await healthServers.sync();
  });

  after(async () => {
    await healthServers?.close();
    for (const u of udpServers) u.kill();
    outside?.teardown();
    pods?.teardown();
    await kernel.close();
    resetProxierState();
  });

  it('programs a node-port virtual server on the node\'s external address, and the node-port sets', () => {
    const ipvs = tool('ipvsadm', '-Sn');
    assert.match(ipvs, new RegExp(`^-A -t ${NODE_EXTERNAL_IP.replace(/\./g, '\\.')}:30080 -s rr`, 'm'));
    assert.doesNotMatch(ipvs, /127\.0\.0\.1:30080/, 'no NodePort on localhost, as upstream IPVS mode');
    const sets = tool('ipset', 'save');
    assert.match(sets, /^add KUBE-NODE-PORT-TCP 30080$/m);
    assert.match(sets, /^add KUBE-NODE-PORT-LOCAL-TCP 30081$/m);
  });

  it('client → nodeIP:nodePort reaches every endpoint, local and remote; the pods see the node, not the client (Cluster)', () => {
    const answers = fromClient(NODE_EXTERNAL_IP, 30080, 6);
    const names = new Set(answers.map((a) => a.split(' ')[0]));
    assert.deepEqual([...names].sort(), [LOCAL_POD.name, ...REMOTE_PODS.map((p) => p.name)].sort(), answers.join(', '));
    for (const a of answers) assert.notEqual(a.split(' ')[1], CLIENT_IPS[0], `masqueraded: ${a}`);
  });

  it('Local: only this node\'s endpoint answers, and it sees the client\'s own address', () => {
    const answers = fromClient(NODE_EXTERNAL_IP, 30081, 4);
    assert.deepEqual(answers, Array(4).fill(`${LOCAL_POD.name} ${CLIENT_IPS[0]}`));
  });

  it('Local with no local endpoint: the connection fails (we drop, as the API promises; upstream IPVS would forward, PR 97081)', () => {
    const [answer] = fromClient(NODE_EXTERNAL_IP, 30082, 1);
    assert.ok(answer === 'TIMEOUT' || answer === 'ECONNREFUSED' || answer === 'ECONNRESET', String(answer));
  });

  it('client → externalIP reaches the endpoints', () => {
    const names = new Set(fromClient(EXTERNAL_IP, 80, 6).map((a) => a.split(' ')[0]));
    assert.equal(names.size, 3, [...names].join(', '));
  });

  it('client → LB IP: a client inside loadBalancerSourceRanges connects, one outside is dropped', () => {
    const inside = fromClient(LB_IP, 80, 3, CLIENT_IPS[0]);
    for (const a of inside) assert.match(a, /^xt-/, a);
    assert.deepEqual(fromClient(LB_IP, 80, 1, CLIENT_IPS[1]), ['TIMEOUT']);
  });

  it('the node itself is outside the LB\'s source ranges and is filtered, as upstream (issue 119656)', () => {
    assert.deepEqual(httpFrom(undefined, LB_IP, 80, 1, 2000), ['TIMEOUT']);
  });

  it('a pod reaches its own Service through the node port (hairpin)', () => {
    const answers = httpFrom(LOCAL_POD.name, NODE_EXTERNAL_IP, 30081, 2);
    assert.deepEqual(answers, [LOCAL_POD.name, LOCAL_POD.name]);
  });

  it('a UDP node port carries datagrams to local and remote endpoints', () => {
    const names = new Set(udpFrom(CLIENT_NS, NODE_EXTERNAL_IP, 30053, 6));
    assert.ok(names.size >= 2 && [...names].every((n) => n.startsWith('xt-')), [...names].join(', '));
  });

  it('IPv6: client → [nodeIP]:nodePort and → the IPv6 LB IP reach the pod, through the KUBE-6- sets', () => {
    assert.match(tool('ipset', 'save'), /^add KUBE-6-NODE-PORT-TCP 30090$/m);
    assert.deepEqual(httpFrom(CLIENT_NS, NODE_EXTERNAL_IP6, 30090, 2), [LOCAL_POD.name, LOCAL_POD.name]);
    assert.deepEqual(httpFrom(CLIENT_NS, LB_IP6, 80, 2), [LOCAL_POD.name, LOCAL_POD.name]);
  });

  it('healthCheckNodePort: 503 with localEndpoints 0 without a local endpoint, 200 with one, as upstream\'s body and headers', async () => {
    // Asynchronously: the servers run in this test process, so a synchronous probe would block them.
    const probe = async (port: number): Promise<{ status: number; headers: Record<string, string>; body: { localEndpoints: number; service: { name: string } } }> => {
      const { stdout } = await execFileAsync('ip', ['netns', 'exec', CLIENT_NS, process.execPath, '-e', HEALTH_PROBE, `http://${NODE_EXTERNAL_IP}:${port}/`]);
      return JSON.parse(stdout) as never;
    };
    assert.match(tool('ipset', 'save'), /^add KUBE-HEALTH-CHECK-NODE-PORT 32001$/m);
    const none = await probe(32001);
    assert.equal(none.status, 503);
    assert.deepEqual([none.body.service.name, none.body.localEndpoints], ['hc-none', 0]);
    const one = await probe(32002);
    assert.equal(one.status, 200);
    assert.deepEqual([one.body.service.name, one.body.localEndpoints], ['hc-one', 1]);
    assert.equal(one.headers['x-content-type-options'], 'nosniff');
    assert.equal(one.headers['x-load-balancing-endpoint-weight'], '1');
  });
});

// No keep-alive agent (Node's default keeps the socket, and so this process, alive) and a deadline:
// the probe runs synchronously, so a hang here would block the test runner's own timeouts.
const HEALTH_PROBE = `
const req = require('node:http').get(process.argv[1], { agent: false, timeout: 3000 }, (res) => {
  let body = '';
  res.on('data', (d) => { body += d; });
  res.on('end', () => { process.stdout.write(JSON.stringify({ status: res.statusCode, headers: res.headers, body: JSON.parse(body) })); process.exit(0); });
});
req.on('timeout', () => { process.stdout.write(JSON.stringify({ status: 0, headers: {}, body: {} })); process.exit(0); });
req.on('error', (e) => { process.stdout.write(JSON.stringify({ status: e.code, headers: {}, body: {} })); process.exit(0); });
`;
