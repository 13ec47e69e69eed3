// Node panels: summary (GET /nodes/{node}/status and …/rrddata), shell, task history.
import { html, KeyValue, Usage, useLoad, Loaded } from 'app/ui.js';
import * as api from 'app/api.js';
import { formatUptime, formatBytes } from 'app/format.js';
import { RrdGraphs } from 'app/charts.js';
import { TaskHistory } from 'app/tasks.js';
import { TermConsole } from 'app/console.js';

const NODE_GRAPHS = [
  { title: 'CPU usage', fields: ['cpu', 'iowait'], labels: ['CPU usage', 'IO delay'], unit: 'percent' },
  { title: 'Server load', fields: ['loadavg'], labels: ['Load average'], unit: 'number' },
  { title: 'Memory usage', fields: ['memtotal', 'memused'], labels: ['Total', 'RAM usage'], unit: 'bytes' },
  { title: 'Network traffic', fields: ['netin', 'netout'], labels: ['netin', 'netout'], unit: 'bytes' },
];

export function NodeSummary({ node }) {
  const n = encodeURIComponent(node);
  const load = useLoad(() => api.get(`/nodes/${n}/status`), [node], 3000);
  return html`<div class="summary">
    <div class="box wide"><h3>Status</h3>
      <${Loaded} load=${load}>${st => {
        const ci = st.cpuinfo || {};
        const mem = st.memory || {};
        const swap = st.swap || {};
        const root = st.rootfs || {};
        return html`<${KeyValue} name="node-status" rows=${[
          ['CPU usage', html`<${Usage} ratio=${st.cpu} label=${`${(Number(st.cpu || 0) * 100).toFixed(2)}% of ${ci.cpus || '?'} CPU(s)`} />`],
          ['IO delay', st.wait !== undefined ? `${(Number(st.wait) * 100).toFixed(2)}%` : ''],
          ['Load average', Array.isArray(st.loadavg) ? st.loadavg.join(', ') : ''],
          ['RAM usage', html`<${Usage} used=${mem.used} total=${mem.total} />`],
          ['SWAP usage', html`<${Usage} used=${swap.used} total=${swap.total} />`],
          ['HD space (root)', html`<${Usage} used=${root.used} total=${root.total} />`],
          ['KSM sharing', formatBytes((st.ksm || {}).shared || 0)],
          ['CPU(s)', `${ci.cpus || '?'} x ${ci.model || ''} (${ci.sockets || '?'} Socket${Number(ci.sockets) === 1 ? '' : 's'})`],
          ['Kernel Version', st.kversion || ''],
          ['Boot Mode', (st['boot-info'] || {}).mode === 'efi' ? `EFI${(st['boot-info'] || {}).secureboot ? ' (Secure Boot)' : ''}` : 'Legacy BIOS'],
          ['Manager Version', st.pveversion || ''],
          ['Uptime', formatUptime(st.uptime)],
        ]} />`;
      }}<//>
    </div>
    <div class="box wide"><h3>Graphs</h3><${RrdGraphs} path=${`/nodes/${n}/rrddata`} graphs=${NODE_GRAPHS} /></div>
  </div>`;
}

export function NodeTasks({ node }) {
  return html`<${TaskHistory} node=${node} />`;
}

export function NodeShell({ node }) {
  return html`<${TermConsole} base=${`/nodes/${encodeURIComponent(node)}`} active=${true} />`;
}
