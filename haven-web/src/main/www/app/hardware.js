// Pure: the rows of a VM's Hardware view from GET /nodes/{node}/qemu/{vmid}/config, in PVE's order and wording.
import { formatBytes } from './format.js';

const SCSIHW = {
  lsi: 'LSI 53C895A', lsi53c810: 'LSI 53C810', 'virtio-scsi-pci': 'VirtIO SCSI', 'virtio-scsi-single': 'VirtIO SCSI single',
  megasas: 'MegaRAID SAS 8708EM2', pvscsi: 'VMware PVSCSI',
};
const DISPLAY = {
  std: 'Standard VGA', cirrus: 'Cirrus Logic GD5446', vmware: 'VMware compatible', qxl: 'SPICE', qxl2: 'SPICE dual monitor',
  serial0: 'Serial terminal 0', virtio: 'VirtIO-GPU', 'virtio-gl': 'VirGL GPU', none: 'none',
};
const DISK_RE = /^(ide|sata|scsi|virtio)(\d+)$/;
const ORDER = ['ide', 'sata', 'scsi', 'virtio'];

/** The first (default-key) value of a property string such as "virtio=AA:BB,bridge=vmbr0". */
export function propertyMap(s) {
  const out = {};
  for (const part of String(s || '').split(',')) {
    if (!part) continue;
    const i = part.indexOf('=');
    if (i < 0) out._default = part; else out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/** Memory in MiB → "2.00 GiB". */
export function formatMiB(m) {
  return formatBytes(Number(m) * 1024 * 1024);
}

function natural(a, b) {
  const ma = /^([a-z]+)(\d+)$/.exec(a), mb = /^([a-z]+)(\d+)$/.exec(b);
  if (ma && mb && ma[1] === mb[1]) return Number(ma[2]) - Number(mb[2]);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Hardware rows [{key, label, value}] of a VM config (only keys that describe hardware). */
export function hardwareRows(cfg) {
  const c = cfg || {};
  const rows = [];
  const mem = c.memory !== undefined ? propertyMap(c.memory)._default ?? propertyMap(c.memory).current : 512;
  const balloon = c.balloon;
  let memText = formatMiB(mem);
  if (balloon !== undefined && Number(balloon) !== 0 && Number(balloon) !== Number(mem)) memText += ` [balloon=${formatMiB(balloon)}]`;
  else if (balloon !== undefined && Number(balloon) === 0) memText += ' [balloon=0]';
  rows.push({ key: 'memory', label: 'Memory', value: memText });
  const sockets = Number(c.sockets || 1), cores = Number(c.cores || 1);
  let cpu = `${sockets * cores} (${sockets} socket${sockets === 1 ? '' : 's'}, ${cores} core${cores === 1 ? '' : 's'})`;
  if (c.cpu) cpu += ` [${propertyMap(c.cpu)._default || c.cpu}]`;
  if (c.numa !== undefined && Number(c.numa)) cpu += ' [numa=1]';
  rows.push({ key: 'cpu', label: 'Processors', value: cpu });
  rows.push({ key: 'bios', label: 'BIOS', value: c.bios === 'ovmf' ? 'OVMF (UEFI)' : 'Default (SeaBIOS)' });
  const vga = c.vga ? propertyMap(c.vga) : {};
  rows.push({ key: 'vga', label: 'Display', value: c.vga ? (DISPLAY[vga._default || vga.type] || c.vga) + (vga.memory ? `, memory=${vga.memory}` : '') : 'Default' });
  rows.push({ key: 'machine', label: 'Machine', value: c.machine ? (String(c.machine).includes('q35') ? `q35${c.machine === 'q35' ? '' : ` (${c.machine})`}` : c.machine) : 'Default (i440fx)' });
  rows.push({ key: 'scsihw', label: 'SCSI Controller', value: c.scsihw ? (SCSIHW[c.scsihw] || c.scsihw) : 'Default (LSI 53C895A)' });
  const keys = Object.keys(c);
  const disks = keys.filter(k => DISK_RE.test(k)).sort((a, b) => {
    const ta = ORDER.indexOf(DISK_RE.exec(a)[1]), tb = ORDER.indexOf(DISK_RE.exec(b)[1]);
    return ta !== tb ? ta - tb : natural(a, b);
  });
  for (const k of disks) {
    const cd = /media=cdrom/.test(c[k]);
    rows.push({ key: k, label: cd ? `CD/DVD Drive (${k})` : `Hard Disk (${k})`, value: c[k] });
  }
  for (const k of ['efidisk0', 'tpmstate0']) if (c[k]) rows.push({ key: k, label: k === 'efidisk0' ? 'EFI Disk' : 'TPM State', value: c[k] });
  const group = (re, label) => keys.filter(k => re.test(k)).sort(natural).forEach(k => rows.push({ key: k, label: label(k), value: c[k] }));
  group(/^net\d+$/, k => `Network Device (${k})`);
  group(/^unused\d+$/, k => `Unused Disk ${k.slice(6)}`);
  group(/^usb\d+$/, k => `USB Device (${k})`);
  group(/^hostpci\d+$/, k => `PCI Device (${k})`);
  group(/^serial\d+$/, k => `Serial Port (${k})`);
  group(/^parallel\d+$/, k => `Parallel Port (${k})`);
  group(/^virtiofs\d+$/, k => `Virtiofs (${k})`);
  if (c.audio0) rows.push({ key: 'audio0', label: 'Audio Device', value: c.audio0 });
  if (c.rng0) rows.push({ key: 'rng0', label: 'VirtIO RNG', value: c.rng0 });
  if (c.watchdog) rows.push({ key: 'watchdog', label: 'Watchdog', value: c.watchdog });
  return rows;
}

const OPTION_KEYS = [
  ['name', 'Name'], ['onboot', 'Start at boot'], ['startup', 'Start/Shutdown order'], ['ostype', 'OS Type'],
  ['boot', 'Boot Order'], ['tablet', 'Use tablet for pointer'], ['hotplug', 'Hotplug'], ['acpi', 'ACPI support'],
  ['kvm', 'KVM hardware virtualization'], ['freeze', 'Freeze CPU at startup'], ['localtime', 'Use local time for RTC'],
  ['protection', 'Protection'], ['agent', 'QEMU Guest Agent'], ['smbios1', 'SMBIOS settings (type1)'], ['vmstatestorage', 'VM State storage'],
  ['description', 'Notes'], ['tags', 'Tags'],
];

/** Option rows [{key, label, value}] (value '' → default). */
export function optionRows(cfg) {
  const c = cfg || {};
  const bool = (k, def) => (c[k] === undefined ? `${def ? 'Yes' : 'No'} (default)` : Number(c[k]) ? 'Yes' : 'No');
  return OPTION_KEYS.map(([key, label]) => {
    let v = c[key];
    if (['onboot', 'freeze', 'localtime', 'protection'].includes(key)) v = bool(key, false);
    else if (['tablet', 'acpi', 'kvm'].includes(key)) v = bool(key, true);
    else if (v === undefined) v = key === 'hotplug' ? 'Disk, Network, USB (default)' : key === 'agent' ? 'Default (Disabled)' : '';
    return { key, label, value: String(v) };
  });
}

/** Device slots per bus, as PVE allows them. */
export const SLOTS = { ide: 4, sata: 6, scsi: 31, virtio: 16, net: 32, unused: 256, serial: 4, usb: 14 };

/** The first free key "<prefix><n>" of a config (pending values count as used); null when all are taken. */
export function nextFree(cfg, prefix, used = []) {
  const max = SLOTS[prefix] ?? 32;
  for (let i = 0; i < max; i++) {
    const k = `${prefix}${i}`;
    if (!(cfg && k in cfg) && !used.includes(k)) return k;
  }
  return null;
}
