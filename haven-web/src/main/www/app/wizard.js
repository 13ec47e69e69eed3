// The Create VM wizard: General, OS, System, Disks, CPU, Memory, Network, Confirm → POST /nodes/{node}/qemu.
import { useState, useEffect } from 'preact/hooks';
import { html, Modal, Tabs, Field, KeyValue, ErrorBox } from 'app/ui.js';
import * as api from 'app/api.js';
import * as S from 'app/state.js';
import { DEFAULTS, OS_TYPES, validate, createParams } from 'app/vmparams.js';

const STEPS = ['general', 'os', 'system', 'disks', 'cpu', 'memory', 'network', 'confirm'];
const TITLES = { general: 'General', os: 'OS', system: 'System', disks: 'Disks', cpu: 'CPU', memory: 'Memory', network: 'Network', confirm: 'Confirm' };
const STEP_FIELDS = {
  general: ['node', 'vmid', 'name'], os: [], system: [], disks: ['storage', 'disksize'], cpu: ['sockets', 'cores'],
  memory: ['memory'], network: ['bridge', 'macaddr'], confirm: [],
};

export function CreateVmWizard({ onClose }) {
  const sel = S.selectedNode.value;
  const [f, setF] = useState({ ...DEFAULTS, node: (sel && sel.data && sel.data.node) || S.nodes.value[0] || '' });
  const [step, setStep] = useState('general');
  const [storages, setStorages] = useState([]);
  const [isos, setIsos] = useState([]);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k, v) => setF(prev => ({ ...prev, [k]: v }));
  const bind = (k, type = 'text') => ({
    name: k, value: f[k], type,
    onInput: e => set(k, e.target.value),
  });
  const check = k => ({ name: k, type: 'checkbox', checked: !!f[k], onChange: e => set(k, e.target.checked) });

  useEffect(() => {
    api.get('/cluster/nextid').then(id => setF(prev => (prev.vmid ? prev : { ...prev, vmid: String(id) })), () => {});
  }, []);
  useEffect(() => {
    if (!f.node) return;
    const n = encodeURIComponent(f.node);
    api.get(`/nodes/${n}/storage`, { enabled: 1 }).then(list => {
      const images = list.filter(s => (s.content || '').split(',').includes('images'));
      setStorages(images);
      if (images.length && !images.find(s => s.storage === f.storage)) set('storage', images[0].storage);
      Promise.all(list.filter(s => (s.content || '').split(',').includes('iso'))
        .map(s => api.get(`/nodes/${n}/storage/${encodeURIComponent(s.storage)}/content`, { content: 'iso' }).catch(() => [])))
        .then(all => setIsos(all.flat().map(v => v.volid).sort()));
    }, () => setStorages([]));
  }, [f.node]);

  const errors = validate(f);
  const stepErrors = s => STEP_FIELDS[s].filter(k => errors[k]);
  const idx = STEPS.indexOf(step);
  const firstBad = STEPS.find(s => stepErrors(s).length > 0);
  const go = s => setStep(s);
  const finish = async () => {
    setBusy(true);
    setError(null);
    try {
      const upid = await api.post(`/nodes/${encodeURIComponent(f.node)}/qemu`, createParams(f));
      onClose();
      if (typeof upid === 'string' && upid.startsWith('UPID:')) S.openTask(f.node, upid);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  const err = k => errors[k];

  const pages = {
    general: () => html`
      <${Field} label="Node" error=${err('node')}><select name="node" value=${f.node} onChange=${e => set('node', e.target.value)}>
        ${S.nodes.value.map(n => html`<option value=${n} selected=${n === f.node}>${n}</option>`)}</select><//>
      <${Field} label="VM ID" error=${err('vmid')}><input ...${bind('vmid')} /><//>
      <${Field} label="Name" error=${err('name')}><input ...${bind('name')} /><//>`,
    os: () => html`
      <${Field} label="ISO image"><select name="iso" value=${f.iso} onChange=${e => set('iso', e.target.value)}>
        <option value="">Do not use any media</option>
        ${isos.map(v => html`<option value=${v} selected=${v === f.iso}>${v}</option>`)}</select><//>
      <${Field} label="Guest OS"><select name="ostype" value=${f.ostype} onChange=${e => set('ostype', e.target.value)}>
        ${OS_TYPES.map(([v, t]) => html`<option value=${v} selected=${v === f.ostype}>${t}</option>`)}</select><//>`,
    system: () => html`
      <${Field} label="Machine"><select name="machine" value=${f.machine} onChange=${e => set('machine', e.target.value)}>
        <option value="">Default (i440fx)</option><option value="q35" selected=${f.machine === 'q35'}>q35</option></select><//>
      <${Field} label="BIOS"><select name="bios" value=${f.bios} onChange=${e => set('bios', e.target.value)}>
        <option value="seabios">Default (SeaBIOS)</option><option value="ovmf" selected=${f.bios === 'ovmf'}>OVMF (UEFI)</option></select><//>
      <${Field} label="SCSI Controller"><select name="scsihw" value=${f.scsihw} onChange=${e => set('scsihw', e.target.value)}>
        ${[['virtio-scsi-single', 'VirtIO SCSI single'], ['virtio-scsi-pci', 'VirtIO SCSI'], ['lsi', 'LSI 53C895A'], ['megasas', 'MegaRAID SAS 8708EM2'], ['pvscsi', 'VMware PVSCSI']]
          .map(([v, t]) => html`<option value=${v} selected=${v === f.scsihw}>${t}</option>`)}</select><//>
      <${Field} label="Qemu Agent"><input ...${check('agent')} /><//>`,
    disks: () => html`
      <${Field} label="No disk"><input ...${check('nodisk')} /><//>
      ${!f.nodisk && html`
        <${Field} label="Bus/Device"><select name="bus" value=${f.bus} onChange=${e => set('bus', e.target.value)}>
          ${['scsi', 'virtio', 'sata', 'ide'].map(b => html`<option value=${b} selected=${b === f.bus}>${b.toUpperCase()}</option>`)}</select><//>
        <${Field} label="Storage" error=${err('storage')}><select name="storage" value=${f.storage} onChange=${e => set('storage', e.target.value)}>
          ${storages.map(s => html`<option value=${s.storage} selected=${s.storage === f.storage}>${s.storage} (${s.type})</option>`)}</select><//>
        <${Field} label="Disk size (GiB)" error=${err('disksize')}><input ...${bind('disksize')} /><//>
        <${Field} label="Format"><select name="format" value=${f.format} onChange=${e => set('format', e.target.value)}>
          ${[['', 'Default'], ['raw', 'Raw disk image (raw)'], ['qcow2', 'QEMU image format (qcow2)'], ['vmdk', 'VMware image format (vmdk)']]
            .map(([v, t]) => html`<option value=${v} selected=${v === f.format}>${t}</option>`)}</select><//>
        <${Field} label="Discard"><input ...${check('discard')} /><//>`}`,
    cpu: () => html`
      <${Field} label="Sockets" error=${err('sockets')}><input ...${bind('sockets')} /><//>
      <${Field} label="Cores" error=${err('cores')}><input ...${bind('cores')} /><//>
      <${Field} label="Type"><select name="cputype" value=${f.cputype} onChange=${e => set('cputype', e.target.value)}>
        ${['x86-64-v2-AES', 'x86-64-v2', 'x86-64-v3', 'kvm64', 'qemu64', 'host', 'max'].map(t => html`<option value=${t} selected=${t === f.cputype}>${t}</option>`)}</select><//>`,
    memory: () => html`<${Field} label="Memory (MiB)" error=${err('memory')}><input ...${bind('memory')} /><//>`,
    network: () => html`
      <${Field} label="No network device"><input ...${check('nonet')} /><//>
      ${!f.nonet && html`
        <${Field} label="Bridge" error=${err('bridge')}><input ...${bind('bridge')} /><//>
        <${Field} label="Model"><select name="model" value=${f.model} onChange=${e => set('model', e.target.value)}>
          ${[['virtio', 'VirtIO (paravirtualized)'], ['e1000', 'Intel E1000'], ['e1000e', 'Intel E1000E'], ['rtl8139', 'Realtek RTL8139'], ['vmxnet3', 'VMware vmxnet3']]
            .map(([v, t]) => html`<option value=${v} selected=${v === f.model}>${t}</option>`)}</select><//>
        <${Field} label="MAC address" error=${err('macaddr')}><input ...${bind('macaddr')} placeholder="auto" /><//>
        <${Field} label="Firewall"><input ...${check('firewall')} /><//>`}`,
    confirm: () => {
      const p = createParams(f);
      return html`<${KeyValue} name="wizard-confirm" rows=${[['node', f.node], ...Object.entries(p).map(([k, v]) => [k, String(v)])]} />
        <${Field} label="Start after created"><input ...${check('start')} /><//>`;
    },
  };

  return html`<${Modal} title="Create: Virtual Machine" onClose=${onClose} wide name="create-vm">
    <div class="wizard form">
      <${Tabs} active=${step} onChange=${go} tabs=${STEPS.map((s, i) => ({
        id: s, title: TITLES[s], render: pages[s],
        disabled: i > idx && firstBad !== undefined && STEPS.indexOf(firstBad) < i,
      }))} />
      <${ErrorBox} error=${error} />
      <div class="buttons">
        <button type="button" id="wizard-back" disabled=${idx === 0} onClick=${() => go(STEPS[idx - 1])}>Back</button>
        ${step !== 'confirm'
          ? html`<button type="button" class="primary" id="wizard-next" disabled=${stepErrors(step).length > 0} onClick=${() => go(STEPS[idx + 1])}>Next</button>`
          : html`<button type="button" class="primary" id="wizard-finish" disabled=${busy || firstBad !== undefined} onClick=${finish}>Finish</button>`}
      </div>
    </div>
  <//>`;
}
