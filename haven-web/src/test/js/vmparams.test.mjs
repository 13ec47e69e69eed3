import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, validate, createParams } from '../../main/www/app/vmparams.js';
import { rng } from './rng.mjs';

test('default wizard values give PVE-like create parameters', () => {
  const f = { ...DEFAULTS, node: 'pve1', vmid: '100' };
  assert.deepEqual(validate(f), {});
  assert.deepEqual(createParams(f), {
    vmid: 100, ostype: 'l26', scsihw: 'virtio-scsi-single', scsi0: 'local:32,iothread=1', boot: 'order=scsi0;net0',
    sockets: 1, cores: 1, cpu: 'x86-64-v2-AES', memory: '2048', net0: 'virtio,bridge=vmbr0,firewall=1',
  });
});

test('options map to parameters', () => {
  const f = { ...DEFAULTS, node: 'pve1', vmid: '123', name: 'db.example', iso: 'local:iso/debian.iso', machine: 'q35', bios: 'ovmf',
    agent: true, bus: 'virtio', storage: 'lvm', disksize: '8', format: 'raw', discard: true, sockets: '2', cores: '3',
    memory: '1024', model: 'e1000', bridge: 'vmbr1', firewall: false, macaddr: 'aa:bb:cc:dd:ee:ff', start: true };
  assert.deepEqual(validate(f), {});
  assert.deepEqual(createParams(f), {
    vmid: 123, name: 'db.example', ostype: 'l26', ide2: 'local:iso/debian.iso,media=cdrom', machine: 'q35', bios: 'ovmf',
    scsihw: 'virtio-scsi-single', agent: '1', virtio0: 'lvm:8,format=raw,discard=on,iothread=1', boot: 'order=virtio0;ide2;net0',
    sockets: 2, cores: 3, cpu: 'x86-64-v2-AES', memory: '1024', net0: 'e1000=AA:BB:CC:DD:EE:FF,bridge=vmbr1', start: 1,
  });
  const bare = createParams({ ...DEFAULTS, node: 'n', vmid: '100', nodisk: true, nonet: true });
  assert.equal(bare.scsi0, undefined);
  assert.equal(bare.net0, undefined);
  assert.equal(bare.boot, undefined);
});

test('validation table', () => {
  const base = { ...DEFAULTS, node: 'n', vmid: '100' };
  const cases = [
    [{ vmid: '99' }, 'vmid'], [{ vmid: 'abc' }, 'vmid'], [{ vmid: '1000000000' }, 'vmid'], [{ name: '-bad' }, 'name'],
    [{ name: 'under_score' }, 'name'], [{ memory: '8' }, 'memory'], [{ sockets: '0' }, 'sockets'], [{ cores: 'x' }, 'cores'],
    [{ disksize: '0' }, 'disksize'], [{ disksize: '-1' }, 'disksize'], [{ storage: '' }, 'storage'], [{ bridge: '1abc' }, 'bridge'],
    [{ macaddr: '12:34' }, 'macaddr'], [{ node: '' }, 'node'],
  ];
  for (const [over, field] of cases) assert.deepEqual(Object.keys(validate({ ...base, ...over })), [field], JSON.stringify(over));
  assert.deepEqual(validate({ ...base, nodisk: true, disksize: '0', storage: '' }), {});
  assert.deepEqual(validate({ ...base, nonet: true, bridge: '' }), {});
});

test('valid random forms produce parameters PVE accepts syntactically (seeded random)', () => {
  const r = rng(99);
  for (let i = 0; i < 1000; i++) {
    const f = { ...DEFAULTS, node: 'n1', vmid: String(r.int(100, 999999999)), name: r.next() < 0.5 ? '' : `vm${r.str(r.int(1, 10))}`,
      nodisk: r.next() < 0.2, nonet: r.next() < 0.2, bus: r.pick(['scsi', 'virtio', 'sata', 'ide']), disksize: String(r.int(1, 2048)),
      sockets: String(r.int(1, 4)), cores: String(r.int(1, 64)), memory: String(r.int(16, 65536)), iso: r.next() < 0.3 ? 'local:iso/x.iso' : '' };
    assert.deepEqual(validate(f), {});
    const p = createParams(f);
    assert.equal(p.vmid, Number(f.vmid));
    const disks = Object.keys(p).filter(k => /^(scsi|virtio|sata|ide)\d+$/.test(k) && k !== 'ide2');
    assert.equal(disks.length, f.nodisk ? 0 : 1);
    if (!f.nodisk) assert.match(p[disks[0]], /^local:\d+(,[a-z]+=[^,]+)*$/);
    if (p.boot) for (const dev of p.boot.replace('order=', '').split(';')) assert.ok(dev in p, `${dev} in boot order exists`);
    assert.equal('net0' in p, !f.nonet);
  }
});
