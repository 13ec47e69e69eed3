// VM panels: summary, hardware, options, console, task history, and the power buttons.
import { useState } from 'preact/hooks';
import { html, Grid, KeyValue, Usage, useLoad, Loaded, Confirm, ErrorBox } from 'app/ui.js';
import * as api from 'app/api.js';
import * as S from 'app/state.js';
import { formatUptime, formatBytes } from 'app/format.js';
import { hardwareRows, optionRows } from 'app/hardware.js';
import { TaskHistory } from 'app/tasks.js';
import { VncConsole } from 'app/console.js';
import { RrdGraphs } from 'app/charts.js';

const base = r => `/nodes/${encodeURIComponent(r.node)}/qemu/${r.vmid}`;

const VM_GRAPHS = [
  { title: 'CPU usage', fields: ['cpu'], labels: ['CPU usage'], unit: 'percent' },
  { title: 'Memory usage', fields: ['maxmem', 'mem'], labels: ['Total', 'RAM usage'], unit: 'bytes' },
  { title: 'Network traffic', fields: ['netin', 'netout'], labels: ['netin', 'netout'], unit: 'bytes' },
  { title: 'Disk IO', fields: ['diskread', 'diskwrite'], labels: ['diskread', 'diskwrite'], unit: 'bytes' },
];

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
  return html`<span class="actions">
    <button type="button" id="vm-start" disabled=${running} onClick=${() => action('start')}>Start</button>
    <button type="button" id="vm-shutdown" disabled=${!running} onClick=${() => setConfirm({ text: `Shutdown VM ${res.vmid}?`, go: () => action('shutdown') })}>Shutdown</button>
    <button type="button" id="vm-stop" disabled=${!running} onClick=${() => setConfirm({ text: `Stop VM ${res.vmid}?`, go: () => action('stop') })}>Stop</button>
    <button type="button" id="vm-reboot" disabled=${!running} onClick=${() => setConfirm({ text: `Reboot VM ${res.vmid}?`, go: () => action('reboot') })}>Reboot</button>
    <button type="button" id="vm-remove" disabled=${running} onClick=${() => setConfirm({ text: `Remove VM ${res.vmid} and all its disks?`, go: () => run('DELETE', base(res), { purge: 1 }) })}>Remove</button>
    ${confirm && html`<${Confirm} text=${confirm.text} onYes=${confirm.go} onNo=${() => setConfirm(null)} />`}
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
    const rows = hardwareRows(cfg);
    return html`<${Grid} name="vm-hardware" rows=${rows} rowKey=${r => r.key} columns=${[
      { key: 'label', title: 'Device', width: '16em' },
      { key: 'value', title: 'Value', render: r => html`<span>${r.value}</span>${pend[r.key] !== undefined && pend[r.key] !== r.value
        ? html`<div class="pending">${pend[r.key] === 'delete' ? 'pending removal' : `pending: ${pend[r.key]}`}</div>` : ''}` },
    ]} />`;
  }}<//>`;
}

export function VmOptions({ res }) {
  const load = useLoad(() => api.get(`${base(res)}/config`), [res.node, res.vmid], 5000);
  return html`<${Loaded} load=${load}>${cfg => html`<${Grid} name="vm-options" rows=${optionRows(cfg)} rowKey=${r => r.key} columns=${[
    { key: 'label', title: 'Option', width: '16em' }, { key: 'value', title: 'Value' },
  ]} />`}<//>`;
}

export function VmConsole({ res }) {
  if (res.status !== 'running') return html`<div class="notice">VM ${res.vmid} is not running.</div>`;
  return html`<${VncConsole} base=${base(res)} active=${true} />`;
}

export function VmTasks({ res }) {
  return html`<${TaskHistory} node=${res.node} vmid=${res.vmid} />`;
}
