// VM panels: summary, hardware, options, console, task history, and the power buttons.
import { useState } from 'preact/hooks';
import { html, Grid, KeyValue, Usage, useLoad, Loaded, Confirm, ErrorBox } from 'app/ui.js';
import { EditDialog } from 'app/edit.js';
import { OS_TYPES } from 'app/vmparams.js';
import { propertyMap, nextFree } from 'app/hardware.js';
import * as api from 'app/api.js';
import * as S from 'app/state.js';
import { formatUptime, formatBytes, formatTime } from 'app/format.js';
import { hardwareRows, optionRows } from 'app/hardware.js';
import { TaskHistory } from 'app/tasks.js';
import { VncConsole, TermConsole } from 'app/console.js';
import { RrdGraphs } from 'app/charts.js';

const base = r => `/nodes/${encodeURIComponent(r.node)}/qemu/${r.vmid}`;

const VM_GRAPHS = [
  { title: 'CPU usage', fields: ['cpu'], labels: ['CPU usage'], unit: 'percent' },
  { title: 'Memory usage', fields: ['maxmem', 'mem'], labels: ['Total', 'RAM usage'], unit: 'bytes' },
  { title: 'Network traffic', fields: ['netin', 'netout'], labels: ['netin', 'netout'], unit: 'bytes' },
  { title: 'Disk IO', fields: ['diskread', 'diskwrite'], labels: ['diskread', 'diskwrite'], unit: 'bytes' },
];

/** Clone: new VM ID (next free), name, full or linked copy, target storage; the task opens in the viewer. */
function CloneDialog({ res, onClose }) {
  const next = useLoad(() => api.get('/cluster/nextid'), []);
  const storages = useLoad(() => api.get(`/nodes/${encodeURIComponent(res.node)}/storage`, { enabled: 1, content: 'images' }), [res.node]);
  if (!next.data && !next.error) return null;
  const template = Number(res.template) === 1;
  return html`<${EditDialog} title=${`Clone VM ${res.vmid}`} name="vm-clone" submitText="Clone" onClose=${onClose}
    fields=${[
      { name: 'newid', label: 'VM ID', required: true }, { name: 'name', label: 'Name' },
      { name: 'full', label: 'Full Clone', type: 'checkbox', disabled: !template },
      { name: 'storage', label: 'Target Storage', type: 'select', options: [['', 'Same as source'], ...(storages.data || []).map(s => [s.storage, s.storage])] },
    ]}
    initial=${{ newid: String(next.data || ''), full: !template, storage: '' }}
    onSubmit=${v => api.post(`${base(res)}/clone`, { newid: v.newid, name: v.name || undefined, full: template ? (v.full ? 1 : 0) : 1, storage: v.storage || undefined })
      .then(upid => { if (typeof upid === 'string' && upid.startsWith('UPID:')) S.openTask(res.node, upid); })} />`;
}

/** Start / Shutdown / Stop / Reboot / Remove; each starts a task whose log opens in the task viewer. */
export function VmActions({ res }) {
  const [confirm, setConfirm] = useState(null);
  const [error, setError] = useState(null);
  const running = res.status === 'running';
  const run = async (method, path, params) => {
    setConfirm(null);
    setError(null);
    try {
      const upid = await api.request(method, path, params);
      if (typeof upid === 'string' && upid.startsWith('UPID:')) S.openTask(res.node, upid);
    } catch (e) { setError(e); }
  };
  const action = a => run('POST', `${base(res)}/status/${a}`, {});
  const power = api.can('vms', 'VM.PowerMgmt');
  return html`<span class="actions">
    <button type="button" id="vm-start" disabled=${running || !power} onClick=${() => action('start')}>Start</button>
    <button type="button" id="vm-shutdown" disabled=${!running || !power} onClick=${() => setConfirm({ text: `Shutdown VM ${res.vmid}?`, go: () => action('shutdown') })}>Shutdown</button>
    <button type="button" id="vm-stop" disabled=${!running || !power} onClick=${() => setConfirm({ text: `Stop VM ${res.vmid}?`, go: () => action('stop') })}>Stop</button>
    <button type="button" id="vm-reboot" disabled=${!running || !power} onClick=${() => setConfirm({ text: `Reboot VM ${res.vmid}?`, go: () => action('reboot') })}>Reboot</button>
    <button type="button" id="vm-console" disabled=${!api.can('vms', 'VM.Console')} onClick=${() => window.open(`/?console=kvm&novnc=1&vmid=${res.vmid}&vmname=${encodeURIComponent(res.name || '')}&node=${encodeURIComponent(res.node)}&resize=off&cmd=`,
      `console-${res.vmid}`, 'width=900,height=700')}>Console</button>
    <select id="vm-more" value="" onChange=${e => { const v = e.target.value; e.target.value = ''; if (v) setConfirm(v === 'template'
        ? { text: `Convert VM ${res.vmid} to a template?`, go: () => run('POST', `${base(res)}/template`, {}) } : { clone: true }); }}>
      <option value="">More…</option>
      <option value="clone" disabled=${!api.can('vms', 'VM.Clone')}>Clone</option>
      <option value="template" disabled=${running || Number(res.template) === 1 || !api.can('vms', 'VM.Allocate')}>Convert to template</option>
    </select>
    <button type="button" id="vm-remove" disabled=${running || !api.can('vms', 'VM.Allocate')} onClick=${() => setConfirm({ text: `Remove VM ${res.vmid} and all its disks?`, go: () => run('DELETE', base(res), { purge: 1 }) })}>Remove</button>
    ${confirm && confirm.text && html`<${Confirm} text=${confirm.text} onYes=${confirm.go} onNo=${() => setConfirm(null)} />`}
    ${confirm && confirm.clone && html`<${CloneDialog} res=${res} onClose=${() => setConfirm(null)} />`}
    ${error && html`<div class="action-error"><${ErrorBox} error=${error} /></div>`}
  </span>`;
}

export function VmSummary({ res }) {
  const load = useLoad(() => api.get(`${base(res)}/status/current`), [res.node, res.vmid], 3000);
  return html`<div class="summary">
    <div class="box wide"><h3>Status</h3>
      <${Loaded} load=${load}>${st => html`<${KeyValue} name="vm-status" rows=${[
        ['Status', st.qmpstatus && st.qmpstatus !== st.status ? `${st.status} (${st.qmpstatus})` : st.status],
        ['HA State', st.ha && st.ha.managed ? st.ha.state : 'none'],
        ['Node', res.node],
        ['CPU usage', html`<${Usage} ratio=${st.cpu} label=${`${(Number(st.cpu || 0) * 100).toFixed(2)}% of ${st.cpus || '?'} CPU(s)`} />`],
        ['Memory usage', html`<${Usage} used=${st.mem} total=${st.maxmem} />`],
        ['Bootdisk size', formatBytes(st.maxdisk)],
        st.lock ? ['Lock', st.lock] : null,
        ['Uptime', st.status === 'running' ? formatUptime(st.uptime) : '-'],
      ]} />`}<//>
    </div>
    <div class="box wide"><h3>Graphs</h3><${RrdGraphs} path=${`${base(res)}/rrddata`} graphs=${VM_GRAPHS} /></div>
  </div>`;
}

/** Edit dialogs per config key: fields, initial values from the config, and the PUT …/config parameters. */
const EDITORS = {
  memory: {
    title: 'Memory',
    fields: [{ name: 'memory', label: 'Memory (MiB)', required: true }, { name: 'balloon', label: 'Minimum memory (MiB)', placeholder: 'same as memory' }],
    initial: c => ({ memory: String(propertyMap(c.memory || '512')._default || propertyMap(c.memory).current || 512), balloon: c.balloon === undefined ? '' : String(c.balloon) }),
    params: v => (v.balloon === '' ? { memory: v.memory, delete: 'balloon' } : { memory: v.memory, balloon: v.balloon }),
  },
  cpu: {
    title: 'Processors',
    fields: [{ name: 'sockets', label: 'Sockets', required: true }, { name: 'cores', label: 'Cores', required: true },
      { name: 'cpu', label: 'Type', type: 'select', options: [['', 'Default (kvm64)'], ...['x86-64-v2-AES', 'x86-64-v2', 'x86-64-v3', 'kvm64', 'qemu64', 'host', 'max'].map(t => [t, t])] }],
    initial: c => ({ sockets: String(c.sockets || 1), cores: String(c.cores || 1), cpu: c.cpu ? (propertyMap(c.cpu)._default || '') : '' }),
    params: v => (v.cpu ? { sockets: v.sockets, cores: v.cores, cpu: v.cpu } : { sockets: v.sockets, cores: v.cores, delete: 'cpu' }),
  },
  name: { title: 'Name', fields: [{ name: 'name', label: 'Name' }], initial: c => ({ name: c.name || '' }), params: v => (v.name ? { name: v.name } : { delete: 'name' }) },
  onboot: { title: 'Start at boot', fields: [{ name: 'onboot', label: 'Start at boot', type: 'checkbox' }], initial: c => ({ onboot: !!Number(c.onboot || 0) }), params: v => ({ onboot: v.onboot ? 1 : 0 }) },
  protection: { title: 'Protection', fields: [{ name: 'protection', label: 'Protection', type: 'checkbox' }], initial: c => ({ protection: !!Number(c.protection || 0) }), params: v => ({ protection: v.protection ? 1 : 0 }) },
  ostype: { title: 'OS Type', fields: [{ name: 'ostype', label: 'Guest OS', type: 'select', options: OS_TYPES }], initial: c => ({ ostype: c.ostype || 'other' }), params: v => ({ ostype: v.ostype }) },
  boot: { title: 'Boot Order', fields: [{ name: 'boot', label: 'Boot order', placeholder: 'order=scsi0;net0' }], initial: c => ({ boot: c.boot || '' }), params: v => (v.boot ? { boot: v.boot } : { delete: 'boot' }) },
  description: { title: 'Notes', fields: [{ name: 'description', label: 'Notes', type: 'textarea' }], initial: c => ({ description: c.description || '' }), params: v => (v.description ? { description: v.description } : { delete: 'description' }) },
};
/** A config key that is a disk image (not a CD/DVD drive). */
const isDisk = (key, cfg) => !!key && /^(ide|sata|scsi|virtio)\d+$|^efidisk0$|^tpmstate0$/.test(key) && cfg && cfg[key] && !/media=cdrom/.test(cfg[key]);
const REMOVABLE = /^(net\d+|unused\d+|usb\d+|serial\d+|(ide|sata|scsi|virtio)\d+|rng0|audio0|watchdog)$/;

/** Grid of config rows with Edit (keys in EDITORS) and Remove (removable devices) through PUT …/config. */
/** Add a hard disk, network device or CD/DVD drive: the dialog's fields and the PUT …/config parameters. */
function AddDevice({ res, kind, cfg, onClose }) {
  const storages = useLoad(() => api.get(`/nodes/${encodeURIComponent(res.node)}/storage`, { enabled: 1 }), [res.node]);
  const isos = useLoad(() => (kind === 'cdrom' ? Promise.all((storages.data || [])
    .filter(s => (s.content || '').split(',').includes('iso'))
    .map(s => api.get(`/nodes/${encodeURIComponent(res.node)}/storage/${encodeURIComponent(s.storage)}/content`, { content: 'iso' }).catch(() => [])))
    .then(l => l.flat().map(v => v.volid)) : Promise.resolve([])), [res.node, kind, storages.data]);
  if (!storages.data && !storages.error) return null;
  const images = (storages.data || []).filter(s => (s.content || '').split(',').includes('images')).map(s => [s.storage, s.storage]);
  const put = params => api.put(`${base(res)}/config`, params);
  if (kind === 'disk') {
    return html`<${EditDialog} title="Add: Hard Disk" name="add-disk" onClose=${onClose}
      fields=${[{ name: 'bus', label: 'Bus/Device', type: 'select', options: [['scsi', 'SCSI'], ['virtio', 'VirtIO Block'], ['sata', 'SATA'], ['ide', 'IDE']] },
        { name: 'storage', label: 'Storage', type: 'select', options: images }, { name: 'size', label: 'Disk size (GiB)', required: true }]}
      initial=${{ bus: 'scsi', storage: images.length ? images[0][0] : '', size: '32' }}
      validate=${v => (/^\d+(\.\d+)?$/.test(v.size) && Number(v.size) > 0 ? (nextFree(cfg, v.bus) ? {} : { bus: 'no free slot' }) : { size: 'a positive number' })}
      onSubmit=${v => put({ [nextFree(cfg, v.bus)]: `${v.storage}:${Number(v.size)}` })} />`;
  }
  if (kind === 'net') {
    return html`<${EditDialog} title="Add: Network Device" name="add-net" onClose=${onClose}
      fields=${[{ name: 'bridge', label: 'Bridge', required: true }, { name: 'model', label: 'Model', type: 'select',
        options: [['virtio', 'VirtIO (paravirtualized)'], ['e1000', 'Intel E1000'], ['e1000e', 'Intel E1000E'], ['rtl8139', 'Realtek RTL8139'], ['vmxnet3', 'VMware vmxnet3']] },
        { name: 'firewall', label: 'Firewall', type: 'checkbox' }]}
      initial=${{ bridge: 'vmbr0', model: 'virtio', firewall: true }}
      validate=${() => (nextFree(cfg, 'net') ? {} : { bridge: 'no free slot' })}
      onSubmit=${v => put({ [nextFree(cfg, 'net')]: `${v.model},bridge=${v.bridge.trim()}${v.firewall ? ',firewall=1' : ''}` })} />`;
  }
  return html`<${EditDialog} title="Add: CD/DVD Drive" name="add-cdrom" onClose=${onClose}
    fields=${[{ name: 'bus', label: 'Bus/Device', type: 'select', options: [['ide', 'IDE'], ['sata', 'SATA'], ['scsi', 'SCSI']] },
      { name: 'iso', label: 'ISO image', type: 'select', options: [['none', 'Do not use any media'], ...(isos.data || []).map(v => [v, v])] }]}
    initial=${{ bus: 'ide', iso: 'none' }}
    validate=${v => (nextFree(cfg, v.bus) ? {} : { bus: 'no free slot' })}
    onSubmit=${v => put({ [nextFree(cfg, v.bus)]: `${v.iso},media=cdrom` })} />`;
}

function ConfigGrid({ res, name, rows, cfg, reload, pend }) {
  const [sel, setSel] = useState(null);
  const [dlg, setDlg] = useState(null);
  const [error, setError] = useState(null);
  const editor = sel && EDITORS[sel];
  const put = params => api.put(`${base(res)}/config`, params);
  const remove = async () => {
    setDlg(null);
    setError(null);
    try { await put({ delete: sel }); setSel(null); reload(); } catch (e) { setError(e); }
  };
  return html`<div>
    <div class="toolbar">
      ${name === 'vm-hardware' && html`<select id="hardware-add" value="" disabled=${!api.can('vms', 'VM.Config.Disk') && !api.can('vms', 'VM.Config.Network')}
        onChange=${e => { if (e.target.value) setDlg(`add-${e.target.value}`); e.target.value = ''; }}>
        <option value="">Add…</option><option value="disk">Hard Disk</option><option value="net">Network Device</option><option value="cdrom">CD/DVD Drive</option>
      </select>`}
      <button type="button" data-action="edit" disabled=${!editor} onClick=${() => setDlg('edit')}>Edit</button>
      <button type="button" data-action="remove" disabled=${!sel || !REMOVABLE.test(sel)} onClick=${() => setDlg('remove')}>Remove</button>
      ${name === 'vm-hardware' && html`<button type="button" data-action="resize" disabled=${!isDisk(sel, cfg)} onClick=${() => setDlg('resize')}>Resize disk</button>`}
      <span class="hint">Changes to a running VM may stay pending until it restarts.</span>
    </div>
    <${ErrorBox} error=${error} />
    <${Grid} name=${name} rows=${rows} rowKey=${r => r.key} selected=${sel} onSelect=${r => setSel(r.key)}
      onOpen=${r => { setSel(r.key); if (EDITORS[r.key]) setDlg('edit'); }} columns=${[
        { key: 'label', title: name === 'vm-hardware' ? 'Device' : 'Option', width: '16em' },
        { key: 'value', title: 'Value', render: r => html`<span>${r.value}</span>${pend && pend[r.key] !== undefined && pend[r.key] !== r.value
          ? html`<div class="pending">${pend[r.key] === 'delete' ? 'pending removal' : `pending: ${pend[r.key]}`}</div>` : ''}` },
      ]} />
    ${dlg === 'edit' && editor && html`<${EditDialog} title=${`Edit: ${editor.title}`} name="config-edit" fields=${editor.fields}
      initial=${editor.initial(cfg)} onSubmit=${v => put(editor.params(v))} onClose=${changed => { setDlg(null); if (changed) reload(); }} />`}
    ${dlg === 'remove' && html`<${Confirm} text=${`Remove ${sel}?`} onYes=${remove} onNo=${() => setDlg(null)} />`}
    ${dlg === 'resize' && isDisk(sel, cfg) && html`<${EditDialog} title=${`Resize disk ${sel}`} name="disk-resize" submitText="Resize disk" onClose=${changed => { setDlg(null); if (changed) reload(); }}
      fields=${[{ name: 'incr', label: 'Size Increment (GiB)', required: true }]} initial=${{ incr: '1' }}
      validate=${v => (/^\d+(\.\d+)?$/.test(v.incr) && Number(v.incr) > 0 ? {} : { incr: 'a positive number' })}
      onSubmit=${v => api.put(`${base(res)}/resize`, { disk: sel, size: `+${Number(v.incr)}G` })
        .then(upid => { if (typeof upid === 'string' && upid.startsWith('UPID:')) S.openTask(res.node, upid); })} />`}
    ${dlg && dlg.startsWith('add-') && html`<${AddDevice} res=${res} kind=${dlg.slice(4)} cfg=${{ ...cfg, ...(pend || {}) }}
      onClose=${changed => { setDlg(null); if (changed) reload(); }} />`}
  </div>`;
}

export function VmHardware({ res }) {
  const load = useLoad(() => api.get(`${base(res)}/pending`).then(
    list => ({ pending: true, list }),
    () => api.get(`${base(res)}/config`).then(cfg => ({ pending: false, cfg }))), [res.node, res.vmid], 5000);
  return html`<${Loaded} load=${load}>${d => {
    let cfg = d.cfg;
    const pend = {};
    if (d.pending) {
      cfg = {};
      for (const e of d.list) {
        if (e.value !== undefined) cfg[e.key] = e.value;
        if (e.pending !== undefined || e.delete) pend[e.key] = e.delete ? 'delete' : e.pending;
        if (e.value === undefined && e.pending !== undefined) cfg[e.key] = e.pending;
      }
    }
    return html`<${ConfigGrid} res=${res} name="vm-hardware" rows=${hardwareRows(cfg)} cfg=${cfg} pend=${pend} reload=${load.reload} />`;
  }}<//>`;
}

export function VmOptions({ res }) {
  const load = useLoad(() => api.get(`${base(res)}/config`), [res.node, res.vmid], 5000);
  return html`<${Loaded} load=${load}>${cfg => html`<${ConfigGrid} res=${res} name="vm-options" rows=${optionRows(cfg)} cfg=${cfg} reload=${load.reload} />`}<//>`;
}

/** noVNC for the display, xterm.js for serial ports that are sockets (the default when vga is serialN). */
export function VmConsole({ res }) {
  const cfg = useLoad(() => api.get(`${base(res)}/config`), [res.node, res.vmid]);
  const [choice, setChoice] = useState(null);
  if (res.status !== 'running') return html`<div class="notice">VM ${res.vmid} is not running.</div>`;
  if (!cfg.data && !cfg.error) return html`<div class="loading">Loading…</div>`;
  const c = cfg.data || {};
  const serials = Object.keys(c).filter(k => /^serial\d$/.test(k) && c[k] === 'socket').sort();
  const vgaSerial = /^serial\d/.test(c.vga || '') ? c.vga.slice(0, 7) : null;
  const options = [...(vgaSerial ? [] : [['novnc', 'noVNC']]), ...serials.map(sp => [sp, `xterm.js (${sp})`])];
  const cur = choice || (vgaSerial && serials.includes(vgaSerial) ? vgaSerial : options[0] && options[0][0]);
  if (!cur) return html`<div class="notice">No console: the display is a serial port that is not a socket.</div>`;
  return html`<div class="console-tab">
    ${options.length > 1 && html`<div class="toolbar"><select id="console-kind" value=${cur} onChange=${e => setChoice(e.target.value)}>
      ${options.map(([v, t]) => html`<option value=${v} selected=${v === cur}>${t}</option>`)}</select></div>`}
    ${cur === 'novnc' ? html`<${VncConsole} base=${base(res)} active=${true} />`
      : html`<${TermConsole} key=${cur} base=${base(res)} active=${true} params=${{ serial: cur }} />`}
  </div>`;
}

export function VmTasks({ res }) {
  return html`<${TaskHistory} node=${res.node} vmid=${res.vmid} />`;
}

/** Snapshots: take, rollback, remove, edit the description (tasks open in the viewer). */
export function VmSnapshots({ res }) {
  const load = useLoad(() => api.get(`${base(res)}/snapshot`), [res.node, res.vmid], 5000);
  const [sel, setSel] = useState(null);
  const [dlg, setDlg] = useState(null);
  const [error, setError] = useState(null);
  const snap = sel && sel !== 'current' && load.data && load.data.find(s => s.name === sel);
  const task = async p => {
    setDlg(null);
    setError(null);
    try {
      const upid = await p;
      if (typeof upid === 'string' && upid.startsWith('UPID:')) S.openTask(res.node, upid);
      load.reload();
    } catch (e) { setError(e); }
  };
  const close = changed => { setDlg(null); if (changed) load.reload(); };
  const sbase = s => `${base(res)}/snapshot/${encodeURIComponent(s)}`;
  return html`<div>
    <div class="toolbar">
      <button type="button" data-action="snapshot" onClick=${() => setDlg('take')}>Take Snapshot</button>
      <button type="button" data-action="rollback" disabled=${!snap} onClick=${() => setDlg('rollback')}>Rollback</button>
      <button type="button" data-action="edit" disabled=${!snap} onClick=${() => setDlg('edit')}>Edit</button>
      <button type="button" data-action="remove" disabled=${!snap} onClick=${() => setDlg('remove')}>Remove</button>
    </div>
    <${ErrorBox} error=${error} />
    <${Loaded} load=${load}>${rows => html`<${Grid} name="vm-snapshots" rowKey=${s => s.name} selected=${sel} onSelect=${s => setSel(s.name)}
      rows=${[...rows].sort((a, b) => (a.name === 'current') - (b.name === 'current') || (a.snaptime || 0) - (b.snaptime || 0))} columns=${[
        { key: 'name', title: 'Name', render: s => (s.name === 'current' ? 'NOW' : s.name) },
        { key: 'vmstate', title: 'RAM', render: s => (Number(s.vmstate) ? 'Yes' : '') },
        { key: 'snaptime', title: 'Date/Status', render: s => (s.name === 'current' ? 'You are here!' : formatTime(s.snaptime)) },
        { key: 'description', title: 'Description', render: s => (s.name === 'current' ? '' : s.description || '') },
      ]} />`}<//>
    ${dlg === 'take' && html`<${EditDialog} title="Take Snapshot" name="snapshot-take" submitText="Take Snapshot" onClose=${close}
      fields=${[{ name: 'snapname', label: 'Name', required: true }, { name: 'vmstate', label: 'Include RAM', type: 'checkbox' },
        { name: 'description', label: 'Description', type: 'textarea' }]}
      onSubmit=${v => api.post(`${base(res)}/snapshot`, { snapname: v.snapname.trim(), vmstate: v.vmstate ? 1 : undefined, description: v.description || undefined })
        .then(upid => { if (typeof upid === 'string' && upid.startsWith('UPID:')) S.openTask(res.node, upid); })} />`}
    ${dlg === 'edit' && snap && html`<${EditDialog} title=${`Edit: Snapshot ${snap.name}`} name="snapshot-edit" onClose=${close}
      fields=${[{ name: 'description', label: 'Description', type: 'textarea' }]} initial=${{ description: snap.description || '' }}
      onSubmit=${v => api.put(`${sbase(snap.name)}/config`, { description: v.description })} />`}
    ${dlg === 'rollback' && snap && html`<${Confirm} text=${`Rollback VM ${res.vmid} to snapshot ${snap.name}? The current state is lost.`}
      onYes=${() => task(api.post(`${sbase(snap.name)}/rollback`, {}))} onNo=${() => setDlg(null)} />`}
    ${dlg === 'remove' && snap && html`<${Confirm} text=${`Remove snapshot ${snap.name}?`}
      onYes=${() => task(api.del(sbase(snap.name)))} onNo=${() => setDlg(null)} />`}
  </div>`;
}
