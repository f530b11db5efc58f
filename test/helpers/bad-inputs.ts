/**
 * The bad-input corpus of issue 9: inputs a careful operator (or a misbehaving API server) can hand
 * the daemon, each of which must be skipped on its own with one line naming it, while the good
 * Services stay programmed and nothing leaks. Object cases run through both sources (manifest files
 * and the API); file cases only exist for the manifests source.
 *
 * Every object case is a Service or an EndpointSlice named `bad` (namespace `corpus`), so one
 * log line can be matched to it. Slices point at `victim`, a good Service with no endpoints, so a
 * refused endpoint would show up as a real server of a good Service.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Json = Record<string, unknown>;

export const CORPUS_NAMESPACE = 'corpus';
export const BAD_NAME = 'bad';

/** The good state every case must leave untouched: `web` with two endpoints, `victim` with none. */
export const GOOD_MANIFESTS = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: corpus, creationTimestamp: "2020-01-01T00:00:00Z"}
spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 80}, {name: dns, port: 53, protocol: UDP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: corpus, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080}, {name: dns, port: 5353, protocol: UDP}]
endpoints:
- addresses: [10.244.1.5]
- addresses: [10.244.1.6]
---
apiVersion: v1
kind: Service
metadata: {name: victim, namespace: corpus, creationTimestamp: "2020-01-01T00:00:00Z"}
spec: {clusterIP: 10.96.0.20, ports: [{name: http, port: 80}]}
`;

export interface ObjectCase {
  readonly name: string;
  /** The objects to add; the first is the one the line must name (`corpus/bad`). */
  readonly objects: readonly Json[];
  /** The field the line must name, when there is one. */
  readonly field?: string;
}

function service(spec: Json, metadata: Json = {}): Json {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: BAD_NAME, namespace: CORPUS_NAMESPACE, creationTimestamp: '2024-01-01T00:00:00Z', ...metadata },
    spec: { clusterIP: '10.96.0.99', ports: [{ name: 'http', port: 80 }], ...spec },
  };
}

function slice(endpoints: unknown, extra: Json = {}): Json {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: BAD_NAME, namespace: CORPUS_NAMESPACE, labels: { 'kubernetes.io/service-name': 'victim' } },
    addressType: 'IPv4', ports: [{ name: 'http', port: 8080 }], endpoints, ...extra,
  };
}

const endpoint = (address: string): Json => ({ addresses: [address], conditions: { ready: true } });

const clusterIP = (name: string, ip: string): ObjectCase => ({ name: `ClusterIP ${name} ${ip}`, objects: [service({ clusterIP: ip, clusterIPs: [ip] })], field: 'spec.clusterIP' });
const endpointAddress = (name: string, ip: string): ObjectCase => ({ name: `endpoint ${name} ${ip}`, objects: [slice([endpoint(ip)])], field: 'endpoints[0].addresses[0]' });

export const OBJECT_CASES: readonly ObjectCase[] = [
  // Addresses the kernel must never get (issue 9's probe: 0.0.0.0 and 127.0.0.1 did reach it).
  clusterIP('unspecified', '0.0.0.0'),
  clusterIP('this-network', '0.1.2.3'),
  clusterIP('loopback', '127.0.0.1'),
  clusterIP('loopback', '127.1.2.3'),
  clusterIP('broadcast', '255.255.255.255'),
  clusterIP('multicast', '224.0.0.1'),
  clusterIP('multicast', '239.255.255.250'),
  clusterIP('link-local', '169.254.169.254'),
  clusterIP('unspecified', '::'),
  clusterIP('loopback', '::1'),
  clusterIP('multicast', 'ff02::1'),
  clusterIP('link-local', 'fe80::1'),
  clusterIP('out of range', '10.96.0.300'),
  clusterIP('leading zero', '010.96.0.1'),
  clusterIP('IPv4-mapped', '::ffff:10.96.0.1'),
  clusterIP('garbage', 'not-an-ip'),
  { name: 'ClusterIP a number', objects: [service({ clusterIP: 167772161, clusterIPs: undefined })], field: 'spec.clusterIP' },
  { name: 'two IPv4 clusterIPs', objects: [service({ clusterIPs: ['10.96.0.99', '10.96.0.98'] })], field: 'spec.clusterIPs[1]' },
  { name: 'externalIP 127.0.0.1', objects: [service({ externalIPs: ['127.0.0.1'] })], field: 'spec.externalIPs[0]' },
  { name: 'externalIP 0.0.0.0', objects: [service({ externalIPs: ['0.0.0.0'] })], field: 'spec.externalIPs[0]' },
  { name: 'externalIP multicast', objects: [service({ externalIPs: ['224.0.0.5'] })], field: 'spec.externalIPs[0]' },
  { name: 'LB ingress broadcast', objects: [{ ...service({ type: 'LoadBalancer' }), status: { loadBalancer: { ingress: [{ ip: '255.255.255.255' }] } } }], field: 'status.loadBalancer.ingress[0].ip' },
  { name: 'LB ingress link-local', objects: [{ ...service({ type: 'LoadBalancer' }), status: { loadBalancer: { ingress: [{ ip: 'fe80::5' }] } } }], field: 'status.loadBalancer.ingress[0].ip' },
  // Ports.
  { name: 'port 0', objects: [service({ ports: [{ name: 'http', port: 0 }] })], field: 'spec.ports[0].port' },
  { name: 'port 65536', objects: [service({ ports: [{ name: 'http', port: 65536 }] })], field: 'spec.ports[0].port' },
  { name: 'port -1', objects: [service({ ports: [{ name: 'http', port: -1 }] })], field: 'spec.ports[0].port' },
  { name: 'port 1.5', objects: [service({ ports: [{ name: 'http', port: 1.5 }] })], field: 'spec.ports[0].port' },
  { name: 'port as a string', objects: [service({ ports: [{ name: 'http', port: '80' }] })], field: 'spec.ports[0].port' },
  { name: 'protocol ICMP', objects: [service({ ports: [{ name: 'http', port: 80, protocol: 'ICMP' }] })], field: 'spec.ports[0].protocol' },
  { name: 'duplicate port name', objects: [service({ ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] })], field: 'spec.ports[1].name' },
  { name: 'nodePort 22 (outside the node-port range)', objects: [service({ type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 22 }] })], field: 'spec.ports[0].nodePort' },
  { name: 'nodePort 70000', objects: [service({ type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 70000 }] })], field: 'spec.ports[0].nodePort' },
  { name: 'healthCheckNodePort 99999', objects: [service({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 99999 })], field: 'spec.healthCheckNodePort' },
  // Other fields.
  { name: 'type Foo', objects: [service({ type: 'Foo' })], field: 'spec.type' },
  { name: 'sessionAffinity Sticky', objects: [service({ sessionAffinity: 'Sticky' })], field: 'spec.sessionAffinity' },
  { name: 'affinity timeout 0', objects: [service({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } } })], field: 'spec.sessionAffinityConfig.clientIP.timeoutSeconds' },
  { name: 'externalTrafficPolicy Nowhere', objects: [service({ externalTrafficPolicy: 'Nowhere' })], field: 'spec.externalTrafficPolicy' },
  { name: 'source range /33', objects: [service({ type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.0/33'] })], field: 'spec.loadBalancerSourceRanges[0]' },
  { name: 'spec a string', objects: [{ ...service({}), spec: 'clusterIP: 10.96.0.99' }], field: 'spec' },
  { name: 'no spec', objects: [{ ...service({}), spec: undefined }], field: 'spec' },
  { name: 'ports not a list', objects: [service({ ports: { name: 'http', port: 80 } })], field: 'spec.ports' },
  { name: 'name with an underscore', objects: [service({}, { name: 'bad_name' })], field: 'metadata.name' },
  // A second Service on web's 10.96.0.10:80: web is older and keeps it (issue 9: the newer one
  // silently replaced web's destinations).
  { name: 'address:port conflict with an older Service', objects: [service({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] })] },
  // EndpointSlices (for victim, which must stay without real servers).
  endpointAddress('loopback', '127.0.0.1'),
  endpointAddress('unspecified', '0.0.0.0'),
  endpointAddress('broadcast', '255.255.255.255'),
  endpointAddress('multicast', '224.0.0.1'),
  endpointAddress('link-local (the cloud metadata server)', '169.254.169.254'),
  { name: 'IPv6 endpoint in an IPv4 slice', objects: [slice([endpoint('fd00::5')])], field: 'endpoints[0].addresses[0]' },
  { name: 'endpoint without addresses', objects: [slice([{ addresses: [] }])], field: 'endpoints[0].addresses' },
  { name: 'endpoint port 0', objects: [slice([endpoint('10.244.9.9')], { ports: [{ name: 'http', port: 0 }] })], field: 'ports[0].port' },
  { name: 'endpoint port 70000', objects: [slice([endpoint('10.244.9.9')], { ports: [{ name: 'http', port: 70000 }] })], field: 'ports[0].port' },
  { name: 'addressType Bogus', objects: [slice([endpoint('10.244.9.9')], { addressType: 'Bogus' })], field: 'addressType' },
  { name: 'endpoints not a list', objects: [slice({ addresses: ['10.244.9.9'] })], field: 'endpoints' },
  { name: 'ready "yes"', objects: [slice([{ addresses: ['10.244.9.9'], conditions: { ready: 'yes' } }])], field: 'endpoints[0].conditions.ready' },
];

export interface FileCase {
  readonly name: string;
  /** The directory entry the line must name. */
  readonly entry: string;
  readonly create: (dir: string) => void;
  /** Only where the condition can be made (a permission is no barrier to uid 0). */
  readonly skip?: string;
}

const write = (entry: string, text: string | Buffer) => (dir: string): void => writeFileSync(join(dir, entry), text);
const serviceText = 'apiVersion: v1\nkind: Service\nmetadata: {name: bad, namespace: corpus}\nspec: {clusterIP: 10.96.0.99, ports: [{port: 80}]}\n';

export const FILE_CASES: readonly FileCase[] = [
  { name: 'symlink loop', entry: 'loop.yaml', create: (dir) => symlinkSync('loop.yaml', join(dir, 'loop.yaml')) },
  { name: 'dangling symlink', entry: 'dangling.yaml', create: (dir) => symlinkSync('/nonexistent/target.yaml', join(dir, 'dangling.yaml')) },
  { name: 'directory named like a manifest', entry: 'dir.yaml', create: (dir) => mkdirSync(join(dir, 'dir.yaml')) },
  { name: 'FIFO named like a manifest', entry: 'fifo.yaml', create: (dir) => { execFileSync('mkfifo', [join(dir, 'fifo.yaml')]); } },
  {
    name: 'unreadable file', entry: 'secret.yaml',
    create: (dir) => { write('secret.yaml', serviceText)(dir); execFileSync('chmod', ['000', join(dir, 'secret.yaml')]); },
    ...(process.getuid?.() === 0 ? { skip: 'uid 0 reads any file' } : {}),
  },
  { name: 'bytes that are not UTF-8', entry: 'latin1.yaml', create: write('latin1.yaml', Buffer.from([...Buffer.from('kind: Service\nmetadata: {name: caf'), 0xe9, 0x0a])) },
  { name: 'UTF-16 text', entry: 'utf16.yaml', create: write('utf16.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(serviceText, 'utf16le')])) },
  { name: 'YAML alias bomb', entry: 'bomb.yaml', create: write('bomb.yaml', aliasBomb()) },
  { name: 'YAML syntax error', entry: 'syntax.yaml', create: write('syntax.yaml', 'kind: Service\nmetadata: {name: bad\n') },
  { name: 'duplicate keys', entry: 'dupkeys.yaml', create: write('dupkeys.yaml', 'kind: Service\nkind: Service\nmetadata: {name: bad}\n') },
  { name: 'JSON syntax error', entry: 'broken.json', create: write('broken.json', '{"kind": "Service", "metadata": {') },
  { name: 'tab indentation', entry: 'tabs.yaml', create: write('tabs.yaml', 'kind: Service\nmetadata:\n\tname: bad\n') },
  { name: 'misspelt kind', entry: 'typo.yaml', create: write('typo.yaml', serviceText.replace('kind: Service', 'kind: Servcie')) },
  { name: 'document without a kind', entry: 'nokind.yaml', create: write('nokind.yaml', serviceText.replace('kind: Service\n', '')) },
  { name: 'a scalar document', entry: 'scalar.yaml', create: write('scalar.yaml', 'just some text\n') },
  { name: 'deeply nested document', entry: 'deep.yaml', create: write('deep.yaml', `kind: Service\nmetadata: ${'['.repeat(5000)}${']'.repeat(5000)}\n`) },
  { name: 'duplicate namespace/name across files', entry: 'web-copy.yaml', create: write('web-copy.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: corpus}\nspec: {clusterIP: 10.96.0.77, ports: [{name: http, port: 80}]}\n') },
];

/** Nine levels of ten aliases each: 10^9 nodes if expanded. */
function aliasBomb(): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  lines.push('kind: Service', 'metadata: {name: bad, namespace: corpus}', 'spec: {clusterIP: 10.96.0.99, ports: [{port: 80}], x: *a8}');
  return `${lines.join('\n')}\n`;
}
