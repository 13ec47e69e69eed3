// Task list (bottom panel, per node, per guest) and the task viewer with a live-tailing log.
import { useState, useEffect, useRef } from 'preact/hooks';
import { html, Grid, Modal, Tabs, KeyValue, ErrorBox, Icon, useLoad, Loaded } from 'app/ui.js';
import * as api from 'app/api.js';
import * as S from 'app/state.js';
import { formatTime, taskDescription, taskStatusText, taskState, parseUpid, formatDuration } from 'app/format.js';

const statusCell = t => {
  const st = taskState(t);
  return html`<span class=${`task-status ${st}`} data-status=${st}>${st === 'running' ? html`<${Icon} cls="spinner" /> running` : taskStatusText(t.status)}</span>`;
};

export const TASK_COLUMNS = [
  { key: 'starttime', title: 'Start Time', width: '11em', render: t => formatTime(t.starttime) },
  { key: 'endtime', title: 'End Time', width: '11em', render: t => formatTime(t.endtime) },
  { key: 'node', title: 'Node', width: '8em' },
  { key: 'user', title: 'User name', width: '10em' },
  { key: 'type', title: 'Description', render: t => taskDescription(t.type, t.id) },
  { key: 'status', title: 'Status', width: '14em', render: statusCell },
];

function openTask(t) { S.openTask(t.node, t.upid); }

function ClusterLog() {
  const load = useLoad(() => api.get('/cluster/log', { max: 100 }), [], 5000);
  return html`<${Loaded} load=${load}>${rows => html`<${Grid} name="cluster-log" rows=${[...rows].sort((a, b) => b.time - a.time)}
    rowKey=${(r, i) => r.uid || i} empty="No entries" columns=${[
      { key: 'time', title: 'Time', width: '11em', render: r => formatTime(r.time) },
      { key: 'node', title: 'Node', width: '8em' }, { key: 'tag', title: 'Service', width: '8em' },
      { key: 'pid', title: 'PID', width: '5em' }, { key: 'user', title: 'User name', width: '10em' },
      { key: 'pri', title: 'Severity', width: '6em' }, { key: 'msg', title: 'Message' },
    ]} />`}<//>`;
}

/** The cluster task list (and the cluster log) at the bottom of the page. */
export function TaskPanel() {
  const [open, setOpen] = useState(true);
  const [tab, setTab] = useState('tasks');
  return html`<div class=${`task-panel ${open ? '' : 'collapsed'}`}>
    <div class="task-panel-head">
      ${[['tasks', 'Tasks'], ['log', 'Cluster log']].map(([id, t]) => html`<a href="#" data-bottom=${id} class=${tab === id ? 'active' : ''}
        onClick=${e => { e.preventDefault(); setTab(id); setOpen(true); }}>${t}</a>`)}
      <span class="spacer"></span>
      <button type="button" class="small" onClick=${() => setOpen(!open)}>${open ? 'Hide' : 'Show'}</button></div>
    ${open && tab === 'tasks' && html`<${Grid} name="cluster-tasks" columns=${TASK_COLUMNS} rows=${S.tasks.value} rowKey=${t => t.upid}
        onOpen=${openTask} empty="No tasks" />`}
    ${open && tab === 'log' && html`<${ClusterLog} />`}
  </div>`;
}

/** Tasks of one node (optionally one guest), from GET /nodes/{node}/tasks. */
export function TaskHistory({ node, vmid }) {
  const load = useLoad(() => api.get(`/nodes/${encodeURIComponent(node)}/tasks`, { vmid, limit: 500, source: 'all' }), [node, vmid], 5000);
  return html`<div class="toolbar"><span class="hint">Double-click a task to view its log.</span></div>
    <${Loaded} load=${load}>${rows => html`<${Grid} name="node-tasks" columns=${TASK_COLUMNS.filter(c => c.key !== 'node')}
      rows=${rows} rowKey=${t => t.upid} onOpen=${t => S.openTask(node, t.upid)} empty="No tasks" />`}<//>`;
}

/** Polls the task log from the last line read and the status, until the task has stopped. */
function useTaskLog(node, upid) {
  const [lines, setLines] = useState([]);
  const [status, setStatus] = useState(null);
  const [error, setError] = useState(null);
  const next = useRef(0);
  useEffect(() => {
    let stopped = false;
    let timer = null;
    next.current = 0;
    setLines([]);
    setStatus(null);
    const base = `/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}`;
    const tick = async () => {
      try {
        const st = await api.get(`${base}/status`);
        // read all new lines (in chunks) after the status, so a stopped task's log is complete
        for (;;) {
          const chunk = await api.get(`${base}/log`, { start: next.current, limit: 500 });
          if (stopped) return;
          const fresh = (chunk || []).filter(l => l.n > next.current);
          if (fresh.length === 0) break;
          next.current = fresh[fresh.length - 1].n;
          setLines(prev => [...prev, ...fresh]);
          if (chunk.length < 500) break;
        }
        if (stopped) return;
        setStatus(st);
        setError(null);
        if (st.status === 'running') timer = setTimeout(tick, 1000);
      } catch (e) {
        if (stopped) return;
        setError(e);
        if (e.status !== 401 && e.status !== 403 && e.status !== 404) timer = setTimeout(tick, 3000);
      }
    };
    tick();
    return () => { stopped = true; if (timer) clearTimeout(timer); };
  }, [node, upid]);
  return { lines, status, error };
}

/** The task viewer dialog: Output (live log) and Status, with a Stop button while running. */
export function TaskViewer({ node, upid, onClose }) {
  const [tab, setTab] = useState('output');
  const { lines, status, error } = useTaskLog(node, upid);
  const pre = useRef(null);
  const follow = useRef(true);
  useEffect(() => {
    const el = pre.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [lines, tab]);
  const u = parseUpid(upid) || {};
  const running = !status || status.status === 'running';
  const stop = async () => {
    try { await api.del(`/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}`); } catch (e) { alert(e.details || e.message); }
  };
  const stateText = !status ? 'loading' : status.status === 'running' ? 'running' : status.exitstatus;
  const output = () => html`<pre class="task-log" id="task-log" ref=${pre}
      onScroll=${e => { const el = e.target; follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 4; }}
    >${lines.map(l => `${l.t}\n`).join('')}</pre>
    <div class="task-viewer-status" id="task-state" data-state=${running ? 'running' : 'stopped'} data-exitstatus=${status && status.exitstatus || ''}>
      ${running ? html`<${Icon} cls="spinner" /> running` : html`Status: <b>${taskStatusText(status.exitstatus) || status.exitstatus}</b>`}
    </div>`;
  const statusTab = () => html`<${KeyValue} name="task-status" rows=${[
    ['Status', stateText],
    ['Task type', u.type],
    ['User name', u.user],
    ['Node', node],
    ['Process ID', u.pid],
    ['Start Time', formatTime(u.starttime)],
    status && status.status !== 'running' && status.endtime ? ['Duration', formatDuration(status.endtime - u.starttime)] : null,
    ['Unique task ID', html`<code>${upid}</code>`],
  ]} />`;
  return html`<${Modal} title=${`Task viewer: ${taskDescription(u.type, u.id)}`} onClose=${onClose} wide name="task-viewer">
    <${ErrorBox} error=${error} />
    <${Tabs} active=${tab} onChange=${setTab} tabs=${[
      { id: 'output', title: 'Output', render: output },
      { id: 'status', title: 'Status', render: statusTab },
    ]} />
    <div class="buttons">
      <button type="button" id="task-stop" disabled=${!running} onClick=${stop}>Stop</button>
      <button type="button" id="task-download" onClick=${() => {
        // the log as a text file, from the lines read so far
        const url = URL.createObjectURL(new Blob([lines.map(l => `${l.t}\n`).join('')], { type: 'text/plain' }));
        const a = document.createElement('a');
        a.href = url;
        a.download = `task-${node}-${u.type || 'task'}-${u.starttime || ''}.log`;
        a.click();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      }}>Download</button>
    </div>
  <//>`;
}
