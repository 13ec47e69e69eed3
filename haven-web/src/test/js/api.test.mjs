import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeParams, apiPath, loginUser, ApiError, hasCap, ticketUser } from '../../main/www/app/api.js';
import { termInput, termResize, termAuth } from '../../main/www/app/termproto.js';
import { toColumns } from '../../main/www/app/rrd.js';
import { rng } from './rng.mjs';

test('form encoding', () => {
  assert.equal(encodeParams({ a: 1, b: 'x y', c: true, d: false, e: null, f: undefined }), 'a=1&b=x%20y&c=1&d=0');
  assert.equal(encodeParams({ delete: ['net0', 'ide2'] }), 'delete=net0&delete=ide2');
  assert.equal(encodeParams({ 'tfa-challenge': 'PVE:a@b::x+y/z=' }), 'tfa-challenge=PVE%3Aa%40b%3A%3Ax%2By%2Fz%3D');
  assert.equal(encodeParams({}), '');
});

test('form encoding round trip (seeded random)', () => {
  const r = rng(1);
  const alphabet = 'abcXYZ019 +&=%/:@!?#;,é中\n';
  for (let i = 0; i < 1000; i++) {
    const obj = {};
    for (let k = 0; k < r.int(0, 5); k++) obj[`k${k}${r.str(2)}`] = r.str(r.int(0, 12), alphabet);
    const back = Object.fromEntries(new URLSearchParams(encodeParams(obj)));
    assert.deepEqual(back, obj);
  }
});

test('paths, user names, errors, termproxy frames', () => {
  assert.equal(apiPath('/nodes/{node}/storage/{storage}/content/{volume}', { node: 'n1', storage: 'local', volume: 'local:iso/a b.iso' }),
    '/nodes/n1/storage/local/content/local%3Aiso%2Fa%20b.iso');
  assert.throws(() => apiPath('/nodes/{node}', {}));
  assert.equal(loginUser('root', 'pam'), 'root@pam');
  assert.equal(loginUser(' admin ', 'pve'), 'admin@pve');
  assert.equal(loginUser('admin@pve', 'pam'), 'admin@pve');
  const e = new ApiError(400, 'Parameter verification failed.', { vmid: 'value must be at least 100' });
  assert.equal(e.details, 'Parameter verification failed.\nvmid: value must be at least 100');
  assert.equal(termInput('ls\r'), '0:3:ls\r');
  assert.equal(termInput('é'), '0:2:é');
  assert.equal(termResize(80, 24), '1:80:24:');
  assert.equal(termAuth('root@pam', 'PVEVNC:abc'), 'root@pam:PVEVNC:abc\n');
});

test('rrd rows to uPlot columns', () => {
  const cols = toColumns([{ time: 20, cpu: 0.5 }, { time: 10, cpu: 0.25, mem: 3 }, { cpu: 9 }], ['cpu', 'mem']);
  assert.deepEqual(cols, [[10, 20], [0.25, 0.5], [3, null]]);
});

test('capabilities from the ticket', () => {
  const cap = { vms: { 'VM.Audit': 1, 'VM.PowerMgmt': 0 }, access: {} };
  assert.equal(hasCap(cap, 'vms', 'VM.Audit'), true);
  assert.equal(hasCap(cap, 'vms', 'VM.PowerMgmt'), false);
  assert.equal(hasCap(cap, 'vms', 'VM.Allocate'), false);
  assert.equal(hasCap(cap, 'storage', 'Datastore.Audit'), false);
  assert.equal(hasCap(null, 'vms', 'VM.Allocate'), true, 'no capabilities sent: the server decides');
});

test('user of a ticket', () => {
  assert.equal(ticketUser('PVE:admin@pve:6B0239EA::c2lnbmF0dXJl+/='), 'admin@pve');
  assert.equal(ticketUser('PVE:root@pam!tok:6B0239EA::x'), 'root@pam!tok');
  assert.equal(ticketUser('PVEVNC:admin@pve:6B0239EA::x'), null);
  assert.equal(ticketUser('PVE:!tfa!x:6B0239EA::x'), null);
  assert.equal(ticketUser(null), null);
});
