// Traffic from outside the cluster on the fake kernel: type changes (ClusterIP → NodePort →
// LoadBalancer → ClusterIP) write exactly what changed in one sync and never touch the ClusterIP
// virtual server; node IPs follow the node state; refused externalIPs are logged once; the node's
// own LB traffic filter (KUBE-IPVS-OUT-FILTER) follows the source ranges in a partial sync.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Proxier } from '../../../src/engine/proxier.ts';
import { createFakeKernel, type FakeKernel } from '../../../src/kernel/fake-kernel.ts';
import type { KernelAddress } from '../../../src/model/node-state.ts';
import type { Service } from '../../../src/model/types.ts';
import { renderPlan } from '../../../src/plan/ipvs-steps.ts';
import type { FamilyConfig } from '../../../src/desired/config.ts';
import { familyConfig, service, slice, type ServiceSpec } from '../../helpers/objects.ts';
import { captureLogger } from '../sources/api/harness.ts';
import { IPTABLES_FIRST_SYNC } from '../../helpers/static-plan.ts';

const eth0 = (...ips: string[]): KernelAddress[] => ips.map((address) => ({ family: 4, address, linkName: 'eth0' }));
const spec = (over: Partial<ServiceSpec>): ServiceSpec => ({ name: 'web', clusterIP: '10.96.0.10', ...over });
const NODE_PORT = spec({ type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] });
const LB = spec({ type: 'LoadBalancer', ports: [{ name: 'http', port: 80, nodePort: 30080 }], ingress: [{ ip: '198.51.100.1' }], loadBalancerSourceRanges: ['10.0.0.0/8'] });

async function setup(first: Service, config: Partial<FamilyConfig> = {}, logger = pino({ level: 'silent' })) {
  const kernel = createFakeKernel();
  const proxier = new Proxier({ kernel, families: [familyConfig(config)], logger });
  proxier.onNodeAddresses(eth0('192.168.1.20'));
  proxier.onServiceUpdate(undefined, first);
  proxier.onEndpointSliceUpdate(undefined, slice({ service: 'web', endpoints: ['10.244.0.11', { ip: '10.244.0.12', node: 'node-b' }] }));
  const report = await proxier.sync();
  assert.deepEqual(report.failures, []);
  let current = first;
  const change = async (next: Service | undefined): Promise<string> => {
    proxier.onServiceUpdate(current, next);
    if (next !== undefined) current = next;
    return sync(proxier);
  };
  return { kernel, proxier, change };
}

async function sync(proxier: Proxier, full = false): Promise<string> {
  const report = await proxier.sync({ full });
  assert.deepEqual(report.failures, []);
  assert.equal(report.full, full);
  return report.plans.map(renderPlan).join('');
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

async function servers(kernel: FakeKernel): Promise<string[]> {
  return (await kernel.ipvs.dump()).map((v) => `${v.service.key.kind === 'address' ? `${v.service.key.address}:${v.service.key.port}` : ''} ${v.destinations.length}`).sort();
}

describe('Service type changes on the fake kernel', () => {
  it('ClusterIP → NodePort → LoadBalancer (source ranges) → ClusterIP: exactly what changed, in one partial sync each', async () => {
    const { kernel, change } = await setup(service(spec({})));
    assert.equal(await change(service(NODE_PORT)), lines(
      'ipset add KUBE-NODE-PORT-TCP 30080',
      'ipvs add service TCP 192.168.1.20:30080 scheduler rr flags 0x0',
      'ipvs add destination TCP 192.168.1.20:30080 -> 10.244.0.11:8080 masq weight 1',
      'ipvs add destination TCP 192.168.1.20:30080 -> 10.244.0.12:8080 masq weight 1',
    ));
    assert.equal(await change(service(LB)), lines(
      'addr add 198.51.100.1/32 dev kube-ipvs0',
      'ipset add KUBE-IPVS-IPS 198.51.100.1',
      'ipset add KUBE-LOAD-BALANCER 198.51.100.1,tcp:80',
      'ipset add KUBE-LOAD-BALANCER-FW 198.51.100.1,tcp:80',
      'ipset add KUBE-LOAD-BALANCER-SOURCE-CIDR 198.51.100.1,tcp:80,10.0.0.0/8',
      // The node (192.168.1.20) is outside 10.0.0.0/8: its own connections to the LB IP are dropped.
      ...rewrite(1),
      'ipvs add service TCP 198.51.100.1:80 scheduler rr flags 0x0',
      'ipvs add destination TCP 198.51.100.1:80 -> 10.244.0.11:8080 masq weight 1',
      'ipvs add destination TCP 198.51.100.1:80 -> 10.244.0.12:8080 masq weight 1',
    ));
    const out = (await kernel.iptables.save(4, 'filter')).tables.get('filter')?.chains.get('KUBE-IPVS-OUT-FILTER')?.rules;
    assert.deepEqual(out, [['-s', '198.51.100.1/32', '-m', 'ipvs', '--vproto', '6', '--vaddr', '198.51.100.1/32', '--vport', '80', '-j', 'DROP']]);
    assert.equal(await change(service(spec({}))), lines(
      'ipset del KUBE-IPVS-IPS 198.51.100.1',
      'ipset del KUBE-LOAD-BALANCER 198.51.100.1,tcp:80',
      'ipset del KUBE-LOAD-BALANCER-FW 198.51.100.1,tcp:80',
      'ipset del KUBE-LOAD-BALANCER-SOURCE-CIDR 198.51.100.1,tcp:80,10.0.0.0/8',
      'ipset del KUBE-NODE-PORT-TCP 30080',
      ...rewrite(0),
      'ipvs delete service TCP 192.168.1.20:30080',
      'ipvs delete service TCP 198.51.100.1:80',
      'addr del 198.51.100.1/32 dev kube-ipvs0',
    ));
    assert.deepEqual(await servers(kernel), ['10.96.0.10:80 2']);
    assert.equal(await sync(setupFor(kernel).proxier, true), '', 'a fresh full read agrees');
  });

  it('Cluster → Local: node-IP servers lose the remote endpoint and join the -LOCAL set; the ClusterIP server is untouched', async () => {
    const { change } = await setup(service(NODE_PORT));
    assert.equal(await change(service({ ...NODE_PORT, externalTrafficPolicy: 'Local' })), lines(
      'ipset add KUBE-NODE-PORT-LOCAL-TCP 30080',
      'ipvs delete destination TCP 192.168.1.20:30080 -> 10.244.0.12:8080',
    ));
  });

  it('a port added and one removed: only that port\'s servers and members', async () => {
    const { change } = await setup(service(NODE_PORT));
    const next = service({ ...NODE_PORT, ports: [{ name: 'http', port: 80, nodePort: 30081 }] });
    assert.equal(await change(next), lines(
      'ipset add KUBE-NODE-PORT-TCP 30081',
      'ipset del KUBE-NODE-PORT-TCP 30080',
      'ipvs add service TCP 192.168.1.20:30081 scheduler rr flags 0x0',
      'ipvs add destination TCP 192.168.1.20:30081 -> 10.244.0.11:8080 masq weight 1',
      'ipvs add destination TCP 192.168.1.20:30081 -> 10.244.0.12:8080 masq weight 1',
      'ipvs delete service TCP 192.168.1.20:30080',
    ));
  });
});

/**
 * KUBE-IPVS-OUT-FILTER's rules follow the source ranges, so a partial sync rewrites our chains (one
 * restore, the whole fixed structure as a full sync writes it) when they change.
 */
const rewrite = (outRules: number): string[] => IPTABLES_FIRST_SYNC.map((l) => l.replace('KUBE-IPVS-OUT-FILTER (0 rules)', `KUBE-IPVS-OUT-FILTER (${outRules} rules)`));

/** A second proxier over the same kernel (a restart): its first sync is full and reads everything back. */
function setupFor(kernel: FakeKernel): { proxier: Proxier } {
  const proxier = new Proxier({ kernel, families: [familyConfig()], logger: pino({ level: 'silent' }) });
  proxier.onNodeAddresses(eth0('192.168.1.20'));
  proxier.onServiceUpdate(undefined, service(spec({})));
  proxier.onEndpointSliceUpdate(undefined, slice({ service: 'web', endpoints: ['10.244.0.11', { ip: '10.244.0.12', node: 'node-b' }] }));
  return { proxier };
}

describe('node IPs follow the node state', () => {
  it('an address added and one removed move every NodePort server in one partial sync; foreign servers on node IPs stay', async () => {
    const { kernel, proxier } = await setup(service(NODE_PORT));
    // Someone else's servers on the node IP: another port, and (a conflict we do not own) nothing else.
    await kernel.ipvs.apply([{ op: 'addService', service: { key: { kind: 'address', family: 4, protocol: 'TCP', address: '192.168.1.20', port: 8443 }, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff } }]);
    proxier.onNodeAddresses(eth0('192.168.1.21'));
    assert.equal(await sync(proxier), lines(
      'ipvs add service TCP 192.168.1.21:30080 scheduler rr flags 0x0',
      'ipvs add destination TCP 192.168.1.21:30080 -> 10.244.0.11:8080 masq weight 1',
      'ipvs add destination TCP 192.168.1.21:30080 -> 10.244.0.12:8080 masq weight 1',
      // No longer a node IP, but ours: this process put it there (ownership/served-servers.ts).
      'ipvs delete service TCP 192.168.1.20:30080',
    ));
    assert.deepEqual(await servers(kernel), ['10.96.0.10:80 2', '192.168.1.20:8443 0', '192.168.1.21:30080 2']);
    assert.equal(await sync(proxier, true), '', 'a full sync finds nothing to repair and leaves the foreign server');
  });

  it('a node IP becomes an externalIP\'s address: the externalIP is unbound from kube-ipvs0 and served on the node\'s own address', async () => {
    const { proxier, change } = await setup(service(spec({})));
    assert.match(await change(service(spec({ externalIPs: ['192.168.1.30'] }))), /^addr add 192\.168\.1\.30\/32 dev kube-ipvs0$/m);
    proxier.onNodeAddresses(eth0('192.168.1.20', '192.168.1.30'));
    assert.equal(await sync(proxier), lines(
      'ipset del KUBE-IPVS-IPS 192.168.1.30',
      'addr del 192.168.1.30/32 dev kube-ipvs0',
    ));
  });
});

describe('refused externalIPs are logged once per change, not per sync', () => {
  it('a warning when refused, nothing on later syncs or unrelated edits, one line when no longer refused', async () => {
    const { logger, lines: log } = captureLogger();
    const refused = service(spec({ externalIPs: ['198.51.100.9'] }));
    const { proxier, change } = await setup(refused, { externalIPs: { enabled: true, cidrs: ['203.0.113.0/24'] } }, logger);
    const warnings = (): unknown[] => log.filter((l) => l.level >= 40).map((l) => l.msg);
    assert.deepEqual(warnings(), ['service default/web: externalIPs not served: 198.51.100.9 (outside --external-ip-cidrs)']);
    await sync(proxier, true);
    await change(service(spec({ externalIPs: ['198.51.100.9'], affinity: 60 })));
    assert.equal(warnings().length, 1);
    assert.match(await change(service(spec({ externalIPs: ['203.0.113.9'] }))), /^addr add 203\.0\.113\.9\/32 /m);
    assert.deepEqual(log.filter((l) => l.level === 30 && String(l.msg).includes('externalIP')).map((l) => l.msg), ['service default/web: no externalIP is refused any more']);
  });
});
