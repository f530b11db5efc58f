// Every bad config file fails at startup with ONE line naming the field path and the file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/config/errors.ts';
import { ProxierError } from '../../../src/errors.ts';
import { HEADER, run } from './run.ts';

const cases: { name: string; yaml: string; field: string; reason?: string }[] = [
  { name: 'vmodule item with an unknown key', yaml: `${HEADER}logging: {vmodule: [{file: x, verbosity: 2}]}\n`, field: 'logging.vmodule[0].file' },
  { name: 'duplicate field', yaml: `${HEADER}mode: ipvs\nmode: ipvs\n`, field: 'config', reason: 'unique' },
  { name: 'not YAML', yaml: `${HEADER}ipvs: [\n`, field: 'config', reason: 'not valid YAML' },
  { name: 'a list, not an object', yaml: '- a\n- b\n', field: 'config' },
  { name: 'two documents', yaml: `${HEADER}---\n${HEADER}`, field: 'config' },
  { name: 'missing apiVersion', yaml: 'kind: KubeProxyConfiguration\n', field: 'apiVersion' },
  { name: 'wrong apiVersion', yaml: 'apiVersion: kubeproxy.config.k8s.io/v1alpha2\nkind: KubeProxyConfiguration\n', field: 'apiVersion' },
  { name: 'wrong kind', yaml: 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeletConfiguration\n', field: 'kind' },
  { name: 'struct given a scalar', yaml: `${HEADER}ipvs: 5\n`, field: 'ipvs', reason: 'must be an object' },
  { name: 'string given a number', yaml: `${HEADER}hostnameOverride: 123\n`, field: 'hostnameOverride', reason: 'must be a string' },
  { name: 'duration given a number', yaml: `${HEADER}ipvs: {syncPeriod: 30}\n`, field: 'ipvs.syncPeriod', reason: 'must be a duration' },
  { name: 'duration with a bad unit', yaml: `${HEADER}ipvs: {syncPeriod: 30sec}\n`, field: 'ipvs.syncPeriod' },
  { name: 'negative syncPeriod', yaml: `${HEADER}ipvs: {syncPeriod: -30s}\n`, field: 'ipvs.syncPeriod', reason: 'greater than 0' },
  { name: 'minSyncPeriod above syncPeriod', yaml: `${HEADER}ipvs: {syncPeriod: 10s, minSyncPeriod: 1m}\n`, field: 'ipvs.minSyncPeriod', reason: 'must not exceed ipvs.syncPeriod' },
  { name: 'minSyncPeriod above the default syncPeriod', yaml: `${HEADER}ipvs: {minSyncPeriod: 31s}\n`, field: 'ipvs.minSyncPeriod' },
  { name: 'negative tcpTimeout', yaml: `${HEADER}ipvs: {tcpTimeout: -1s}\n`, field: 'ipvs.tcpTimeout', reason: 'greater than or equal to 0' },
  { name: 'negative udpTimeout', yaml: `${HEADER}ipvs: {udpTimeout: -5m}\n`, field: 'ipvs.udpTimeout' },
  { name: 'unknown scheduler', yaml: `${HEADER}ipvs: {scheduler: roundrobin}\n`, field: 'ipvs.scheduler' },
  { name: 'bad excludeCIDRs entry', yaml: `${HEADER}ipvs: {excludeCIDRs: [10.0.0.0/8, 10.0.0.1]}\n`, field: 'ipvs.excludeCIDRs' },
  { name: 'excludeCIDRs not a list', yaml: `${HEADER}ipvs: {excludeCIDRs: 10.0.0.0/8}\n`, field: 'ipvs.excludeCIDRs' },
  { name: 'masqueradeBit 32', yaml: `${HEADER}iptables: {masqueradeBit: 32}\n`, field: 'iptables.masqueradeBit', reason: '0..31' },
  { name: 'masqueradeBit -1', yaml: `${HEADER}iptables: {masqueradeBit: -1}\n`, field: 'iptables.masqueradeBit' },
  { name: 'masqueradeBit 1.5', yaml: `${HEADER}iptables: {masqueradeBit: 1.5}\n`, field: 'iptables.masqueradeBit' },
  { name: 'bad clusterCIDR', yaml: `${HEADER}clusterCIDR: 10.244.0.0/40\n`, field: 'clusterCIDR' },
  { name: 'two IPv4 clusterCIDRs', yaml: `${HEADER}clusterCIDR: 10.244.0.0/16,10.245.0.0/16\n`, field: 'clusterCIDR', reason: 'different IP families' },
  { name: 'mode iptables', yaml: `${HEADER}mode: iptables\n`, field: 'mode', reason: 'only the ipvs proxy mode' },
  { name: 'mode nftables', yaml: `${HEADER}mode: nftables\n`, field: 'mode' },
  { name: 'mode userspace', yaml: `${HEADER}mode: userspace\n`, field: 'mode' },
  { name: 'mode bogus', yaml: `${HEADER}mode: fast\n`, field: 'mode', reason: 'must be ipvs' },
  { name: 'unsupported detectLocalMode', yaml: `${HEADER}detectLocalMode: BridgeInterface\n`, field: 'detectLocalMode', reason: 'not supported' },
  { name: 'bindAddress not an IP', yaml: `${HEADER}bindAddress: node-1\n`, field: 'bindAddress' },
  { name: 'healthzBindAddress with a host name', yaml: `${HEADER}healthzBindAddress: localhost:10256\n`, field: 'healthzBindAddress' },
  { name: 'metricsBindAddress with a bad port', yaml: `${HEADER}metricsBindAddress: 127.0.0.1:70000\n`, field: 'metricsBindAddress' },
  { name: 'metricsBindAddress unbracketed IPv6 with port', yaml: `${HEADER}metricsBindAddress: "::1:10249:x"\n`, field: 'metricsBindAddress' },
  { name: 'nodePortAddresses primary with a CIDR', yaml: `${HEADER}nodePortAddresses: [primary, 10.0.0.0/8]\n`, field: 'nodePortAddresses', reason: 'only entry' },
  { name: 'nodePortAddresses bad CIDR', yaml: `${HEADER}nodePortAddresses: [10.0.0.0]\n`, field: 'nodePortAddresses' },
  { name: 'nodePortAddresses localhost', yaml: `${HEADER}nodePortAddresses: [localhost]\n`, field: 'nodePortAddresses', reason: 'loopback' },
  { name: 'blank hostnameOverride', yaml: `${HEADER}hostnameOverride: "   "\n`, field: 'hostnameOverride' },
  { name: 'oomScoreAdj out of range', yaml: `${HEADER}oomScoreAdj: -1001\n`, field: 'oomScoreAdj' },
  { name: 'negative conntrack.min', yaml: `${HEADER}conntrack: {min: -1}\n`, field: 'conntrack.min' },
  { name: 'negative conntrack timeout', yaml: `${HEADER}conntrack: {tcpCloseWaitTimeout: -1h}\n`, field: 'conntrack.tcpCloseWaitTimeout' },
  { name: 'negative burst', yaml: `${HEADER}clientConnection: {burst: -1}\n`, field: 'clientConnection.burst' },
  { name: 'qps not a number', yaml: `${HEADER}clientConnection: {qps: fast}\n`, field: 'clientConnection.qps' },
  { name: 'int32 overflow', yaml: `${HEADER}conntrack: {maxPerCore: 4294967296}\n`, field: 'conntrack.maxPerCore' },
  { name: 'featureGates value not a bool', yaml: `${HEADER}featureGates: {A: maybe}\n`, field: 'featureGates' },
  { name: 'negative verbosity', yaml: `${HEADER}logging: {verbosity: -1}\n`, field: 'logging.verbosity' },
  { name: 'bad infoBufferSize', yaml: `${HEADER}logging: {options: {json: {infoBufferSize: lots}}}\n`, field: 'logging.options.json.infoBufferSize' },
  { name: 'flushFrequency a bool', yaml: `${HEADER}logging: {flushFrequency: true}\n`, field: 'logging.flushFrequency' },
  { name: 'timestamp where a string belongs', yaml: `${HEADER}portRange: 2001-12-14\n`, field: 'portRange' },
];

describe('bad config files: one line naming the field and the file', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const { error, printed } = await run(['--config', '/etc/kp/config.conf'], c.yaml);
      assert.ok(error instanceof ConfigError, printed);
      assert.ok(error instanceof ProxierError);
      assert.equal(error.code, 'ERR_CONFIG');
      assert.equal(error.field, c.field, printed);
      assert.equal(printed?.split('\n').length, 1, printed);
      assert.ok(printed?.startsWith(`invalid ${c.field} in /etc/kp/config.conf`), printed);
      if (c.reason !== undefined) assert.ok(printed?.includes(c.reason), printed);
    });
  }

  it('the message quotes the value and the reason', async () => {
    const { printed } = await run(['--config=/etc/kp/config.conf'], `${HEADER}hostnameOverride: 123\n`);
    assert.equal(printed, 'invalid hostnameOverride in /etc/kp/config.conf: 123 (must be a string (quote it))');
  });

  it('unknown fields are listed for a warning, never fatal (kube-proxy decodes v1alpha1 leniently)', async () => {
    const yaml = `${HEADER}proxyMode: ipvs\nipvs:\n  schedular: rr\n  scheduler: wlc\nlogging: {options: {text: {splitStreams: true}}}\nlinux: {masqueradeAll: true}\n`;
    const { loaded, printed } = await run(['--config=/etc/kp/config.conf'], yaml);
    assert.equal(printed, undefined);
    assert.deepEqual(loaded?.unknownFields, ['proxyMode', 'ipvs.schedular', 'logging.options.text.splitStreams', 'linux']);
    assert.equal(loaded?.settings.scheduler, 'wlc');
  });

  it('an empty file names --config', async () => {
    const { error, printed } = await run(['--config=/etc/kp/config.conf'], '\n');
    assert.equal((error as ConfigError).field, '--config');
    assert.equal(printed, 'invalid --config in /etc/kp/config.conf: "/etc/kp/config.conf" (the file is empty)');
  });

  it('a syntax error gives the line', async () => {
    const { printed } = await run(['--config=c.yaml'], `${HEADER}ipvs:\n  scheduler: rr\n tcpTimeout: 1s\n`);
    assert.match(printed ?? '', /^invalid config in c\.yaml \(not valid YAML: .+ at line 5, column \d+\)$/);
  });
});
