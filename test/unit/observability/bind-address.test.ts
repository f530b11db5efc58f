import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatBindAddress, parseBindAddress } from '../../../src/observability/bind-address.ts';
import { ValidationError } from '../../../src/errors.ts';

describe('parseBindAddress', () => {
  it('parses IPv4 and bracketed IPv6 host:port as kube-proxy writes them', () => {
    assert.deepEqual(parseBindAddress('0.0.0.0:10256', 1), { host: '0.0.0.0', port: 10256 });
    assert.deepEqual(parseBindAddress('[::]:10256', 1), { host: '::', port: 10256 });
    assert.deepEqual(parseBindAddress('[fd00::1]:9', 1), { host: 'fd00::1', port: 9 });
    assert.deepEqual(parseBindAddress('127.0.0.1:0', 1), { host: '127.0.0.1', port: 0 });
  });

  it('gives a bare IP the default port', () => {
    assert.deepEqual(parseBindAddress('10.0.0.1', 10249), { host: '10.0.0.1', port: 10249 });
    assert.deepEqual(parseBindAddress('::1', 10249), { host: '::1', port: 10249 });
    assert.deepEqual(parseBindAddress('[::1]', 10249), { host: '::1', port: 10249 });
  });

  for (const bad of ['', ':10256', 'localhost:10256', '0.0.0.0:65536', '0.0.0.0:-1', '0.0.0.0:http', '[::1:80', '[::1]x80', '1.2.3:80']) {
    it(`rejects ${JSON.stringify(bad)} with a typed error naming the field`, () => {
      assert.throws(() => parseBindAddress(bad, 1, 'healthzBindAddress'), (e: unknown) =>
        e instanceof ValidationError && e.field === 'healthzBindAddress' && e.value === bad);
    });
  }

  it('formats IPv6 with brackets', () => {
    assert.equal(formatBindAddress({ host: '::', port: 1 }), '[::]:1');
    assert.equal(formatBindAddress({ host: '1.2.3.4', port: 1 }), '1.2.3.4:1');
  });
});
