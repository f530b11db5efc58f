// --config FILE: a kubeadm user's KubeProxyConfiguration loads unchanged, flags given override it,
// and every bad value fails with one line naming the field path and the file.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadSettings } from '../../../src/config/load.ts';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '../../../src/config/settings.ts';
import { HEADER, run } from './run.ts';

const KUBEADM = readFileSync(new URL('fixtures/kubeadm-1.28.yaml', import.meta.url), 'utf8');

async function settingsOf(argv: string[], file: string): Promise<{ settings: Settings; ignored: string[] }> {
  const { loaded, printed } = await run(argv, file);
  assert.equal(printed, undefined);
  assert.ok(loaded !== undefined);
  return { settings: loaded.settings, ignored: loaded.ignoredFields };
}

describe('config file only', () => {
  it('the file kubeadm writes (every field, zero values) loads with nothing ignored', async () => {
    const { settings, ignored } = await settingsOf(['--config=/var/lib/kube-proxy/config.conf'], KUBEADM);
    assert.deepEqual(ignored, []);
    assert.deepEqual(settings, {
      configFile: '/var/lib/kube-proxy/config.conf', manifests: undefined, dryRun: false, once: false, cleanup: false, hostname: undefined,
      mode: 'ipvs', kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf', master: undefined, bindAddress: '0.0.0.0',
      healthzBindAddress: '0.0.0.0:10256', metricsBindAddress: '127.0.0.1:10249', scheduler: 'rr', clusterCIDRs: ['10.244.0.0/16'],
      masqueradeAll: false, masqueradeBit: 14, excludeCIDRs: [], strictARP: true, ipvsTimeouts: { tcp: 0, tcpFin: 0, udp: 0 },
      nodePortAddresses: { kind: 'all' }, serviceNodePortRange: { from: 30000, to: 32767 }, externalIPCIDRs: [], externalIPsDisabled: false, syncPeriodMs: 30_000, minSyncPeriodMs: 0, configSyncPeriodMs: 900_000,
      ipvsBackend: 'netlink', iptablesBackend: undefined, families: undefined, verbosity: 0, logLevel: 'info',
    });
  });

  it('every acted-on field maps to settings', async () => {
    const file = `${HEADER}hostnameOverride: Worker-1
clientConnection: {kubeconfig: /etc/kp.conf}
bindAddress: "fd00::5"
healthzBindAddress: "[fd00::5]:1234"
metricsBindAddress: fd00::5
mode: ""
clusterCIDR: "10.244.0.0/16,fd00:244::/56"
iptables: {masqueradeAll: true, masqueradeBit: 7}
ipvs:
  scheduler: wlc
  excludeCIDRs: [10.1.2.3/16]
  syncPeriod: 1m
  minSyncPeriod: 2s
  tcpTimeout: 1h
  tcpFinTimeout: 30s
  udpTimeout: 1500ms
logging: {verbosity: 3}
`;
    const { settings, ignored } = await settingsOf(['--config=c.yaml'], file);
    assert.deepEqual(ignored, ['bindAddress']);
    assert.deepEqual(
      { ...settings },
      {
        ...settings,
        hostname: 'worker-1', kubeconfig: '/etc/kp.conf', bindAddress: 'fd00::5', healthzBindAddress: '[fd00::5]:1234',
        metricsBindAddress: '[fd00::5]:10249', clusterCIDRs: ['10.244.0.0/16', 'fd00:244::/56'], families: undefined, masqueradeAll: true,
        masqueradeBit: 7, scheduler: 'wlc', excludeCIDRs: ['10.1.0.0/16'], syncPeriodMs: 60_000, minSyncPeriodMs: 2000,
        ipvsTimeouts: { tcp: 3600, tcpFin: 30, udp: 1 }, verbosity: 3, logLevel: 'debug',
      },
    );
  });

  it('an IPv6 bindAddress moves the default server addresses to IPv6', async () => {
    const { settings } = await settingsOf(['--config=c.yaml'], `${HEADER}bindAddress: "::"\n`);
    assert.equal(settings.healthzBindAddress, '[::]:10256');
    assert.equal(settings.metricsBindAddress, '[::1]:10249');
  });

  it('JSON is YAML: a JSON config file loads', async () => {
    const { settings } = await settingsOf(['--config=c.json'], '{"apiVersion":"kubeproxy.config.k8s.io/v1alpha1","kind":"KubeProxyConfiguration","ipvs":{"strictARP":true}}');
    assert.equal(settings.strictARP, true);
  });

  it('reads a real file from disk the same way as injected text', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kp-')), 'config.conf');
    writeFileSync(path, KUBEADM);
    const viaInjected = await settingsOf([`--config=${path}`, '--masquerade-all'], KUBEADM);
    const fromDisk = await loadSettings([`--config=${path}`, '--masquerade-all']);
    assert.deepEqual(fromDisk.settings, viaInjected.settings);
  });
});

describe('YAML 1.1 booleans, as go-yaml v2 reads them', () => {
  for (const [text, value] of [['yes', true], ['Yes', true], ['on', true], ['ON', true], ['y', true], ['True', true], ['no', false], ['off', false], ['N', false], ['false', false]] as const) {
    it(`strictARP: ${text} → ${value}`, async () => {
      const { settings } = await settingsOf(['--config=c.yaml'], `${HEADER}ipvs:\n  strictARP: ${text}\n`);
      assert.equal(settings.strictARP, value);
    });
  }
  it('a quoted "yes" is a string, not a boolean', async () => {
    const { printed } = await run(['--config=c.yaml'], `${HEADER}ipvs:\n  strictARP: "yes"\n`);
    assert.equal(printed, 'invalid ipvs.strictARP in c.yaml: "yes" (must be true or false)');
  });
  it('YAML 1.1 octal: masqueradeBit: 010 is 8', async () => {
    const { settings } = await settingsOf(['--config=c.yaml'], `${HEADER}iptables: {masqueradeBit: 010}\n`);
    assert.equal(settings.masqueradeBit, 8);
  });
});

describe('flags given on the command line override the file; defaults of absent flags do not', () => {
  const file = `${HEADER}hostnameOverride: from-file
clusterCIDR: 10.244.0.0/16
iptables: {masqueradeAll: true, masqueradeBit: 12}
ipvs: {scheduler: wrr, strictARP: yes, syncPeriod: 10s, minSyncPeriod: 1s, excludeCIDRs: [10.0.0.0/8]}
metricsBindAddress: 0.0.0.0:10249
`;
  const cases: { argv: string[]; expect: Partial<Settings> }[] = [
    { argv: [], expect: { hostname: 'from-file', scheduler: 'wrr', strictARP: true, masqueradeAll: true, masqueradeBit: 12, syncPeriodMs: 10_000, minSyncPeriodMs: 1000, metricsBindAddress: '0.0.0.0:10249' } },
    { argv: ['--hostname-override=From-Flag'], expect: { hostname: 'from-flag' } },
    { argv: ['--ipvs-scheduler=lc'], expect: { scheduler: 'lc' } },
    { argv: ['--ipvs-strict-arp=false'], expect: { strictARP: false } },
    { argv: ['--masquerade-all=false'], expect: { masqueradeAll: false } },
    { argv: ['--masquerade-bit=0'], expect: { masqueradeBit: 0 } },
    { argv: ['--ipvs-sync-period=20s'], expect: { syncPeriodMs: 20_000, minSyncPeriodMs: 1000 } },
    { argv: ['--ipvs-min-sync-period=0s'], expect: { minSyncPeriodMs: 0, syncPeriodMs: 10_000 } },
    { argv: ['--ipvs-exclude-cidrs=192.168.0.0/16'], expect: { excludeCIDRs: ['192.168.0.0/16'] } },
    { argv: ['--cluster-cidr=fd00:244::/56'], expect: { clusterCIDRs: ['fd00:244::/56'], families: undefined } },
    { argv: ['--metrics-bind-address='], expect: { metricsBindAddress: undefined } },
    { argv: ['--v=5'], expect: { logLevel: 'trace' } },
  ];
  for (const c of cases) {
    it(c.argv.join(' ') || '(no flags)', async () => {
      const { settings } = await settingsOf(['--config', 'c.yaml', ...c.argv], file);
      for (const [key, value] of Object.entries(c.expect)) assert.deepEqual(settings[key as keyof Settings], value, key);
    });
  }
  it('a flag that breaks a rule with a file value names the flag', async () => {
    const { printed } = await run(['--config=c.yaml', '--ipvs-min-sync-period=11s'], file);
    assert.equal(printed, 'invalid --ipvs-min-sync-period: "11s" (must not exceed ipvs.syncPeriod (10s))');
  });
});

describe('ignored fields are reported when they ask for something', () => {
  it('non-default values of fields we do not act on, and such flags', async () => {
    const file = `${HEADER}enableProfiling: true
featureGates: {SomeGate: true}
conntrack: {maxPerCore: 32768, min: 1, tcpCloseWaitTimeout: 1h0m0s}
clientConnection: {qps: 5, burst: 100}
udpIdleTimeout: 250ms
oomScoreAdj: -999
nodePortAddresses: [primary]
winkernel: {networkName: ""}
logging: {format: json, flushFrequency: 5000000000}
`;
    const { ignored } = await settingsOf(['--config=c.yaml', '--conntrack-tcp-be-liberal'], file);
    assert.deepEqual(ignored, ['featureGates', 'clientConnection.burst', 'logging.format', 'enableProfiling', 'nodePortAddresses', 'conntrack.min', '--conntrack-tcp-be-liberal']);
  });
});
