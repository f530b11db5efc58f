// CLI flags: kube-proxy spellings parse to settings; bad values fail with one line naming the flag.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ValidationError } from '../../../src/errors.ts';
import { formatDuration, goDurationMs, parseDuration } from '../../../src/cli/duration.ts';
import { parseBool } from '../../../src/cli/options.ts';
import type { Settings } from '../../../src/config/settings.ts';
import { run } from '../config/run.ts';

describe('CLI flags: good values', () => {
  it('defaults are kube-proxy ipvs mode defaults', async () => {
    const { loaded, printed } = await run([]);
    assert.equal(printed, undefined);
    assert.deepEqual(loaded, {
      settings: {
        configFile: undefined, manifests: undefined, dryRun: false, once: false, cleanup: false, hostname: undefined, mode: 'ipvs',
        kubeconfig: undefined, master: undefined, bindAddress: '0.0.0.0', healthzBindAddress: '0.0.0.0:10256', metricsBindAddress: '127.0.0.1:10249',
        scheduler: 'rr', clusterCIDRs: [], masqueradeAll: false, masqueradeBit: 14, excludeCIDRs: [], strictARP: false,
        ipvsTimeouts: { tcp: 0, tcpFin: 0, udp: 0 }, nodePortAddresses: { kind: 'all' }, serviceNodePortRange: { from: 30000, to: 32767 }, externalIPCIDRs: [], externalIPsDisabled: false, syncPeriodMs: 30_000, minSyncPeriodMs: 0,
        configSyncPeriodMs: 900_000, ipvsBackend: 'netlink', iptablesBackend: undefined, families: undefined, verbosity: 0, logLevel: 'info',
      },
      ignoredFields: [],
      unknownFields: [],
    });
  });

  const cases: { argv: string[]; expect: Partial<Settings>; ignored?: string[] }[] = [
    { argv: ['--masquerade-all'], expect: { masqueradeAll: true } },
    { argv: ['--masquerade-all=false'], expect: { masqueradeAll: false } },
    { argv: ['--masquerade-all=true'], expect: { masqueradeAll: true } },
    { argv: ['--masquerade-all', 'F'], expect: { masqueradeAll: false } },
    { argv: ['--masquerade-all=1'], expect: { masqueradeAll: true } },
    { argv: ['--ipvs-strict-arp'], expect: { strictARP: true } },
    { argv: ['--ipvs-strict-arp=false'], expect: { strictARP: false } },
    { argv: ['--ipvs-strict-arp=T'], expect: { strictARP: true } },
    { argv: ['--ipvs-sync-period=1m30s'], expect: { syncPeriodMs: 90_000 } },
    { argv: ['--ipvs-sync-period', '250ms', '--ipvs-min-sync-period=250ms'], expect: { syncPeriodMs: 250, minSyncPeriodMs: 250 } },
    // The old 1s minimum default made a 500ms sync period an error; upstream's is 0s.
    { argv: ['--ipvs-sync-period=500ms'], expect: { syncPeriodMs: 500, minSyncPeriodMs: 0 } },
    { argv: ['--ipvs-min-sync-period=0'], expect: { minSyncPeriodMs: 0 } },
    { argv: ['--ipvs-min-sync-period=0s'], expect: { minSyncPeriodMs: 0 } },
    { argv: ['--ipvs-min-sync-period=1.5s'], expect: { minSyncPeriodMs: 1500 } },
    { argv: ['--ipvs-tcp-timeout=15m', '--ipvs-tcpfin-timeout=2m', '--ipvs-udp-timeout=4.5s'], expect: { ipvsTimeouts: { tcp: 900, tcpFin: 120, udp: 4 } } },
    { argv: ['--ipvs-tcp-timeout=0'], expect: { ipvsTimeouts: { tcp: 0, tcpFin: 0, udp: 0 } } },
    { argv: ['--ipvs-scheduler=mh'], expect: { scheduler: 'mh' } },
    { argv: ['--ipvs-scheduler='], expect: { scheduler: 'rr' } },
    { argv: ['--masquerade-bit=31'], expect: { masqueradeBit: 31 } },
    { argv: ['--masquerade-bit', '0'], expect: { masqueradeBit: 0 } },
    { argv: ['--iptables-masquerade-bit=3'], expect: { masqueradeBit: 3 } },
    { argv: ['--cluster-cidr=10.244.1.7/16'], expect: { clusterCIDRs: ['10.244.0.0/16'], families: undefined } },
    { argv: ['--cluster-cidr=fd00:244::/64,10.244.0.0/16'], expect: { clusterCIDRs: ['fd00:244::/64', '10.244.0.0/16'], families: undefined } },
    // The cluster CIDR decides masquerading only, never which families are served (issue 8).
    { argv: ['--cluster-cidr=fd00:244::/64'], expect: { families: undefined } },
    { argv: ['--ip-families=6', '--cluster-cidr=10.244.0.0/16'], expect: { families: [6] } },
    { argv: ['--ip-families=4,6'], expect: { families: [4, 6] } },
    { argv: ['--ipvs-exclude-cidrs=10.0.0.0/8, 192.168.0.0/16,'], expect: { excludeCIDRs: ['10.0.0.0/8', '192.168.0.0/16'] } },
    { argv: ['--nodeport-addresses=primary'], expect: { nodePortAddresses: { kind: 'primary' } }, ignored: ['--nodeport-addresses'] },
    { argv: ['--nodeport-addresses=10.0.0.1/8,fd00::/64'], expect: { nodePortAddresses: { kind: 'cidrs', cidrs: ['10.0.0.0/8', 'fd00::/64'] } }, ignored: ['--nodeport-addresses'] },
    { argv: ['--nodeport-addresses='], expect: { nodePortAddresses: { kind: 'all' } }, ignored: ['--nodeport-addresses'] },
    { argv: ['--service-node-port-range=20000-22767'], expect: { serviceNodePortRange: { from: 20000, to: 22767 } } },
    { argv: ['--service-node-port-range', ' 1-65535 '], expect: { serviceNodePortRange: { from: 1, to: 65535 } } },
    { argv: ['--service-node-port-range=30080-30080'], expect: { serviceNodePortRange: { from: 30080, to: 30080 } } },
    { argv: ['--external-ip-cidrs=203.0.113.0/24, 2001:db8::1/64,'], expect: { externalIPCIDRs: ['203.0.113.0/24', '2001:db8::/64'] } },
    { argv: ['--disable-external-ips'], expect: { externalIPsDisabled: true } },
    { argv: ['--disable-external-ips=false'], expect: { externalIPsDisabled: false } },
    { argv: ['--dry-run'], expect: { dryRun: true, once: true } },
    { argv: ['--v=4', '--hostname-override', ' Node-A ', '--manifests', '/etc/svc'], expect: { logLevel: 'debug', verbosity: 4, hostname: 'node-a', manifests: '/etc/svc' } },
    { argv: ['--v=9'], expect: { logLevel: 'trace', verbosity: 9 } },
    { argv: ['--ipvs-backend=ipvsadm', '--iptables-backend=legacy'], expect: { ipvsBackend: 'ipvsadm', iptablesBackend: 'legacy' } },
    { argv: ['--proxy-mode=ipvs'], expect: { mode: 'ipvs' } },
    { argv: ['--proxy-mode='], expect: { mode: 'ipvs' } },
    { argv: ['--kubeconfig=/etc/kubernetes/proxy.conf', '--master=https://10.0.0.1:6443'], expect: { kubeconfig: '/etc/kubernetes/proxy.conf', master: 'https://10.0.0.1:6443' } },
    { argv: ['--healthz-bind-address=::1', '--metrics-bind-address=0.0.0.0:9999'], expect: { healthzBindAddress: '[::1]:10256', metricsBindAddress: '0.0.0.0:9999' } },
    // An empty value disables the server, as in kube-proxy.
    { argv: ['--metrics-bind-address=', '--healthz-bind-address='], expect: { metricsBindAddress: undefined, healthzBindAddress: undefined } },
    { argv: ['--bind-address=::'], expect: { bindAddress: '::', healthzBindAddress: '[::]:10256', metricsBindAddress: '[::1]:10249' }, ignored: ['--bind-address'] },
    { argv: ['--detect-local-mode=ClusterCIDR'], expect: {} },
    { argv: ['--conntrack-max-per-core=0', '--oom-score-adj=-999', '--profiling', '--feature-gates=A=true,B=false'], expect: {}, ignored: ['--feature-gates', '--profiling', '--oom-score-adj', '--conntrack-max-per-core'] },
    { argv: ['--iptables-sync-period=10s'], expect: { syncPeriodMs: 30_000 }, ignored: ['--iptables-sync-period'] },
  ];
  for (const c of cases) {
    it(c.argv.join(' '), async () => {
      const { loaded, printed } = await run(c.argv);
      assert.equal(printed, undefined);
      for (const [key, value] of Object.entries(c.expect)) assert.deepEqual(loaded?.settings[key as keyof Settings], value, key);
      assert.deepEqual(loaded?.ignoredFields, c.ignored ?? []);
    });
  }
});

describe('CLI flags: bad values fail with one line naming the flag', () => {
  const cases: [string[], string][] = [
    [['--masquerade-all=nope'], '--masquerade-all'],
    [['--ipvs-strict-arp=yes'], '--ipvs-strict-arp'],
    [['--ipvs-scheduler=roundrobin'], '--ipvs-scheduler'],
    [['--cluster-cidr=10.244.0.0'], '--cluster-cidr'],
    [['--cluster-cidr=10.244.0.0/33'], '--cluster-cidr'],
    [['--cluster-cidr=010.244.0.0/16'], '--cluster-cidr'],
    [['--cluster-cidr=10.244.0.0/16,10.245.0.0/16'], '--cluster-cidr'],
    [['--cluster-cidr=10.244.0.0/16,fd00::/64,10.1.0.0/16'], '--cluster-cidr'],
    [['--ipvs-exclude-cidrs=10.0.0.0/8,bogus'], '--ipvs-exclude-cidrs'],
    [['--external-ip-cidrs=203.0.113.7'], '--external-ip-cidrs'],
    [['--disable-external-ips=maybe'], '--disable-external-ips'],
    [['--nodeport-addresses=primary,10.0.0.0/8'], '--nodeport-addresses'],
    [['--nodeport-addresses=localhost'], '--nodeport-addresses'],
    [['--nodeport-addresses=eth0'], '--nodeport-addresses'],
    [['--ip-families=5'], '--ip-families'],
    [['--ip-families=4,4'], '--ip-families'],
    [['--ip-families='], '--ip-families'],
    [['--ipvs-sync-period=0'], '--ipvs-sync-period'],
    [['--ipvs-sync-period=-5s'], '--ipvs-sync-period'],
    [['--ipvs-sync-period=30'], '--ipvs-sync-period'],
    [['--ipvs-sync-period=1d'], '--ipvs-sync-period'],
    [['--ipvs-min-sync-period=-1s'], '--ipvs-min-sync-period'],
    [['--ipvs-min-sync-period=1s', '--ipvs-sync-period=500ms'], '--ipvs-min-sync-period'],
    [['--ipvs-min-sync-period=31s'], '--ipvs-min-sync-period'],
    [['--ipvs-tcp-timeout=-1s'], '--ipvs-tcp-timeout'],
    [['--ipvs-tcpfin-timeout=5'], '--ipvs-tcpfin-timeout'],
    [['--ipvs-udp-timeout=1000h'], '--ipvs-udp-timeout'],
    [['--masquerade-bit=32'], '--masquerade-bit'],
    [['--masquerade-bit=-1'], '--masquerade-bit'],
    [['--masquerade-bit=0x4'], '--masquerade-bit'],
    [['--iptables-masquerade-bit=40'], '--iptables-masquerade-bit'],
    [['--ipvs-backend=ioctl'], '--ipvs-backend'],
    [['--v=-1'], '--v'],
    [['--v=high'], '--v'],
    [['--no-such-flag'], '--no-such-flag'],
    [['--proxy-mode=userspace'], '--proxy-mode'],
    [['--proxy-mode=iptables'], '--proxy-mode'],
    [['--proxy-mode=nftables'], '--proxy-mode'],
    [['--proxy-mode=kernelspace'], '--proxy-mode'],
    [['--proxy-mode=IPVS'], '--proxy-mode'],
    [['--detect-local-mode=NodeCIDR'], '--detect-local-mode'],
    [['--detect-local-mode=Bogus'], '--detect-local-mode'],
    [['--hostname-override=  '], '--hostname-override'],
    [['--bind-address=0.0.0.0:80'], '--bind-address'],
    [['--healthz-bind-address=localhost:10256'], '--healthz-bind-address'],
    [['--metrics-bind-address=127.0.0.1:99999'], '--metrics-bind-address'],
    [['--metrics-bind-address=[::1'], '--metrics-bind-address'],
    [['--oom-score-adj=2000'], '--oom-score-adj'],
    [['--conntrack-min=-1'], '--conntrack-min'],
    [['--kube-api-burst=-1'], '--kube-api-burst'],
    [['--config-sync-period=0'], '--config-sync-period'],
    [['--feature-gates=A'], '--feature-gates'],
    [['--kube-api-qps=fast'], '--kube-api-qps'],
    [['--service-node-port-range=30000'], '--service-node-port-range'],
    [['--service-node-port-range=30000+2767'], '--service-node-port-range'],
    [['--service-node-port-range=32767-30000'], '--service-node-port-range'],
    [['--service-node-port-range=0-100'], '--service-node-port-range'],
    [['--service-node-port-range=30000-65536'], '--service-node-port-range'],
    [['--service-node-port-range=-1-100'], '--service-node-port-range'],
    [['--service-node-port-range='], '--service-node-port-range'],
  ];
  for (const [argv, flag] of cases) {
    it(argv.join(' '), async () => {
      const { error, printed } = await run(argv);
      assert.ok(error !== undefined, 'an error');
      assert.notEqual((error as { exitCode?: number }).exitCode, 0);
      const lines = (printed ?? '').split('\n');
      assert.equal(lines.length, 1, printed);
      assert.ok(lines[0]?.includes(flag), printed);
      if ('field' in error) assert.equal(error.field, flag);
    });
  }

  it('an unsupported proxy mode says why', async () => {
    const { printed } = await run(['--proxy-mode=userspace']);
    assert.equal(printed, 'invalid --proxy-mode: "userspace" (ipvs-proxier implements only the ipvs proxy mode; use kube-proxy for userspace mode)');
  });

  it('a missing --config file names --config', async () => {
    const { error, printed } = await run(['--config', '/etc/kube-proxy/nope.yaml']);
    assert.equal(error?.code, 'ERR_CONFIG');
    assert.equal(printed, 'invalid --config: "/etc/kube-proxy/nope.yaml" (cannot read the file: ENOENT)');
  });
});

describe('parseBool', () => {
  for (const v of ['1', 't', 'T', 'true', 'TRUE', 'True']) it(`${v} → true`, () => assert.equal(parseBool(v), true));
  for (const v of ['0', 'f', 'F', 'false', 'FALSE', 'False']) it(`${v} → false`, () => assert.equal(parseBool(v), false));
  for (const v of ['yes', 'on', '', 'tRUE']) it(`${JSON.stringify(v)} is refused`, () => assert.throws(() => parseBool(v)));
});

describe('Go durations', () => {
  const durations: [string, number][] = [
    ['0', 0], ['-0', 0], ['+0', 0], ['30s', 30_000], ['1m30s', 90_000], ['250ms', 250], ['1h', 3_600_000], ['1h2m3s4ms', 3_723_004],
    ['1500us', 2], ['1.5m', 90_000], ['2µs', 0], ['2000μs', 2], ['1e6ns', NaN], ['.5s', 500], ['1.s', 1000], ['-1s', -1000], ['+2m', 120_000],
    ['2562047h', 9_223_369_200_000], ['1h0m0s', 3_600_000],
  ];
  for (const [text, ms] of durations) {
    it(`${text} → ${ms} ms`, () => {
      if (Number.isNaN(ms)) assert.equal(goDurationMs(text), undefined);
      else assert.equal(parseDuration(text, '--flag'), ms);
    });
  }
  for (const text of ['', '30', 's', '1d', '1m 30s', '.s', '-', '+', 'ms', '1s1', '1S', ' 1s', '2562048h', '--1s', '1.2.3s']) {
    it(`${JSON.stringify(text)} is refused naming the field`, () => {
      assert.throws(() => parseDuration(text, '--flag'), (e: unknown) => e instanceof ValidationError && e.field === '--flag' && e.message.startsWith('invalid --flag: '));
    });
  }
  it('formatDuration spells what goDurationMs reads back', () => {
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(3_600_000), '1h0m0s');
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(1500), '1.5s');
    fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), (ms) => goDurationMs(formatDuration(ms)) === ms));
  });
});
