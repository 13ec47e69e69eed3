import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hardwareRows, optionRows, propertyMap } from '../../main/www/app/hardware.js';

test('hardware rows in PVE order and wording', () => {
  const cfg = {
    name: 'web', memory: '4096', balloon: '1024', sockets: 2, cores: 4, cpu: 'host', bios: 'ovmf', machine: 'q35',
    scsihw: 'virtio-scsi-single', virtio1: 'local:100/vm-100-disk-2.raw', scsi10: 'local:100/vm-100-disk-1.raw,iothread=1',
    scsi2: 'local:100/vm-100-disk-0.raw', ide2: 'none,media=cdrom', net10: 'e1000=AA:BB:CC:DD:EE:01,bridge=vmbr1',
    net0: 'virtio=AA:BB:CC:DD:EE:00,bridge=vmbr0', efidisk0: 'local:100/vm-100-disk-3.raw,efitype=4m', unused0: 'local:100/vm-100-disk-9.raw',
    serial0: 'socket', vga: 'qxl,memory=32', rng0: 'source=/dev/urandom', ostype: 'l26',
  };
  const rows = hardwareRows(cfg);
  assert.deepEqual(rows.map(r => r.key), ['memory', 'cpu', 'bios', 'vga', 'machine', 'scsihw', 'ide2', 'scsi2', 'scsi10', 'virtio1',
    'efidisk0', 'net0', 'net10', 'unused0', 'serial0', 'rng0']);
  const v = Object.fromEntries(rows.map(r => [r.key, r.value]));
  const l = Object.fromEntries(rows.map(r => [r.key, r.label]));
  assert.equal(v.memory, '4.00 GiB [balloon=1.00 GiB]');
  assert.equal(v.cpu, '8 (2 sockets, 4 cores) [host]');
  assert.equal(v.bios, 'OVMF (UEFI)');
  assert.equal(v.vga, 'SPICE, memory=32');
  assert.equal(v.machine, 'q35');
  assert.equal(v.scsihw, 'VirtIO SCSI single');
  assert.equal(l.ide2, 'CD/DVD Drive (ide2)');
  assert.equal(l.scsi2, 'Hard Disk (scsi2)');
  assert.equal(l.net0, 'Network Device (net0)');
  assert.equal(l.unused0, 'Unused Disk 0');
});

test('defaults for an empty config', () => {
  const v = Object.fromEntries(hardwareRows({}).map(r => [r.key, r.value]));
  assert.deepEqual(v, {
    memory: '512.00 MiB', cpu: '1 (1 socket, 1 core)', bios: 'Default (SeaBIOS)', vga: 'Default', machine: 'Default (i440fx)',
    scsihw: 'Default (LSI 53C895A)',
  });
});

test('options and property maps', () => {
  const o = Object.fromEntries(optionRows({ onboot: 1, name: 'x', kvm: 0 }).map(r => [r.key, r.value]));
  assert.equal(o.onboot, 'Yes');
  assert.equal(o.kvm, 'No');
  assert.equal(o.acpi, 'Yes (default)');
  assert.equal(o.name, 'x');
  assert.deepEqual(propertyMap('virtio=AA:BB,bridge=vmbr0,firewall=1'), { virtio: 'AA:BB', bridge: 'vmbr0', firewall: '1' });
  assert.deepEqual(propertyMap('local:8,format=raw'), { _default: 'local:8', format: 'raw' });
});

test('next free device slot', async () => {
  const { nextFree } = await import('../../main/www/app/hardware.js');
  assert.equal(nextFree({}, 'scsi'), 'scsi0');
  assert.equal(nextFree({ scsi0: 'x', scsi1: 'y', scsi3: 'z' }, 'scsi'), 'scsi2');
  assert.equal(nextFree({ net0: 'a' }, 'net', ['net1']), 'net2');
  const full = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`ide${i}`, 'x']));
  assert.equal(nextFree(full, 'ide'), null);
  assert.equal(nextFree(null, 'virtio'), 'virtio0');
});
