// Pure: the Create VM wizard's form → parameters of POST /nodes/{node}/qemu, and its validation.

export const OS_TYPES = [
  ['l26', 'Linux 6.x - 2.6 Kernel'], ['l24', 'Linux 2.4 Kernel'], ['win11', 'Microsoft Windows 11/2022/2025'],
  ['win10', 'Microsoft Windows 10/2016/2019'], ['win8', 'Microsoft Windows 8.x/2012/2012r2'],
  ['win7', 'Microsoft Windows 7/2008r2'], ['w2k8', 'Microsoft Windows Vista/2008'], ['wxp', 'Microsoft Windows XP/2003'],
  ['w2k', 'Microsoft Windows 2000'], ['solaris', 'Solaris Kernel'], ['other', 'Other'],
];

export const DEFAULTS = {
  node: '', vmid: '', name: '', start: false,
  ostype: 'l26', iso: '',
  machine: '', bios: 'seabios', scsihw: 'virtio-scsi-single', agent: false,
  nodisk: false, bus: 'scsi', storage: 'local', disksize: 32, format: '', cache: '', discard: false,
  sockets: 1, cores: 1, cputype: 'x86-64-v2-AES',
  memory: 2048,
  nonet: false, bridge: 'vmbr0', model: 'virtio', firewall: true, macaddr: '',
};

const NAME_RE = /^(?=.{1,63}$)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;
const isInt = v => /^\d+$/.test(String(v).trim());

/** Field errors {field: message}; empty when the form can be submitted. */
export function validate(f) {
  const e = {};
  if (!f.node) e.node = 'This field is required';
  if (!isInt(f.vmid) || Number(f.vmid) < 100 || Number(f.vmid) > 999999999) e.vmid = 'VM ID must be an integer between 100 and 999999999';
  if (f.name && !NAME_RE.test(f.name)) e.name = 'invalid format - value does not look like a valid DNS name';
  if (!isInt(f.memory) || Number(f.memory) < 16) e.memory = 'Memory must be at least 16 MiB';
  if (!isInt(f.sockets) || Number(f.sockets) < 1 || Number(f.sockets) > 4) e.sockets = 'Sockets must be between 1 and 4';
  if (!isInt(f.cores) || Number(f.cores) < 1 || Number(f.cores) > 1024) e.cores = 'Cores must be between 1 and 1024';
  if (!f.nodisk) {
    if (!f.storage) e.storage = 'This field is required';
    if (!/^\d+(\.\d+)?$/.test(String(f.disksize)) || Number(f.disksize) <= 0) e.disksize = 'Disk size must be a positive number (GiB)';
  }
  if (!f.nonet) {
    if (!/^[a-zA-Z][a-zA-Z0-9_.-]{0,15}$/.test(f.bridge || '')) e.bridge = 'invalid bridge name';
    if (f.macaddr && !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(f.macaddr)) e.macaddr = 'invalid MAC address';
  }
  return e;
}

/** Parameters for POST /nodes/{node}/qemu (without node, which is in the path). */
export function createParams(f) {
  const p = { vmid: Number(f.vmid) };
  if (f.name) p.name = f.name;
  p.ostype = f.ostype;
  if (f.iso) p.ide2 = `${f.iso},media=cdrom`;
  if (f.machine) p.machine = f.machine;
  if (f.bios && f.bios !== 'seabios') p.bios = f.bios;
  p.scsihw = f.scsihw;
  if (f.agent) p.agent = '1';
  if (!f.nodisk) {
    let d = `${f.storage}:${Number(f.disksize)}`;
    if (f.format) d += `,format=${f.format}`;
    if (f.cache) d += `,cache=${f.cache}`;
    if (f.discard) d += ',discard=on';
    if (f.bus === 'scsi' && f.scsihw === 'virtio-scsi-single') d += ',iothread=1';
    if (f.bus === 'virtio') d += ',iothread=1';
    p[`${f.bus}0`] = d;
    p.boot = `order=${f.bus}0${f.iso ? ';ide2' : ''}${f.nonet ? '' : ';net0'}`;
  } else if (f.iso) {
    p.boot = `order=ide2${f.nonet ? '' : ';net0'}`;
  }
  p.sockets = Number(f.sockets);
  p.cores = Number(f.cores);
  if (f.cputype) p.cpu = f.cputype;
  p.memory = String(Number(f.memory));
  if (!f.nonet) {
    let n = f.macaddr ? `${f.model}=${f.macaddr.toUpperCase()}` : f.model;
    n += `,bridge=${f.bridge}`;
    if (f.firewall) n += ',firewall=1';
    p.net0 = n;
  }
  if (f.start) p.start = 1;
  return p;
}
