import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../src/errors.ts';
import {
  parseAddress, parseCidr, parseComment, parseInterfaceName, parseObjectName, parsePort, parseProtocol,
  parseScheduler, parseUint32,
} from '../../../src/validate/validate.ts';

const ctx = { operation: 'test', object: 'Service default/web' };

function rejects(fn: () => unknown, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_INVALID_VALUE');
    assert.equal(err.field, field);
    assert.equal(err.object, 'Service default/web');
    assert.match(err.message, /Service default\/web/);
    return true;
  });
}

describe('parseAddress', () => {
  const good: [string, string, 4 | 6][] = [
    ['10.96.0.1', '10.96.0.1', 4],
    ['0.0.0.0', '0.0.0.0', 4],
    ['255.255.255.255', '255.255.255.255', 4],
    ['fd00:0:0:0:0:0:0:1', 'fd00::1', 6],
    ['FD00::A', 'fd00::a', 6],
    ['::1', '::1', 6],
  ];
  for (const [input, canonical, family] of good) {
    it(`accepts ${input}`, () => assert.deepEqual(parseAddress(input, ctx), { address: canonical, family }));
  }
  const bad: unknown[] = [
    '010.0.0.1', // octal to inet_aton, decimal to Go: ambiguous
    '10.0.0.01', '1.2.3', '1.2.3.4.5', '256.0.0.1', '10.0.0.1 ', ' 10.0.0.1', '0x0a.0.0.1', '1.2.3.-1',
    '', 'fe80::1%eth0', '::ffff:10.0.0.1', 'fd00::1::2', 'hello', 42, null, undefined, '1.2.3.4/32',
  ];
  for (const input of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => rejects(() => parseAddress(input, ctx), 'address'));
  }
});

describe('parseCidr', () => {
  it('clears host bits', () => assert.deepEqual(parseCidr('10.244.1.7/16', ctx), { cidr: '10.244.0.0/16', family: 4 }));
  it('canonicalises IPv6', () => assert.deepEqual(parseCidr('FD00:10::1/64', ctx), { cidr: 'fd00:10::/64', family: 6 }));
  it('accepts /0 and /32', () => {
    assert.equal(parseCidr('0.0.0.0/0', ctx).cidr, '0.0.0.0/0');
    assert.equal(parseCidr('1.2.3.4/32', ctx).cidr, '1.2.3.4/32');
  });
  for (const input of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/08', 'fd00::/129', '010.0.0.0/8', 7]) {
    it(`rejects ${JSON.stringify(input)}`, () => rejects(() => parseCidr(input, ctx), 'cidr'));
  }
});

describe('scalars', () => {
  it('ports', () => {
    assert.equal(parsePort(1, ctx), 1);
    assert.equal(parsePort(65535, ctx), 65535);
    assert.equal(parsePort(0, ctx, 'port', true), 0);
    for (const v of [0, 65536, -1, 1.5, '80', NaN]) rejects(() => parsePort(v, ctx), 'port');
  });
  it('protocols are the Kubernetes spellings', () => {
    assert.equal(parseProtocol('SCTP', ctx), 'SCTP');
    for (const v of ['tcp', 'ICMP', '', 6]) rejects(() => parseProtocol(v, ctx), 'protocol');
  });
  it('schedulers are the kernel ones', () => {
    assert.equal(parseScheduler('mh', ctx), 'mh');
    for (const v of ['RR', 'roundrobin', '', 'rr;ls']) rejects(() => parseScheduler(v, ctx), 'scheduler');
  });
  it('uint32', () => {
    assert.equal(parseUint32(0xffffffff, ctx, 'weight'), 0xffffffff);
    for (const v of [-1, 2 ** 32, 0.5, '1']) rejects(() => parseUint32(v, ctx, 'weight'), 'weight');
  });
});

describe('text that reaches restore files', () => {
  it('comments refuse line breaks, quotes and backslashes (rule injection)', () => {
    assert.equal(parseComment('default/web:http cluster IP', ctx), 'default/web:http cluster IP');
    for (const v of ['a\nCOMMIT', 'a"b', "a'b", 'a\\b', 'tab\there', 'x'.repeat(256), 'é']) {
      rejects(() => parseComment(v, ctx), 'comment');
    }
  });
  it('object names', () => {
    assert.equal(parseObjectName('KUBE-CLUSTER-IP', ctx, 'set', 31), 'KUBE-CLUSTER-IP');
    for (const v of ['', 'A'.repeat(32), 'KUBE SET', 'KUBE-\n']) rejects(() => parseObjectName(v, ctx, 'set', 31), 'set');
  });
  it('interface names', () => {
    assert.equal(parseInterfaceName('kube-ipvs0', ctx), 'kube-ipvs0');
    for (const v of ['', 'a'.repeat(16), 'eth0/1', 'eth 0', '..']) rejects(() => parseInterfaceName(v, ctx), 'interface');
  });
});
