import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../../src/errors.ts';
import { IpsetTransaction } from '../../../../src/kernel/ipset/transaction.ts';
import { tmpSetName } from '../../../../src/kernel/ipset/spec.ts';
import type { SetSpec } from '../../../../src/kernel/ipset/types.ts';

const CLUSTER_IP: SetSpec = { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', family: 4, comment: 'Kubernetes service cluster ip + port for masquerade purpose' };
const LOOP_BACK: SetSpec = { name: 'KUBE-LOOP-BACK', type: 'hash:ip,port,ip', family: 4 };
const SOURCE_CIDR: SetSpec = { name: 'KUBE-LOAD-BALANCER-SOURCE-CIDR', type: 'hash:ip,port,net', family: 4 };
const NODE_PORT_TCP: SetSpec = { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', family: 4 };
const IPVS_IPS6: SetSpec = { name: 'KUBE-6-IPVS-IPS', type: 'hash:ip', family: 6 };

describe('IpsetTransaction.render', () => {
  it('renders every operation as one restore line, with -exist by default', () => {
    const tx = new IpsetTransaction()
      .create(CLUSTER_IP)
      .create(NODE_PORT_TCP)
      .create({ ...IPVS_IPS6, hashsize: 64, maxelem: 100 })
      .add(CLUSTER_IP, '10.96.0.1,TCP:443')
      .add('KUBE-CLUSTER-IP', { ip: '10.96.0.10', protocol: 'UDP', port: 53 })
      .add(LOOP_BACK, { ip: '10.0.0.5', protocol: 'tcp', port: 8080, ip2: '10.0.0.5' })
      .add(SOURCE_CIDR, '1.2.3.4,tcp:80,10.0.0.0/8')
      .add(SOURCE_CIDR, { ip: '1.2.3.4', protocol: 'SCTP', port: 80, net: '10.1.2.3/32' })
      .add(NODE_PORT_TCP, { port: 30080 })
      .add(IPVS_IPS6, 'FD00:0:0::0001')
      .del(CLUSTER_IP, '10.96.0.2,udp:53')
      .flush('KUBE-NODE-PORT-TCP')
      .swap('KUBE-CLUSTER-IP', 'KUBE-EXTERNAL-IP')
      .destroy('KUBE-EXTERNAL-IP');
    assert.deepEqual(tx.errors, []);
    assert.equal(tx.size, 14);
    assert.equal(tx.render(), [
      'create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 -exist',
      'create KUBE-NODE-PORT-TCP bitmap:port range 0-65535 -exist',
      'create KUBE-6-IPVS-IPS hash:ip family inet6 hashsize 64 maxelem 100 -exist',
      'add KUBE-CLUSTER-IP 10.96.0.1,tcp:443 -exist',
      'add KUBE-CLUSTER-IP 10.96.0.10,udp:53 -exist',
      'add KUBE-LOOP-BACK 10.0.0.5,tcp:8080,10.0.0.5 -exist',
      'add KUBE-LOAD-BALANCER-SOURCE-CIDR 1.2.3.4,tcp:80,10.0.0.0/8 -exist',
      'add KUBE-LOAD-BALANCER-SOURCE-CIDR 1.2.3.4,sctp:80,10.1.2.3 -exist',
      'add KUBE-NODE-PORT-TCP 30080 -exist',
      'add KUBE-6-IPVS-IPS fd00::1 -exist',
      'del KUBE-CLUSTER-IP 10.96.0.2,udp:53 -exist',
      'flush KUBE-NODE-PORT-TCP',
      'swap KUBE-CLUSTER-IP KUBE-EXTERNAL-IP',
      'destroy KUBE-EXTERNAL-IP -exist',
      '',
    ].join('\n'));
  });

  it('renders no -exist in strict mode', () => {
    const tx = new IpsetTransaction({ exist: false }).create(NODE_PORT_TCP).add(NODE_PORT_TCP, '30080').del(NODE_PORT_TCP, '30081').destroy(NODE_PORT_TCP);
    assert.equal(tx.render(), 'create KUBE-NODE-PORT-TCP bitmap:port range 0-65535\nadd KUBE-NODE-PORT-TCP 30080\ndel KUBE-NODE-PORT-TCP 30081\ndestroy KUBE-NODE-PORT-TCP\n');
  });

  it('renders replaceMembers as ensure, fill a flushed temporary set, swap, destroy', () => {
    const tx = new IpsetTransaction().replaceMembers(CLUSTER_IP, ['10.96.0.1,tcp:443', { ip: '10.96.0.1', protocol: 'TCP', port: 443 }, '10.96.0.10,udp:53']);
    assert.equal(tx.render(), [
      'create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 -exist',
      'create KUBE-CLUSTER-IP-TMP hash:ip,port family inet hashsize 1024 maxelem 65536 -exist',
      'flush KUBE-CLUSTER-IP-TMP',
      'add KUBE-CLUSTER-IP-TMP 10.96.0.1,tcp:443 -exist',
      'add KUBE-CLUSTER-IP-TMP 10.96.0.10,udp:53 -exist',
      'swap KUBE-CLUSTER-IP-TMP KUBE-CLUSTER-IP',
      'destroy KUBE-CLUSTER-IP-TMP -exist',
      '',
    ].join('\n'));
  });

  it('derives distinct temporary names within 31 characters for long names', () => {
    assert.equal(tmpSetName('KUBE-CLUSTER-IP'), 'KUBE-CLUSTER-IP-TMP');
    const a = tmpSetName('KUBE-6-LOAD-BALANCER-SOURCE-CID');
    const b = tmpSetName('KUBE-6-LOAD-BALANCER-SOURCE-IP');
    assert.match(a, /^KUBE-6-LOAD-BALANCER-TMP-[0-9a-f]{6}$/);
    assert.equal(a.length, 31);
    assert.notEqual(a, b);
  });
});

describe('IpsetTransaction validation', () => {
  const invalid: Array<[string, (tx: IpsetTransaction) => unknown, string]> = [
    ['IPv6 member in an IPv4 set', (tx) => tx.add(CLUSTER_IP, 'fd00::1,tcp:80'), 'ip'],
    ['IPv4 member in an IPv6 set', (tx) => tx.add(IPVS_IPS6, '10.0.0.1'), 'ip'],
    ['leading-zero octet', (tx) => tx.add(CLUSTER_IP, '010.0.0.1,tcp:80'), 'ip'],
    ['protocol icmp', (tx) => tx.add(CLUSTER_IP, '10.0.0.1,icmp:80'), 'protocol'],
    ['implied protocol', (tx) => tx.add(CLUSTER_IP, '10.0.0.1,80'), 'member'],
    ['port 0', (tx) => tx.add(CLUSTER_IP, { ip: '10.0.0.1', protocol: 'TCP', port: 0 }), 'port'],
    ['port 65536', (tx) => tx.add(CLUSTER_IP, '10.0.0.1,tcp:65536'), 'port'],
    ['missing field', (tx) => tx.add(LOOP_BACK, { ip: '10.0.0.1', protocol: 'TCP', port: 80 }), 'ip2'],
    ['extra field', (tx) => tx.add('KUBE-CLUSTER-IP', { ip: '10.0.0.1', protocol: 'TCP', port: 80, net: '10.0.0.0/8' }), 'net'],
    ['net /0 (the kernel refuses it)', (tx) => tx.add(SOURCE_CIDR, '1.2.3.4,tcp:80,0.0.0.0/0'), 'net'],
    ['port outside the bitmap range', (tx) => tx.add({ ...NODE_PORT_TCP, range: { from: 30000, to: 32767 } }, '80'), 'port'],
    ['name over 31 characters', (tx) => tx.create({ ...CLUSTER_IP, name: 'KUBE-6-LOAD-BALANCER-SOURCE-CIDR' }), 'set name'],
    ['name with a space', (tx) => tx.flush('KUBE X'), 'set name'],
    ['set of unknown type', (tx) => tx.add('KUBE-UNKNOWN', '10.0.0.1'), 'set'],
    ['hashsize not a power of two', (tx) => tx.create({ ...CLUSTER_IP, hashsize: 1000 }), 'hashsize'],
    ['range on a hash set', (tx) => tx.create({ ...CLUSTER_IP, range: { from: 1, to: 2 } }), 'range'],
    ['comment with a quote', (tx) => tx.create({ ...CLUSTER_IP, comment: 'a"b' }), 'comment'],
  ];
  for (const [title, build, field] of invalid) {
    it(`records, never throws: ${title}`, () => {
      const tx = new IpsetTransaction().create(CLUSTER_IP);
      assert.doesNotThrow(() => build(tx));
      assert.equal(tx.errors.length, 1);
      const [err] = tx.errors;
      assert.ok(err instanceof ValidationError);
      assert.equal(err.field, field);
      assert.equal(tx.size, 1, 'the invalid call adds no line');
      assert.throws(() => tx.render(), (e) => e === err);
    });
  }

  it('names the set and the member in the error', () => {
    const tx = new IpsetTransaction().add(CLUSTER_IP, '10.0.0.1,tcp:99999');
    assert.equal(tx.errors[0]?.object, 'set KUBE-CLUSTER-IP member 10.0.0.1,tcp:99999');
  });

  it('replaceMembers with one invalid member adds none of its lines', () => {
    const tx = new IpsetTransaction().replaceMembers(CLUSTER_IP, ['10.0.0.1,tcp:80', 'nonsense']);
    assert.equal(tx.size, 0);
    assert.equal(tx.errors.length, 1);
  });
});
