// Addresses the kernel must never get: every class, both families, and their neighbours that are fine.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../src/errors.ts';
import { parseServableAddress, refuseSpecialAddress, specialRange } from '../../../src/validate/special-address.ts';
import { ORDINARY_ADDRESSES, SPECIAL_ADDRESSES } from '../../helpers/special-addresses.ts';

const ctx = { operation: 'test', object: 'Service default/web' };

describe('specialRange', () => {
  for (const s of SPECIAL_ADDRESSES) {
    it(`${s.address} is ${s.kind} (${s.cidr})`, () => {
      assert.deepEqual([specialRange(s.address)?.kind, specialRange(s.address)?.cidr], [s.kind, s.cidr]);
    });
  }
  for (const address of ORDINARY_ADDRESSES) {
    it(`${address} is an ordinary address`, () => assert.equal(specialRange(address), undefined));
  }
});

describe('refuseSpecialAddress', () => {
  it('names the field, the value and why, as a ValidationError', () => {
    assert.throws(() => refuseSpecialAddress('127.0.0.1', ctx, 'spec.externalIPs[1]'), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual([err.code, err.field, err.value, err.object], ['ERR_INVALID_VALUE', 'spec.externalIPs[1]', '127.0.0.1', 'Service default/web']);
      assert.equal(err.reason, "loopback address (127.0.0.0/8): bound on kube-ipvs0 it would take over the node's own loopback services");
      return true;
    });
  });

  it('the reason of every class starts with the class and its range', () => {
    for (const s of SPECIAL_ADDRESSES) {
      assert.throws(() => refuseSpecialAddress(s.address, ctx, 'address'), (err: unknown) => {
        return err instanceof ValidationError && err.reason.startsWith(`${s.kind} address (${s.cidr}): `);
      }, s.address);
    }
  });

  it('lets ordinary addresses through', () => {
    for (const address of ORDINARY_ADDRESSES) refuseSpecialAddress(address, ctx, 'address');
  });
});

describe('parseServableAddress', () => {
  it('canonicalises first, so a spelling cannot hide a special address', () => {
    assert.throws(() => parseServableAddress('0:0:0:0:0:0:0:1', ctx, 'f'), (e: unknown) => e instanceof ValidationError && e.value === '::1');
    assert.throws(() => parseServableAddress('FE80::A', ctx, 'f'), (e: unknown) => e instanceof ValidationError && e.reason.startsWith('link-local'));
  });

  it('a malformed address fails as parseAddress does, naming the field', () => {
    assert.throws(() => parseServableAddress('010.0.0.1', ctx, 'spec.clusterIP'), (e: unknown) => e instanceof ValidationError && e.field === 'spec.clusterIP');
  });

  it('returns the canonical address and family', () => {
    assert.deepEqual(parseServableAddress('FD00:0::A', ctx, 'f'), { address: 'fd00::a', family: 6 });
    assert.deepEqual(parseServableAddress('240.0.0.1', ctx, 'f'), { address: '240.0.0.1', family: 4 });
  });
});
