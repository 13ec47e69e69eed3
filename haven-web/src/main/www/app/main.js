// Entry point: login, layout (header, resource tree, object panel, task list), polling.
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { html } from 'app/ui.js';
import * as api from 'app/api.js';
import * as S from 'app/state.js';
import { LoginDialog } from 'app/login.js';
import { ResourceTree } from 'app/resourcetree.js';
import { ObjectPanel } from 'app/panels.js';
import { TaskPanel, TaskViewer } from 'app/tasks.js';
import { CreateVmWizard } from 'app/wizard.js';
import { VncConsole, TermConsole } from 'app/console.js';

let pollTimer = null;
let renewTimer = null;

// PVE's console window URL: /?console=kvm&novnc=1&vmid=100&node=n1 (or console=shell&xtermjs=1&node=n1)
const query = new URLSearchParams(location.search);
const consoleMode = query.get('console');

// Storages per online node from GET /nodes/{node}/storage, for servers whose /cluster/resources has no
// storage entries yet (same shape as PVE's storage resources).
async function nodeStorages(list) {
  if (list.some(r => r.type === 'storage')) return list;
  const online = list.filter(r => r.type === 'node' && r.status === 'online');
  const extra = await Promise.all(online.map(n => api.get(`/nodes/${encodeURIComponent(n.node)}/storage`).then(
    st => st.map(s => ({
      id: `storage/${n.node}/${s.storage}`, type: 'storage', storage: s.storage, node: n.node,
      status: Number(s.active) ? 'available' : 'unknown', plugintype: s.type, content: s.content, shared: s.shared,
      disk: s.used, maxdisk: s.total,
    })), () => [])));
  return [...list, ...extra.flat()];
}

// Pools from GET /pools while /cluster/resources has no pool entries (members come from the guests' "pool").
async function pools(list) {
  if (list.some(r => r.type === 'pool')) return list;
  try {
    const ps = await api.get('/pools');
    let out = list;
    if (S.view.value === 'pool' && !list.some(r => r.pool)) {
      // the pool view needs each member's pool: read the members of every pool
      const owner = new Map();
      await Promise.all(ps.map(p => api.get(`/pools/${encodeURIComponent(p.poolid)}`).then(
        d => (d.members || []).forEach(m => owner.set(m.id, p.poolid)), () => {})));
      out = list.map(r => (owner.has(r.id) ? { ...r, pool: owner.get(r.id) } : r));
    }
    return [...out, ...ps.map(p => ({ id: `pool/${p.poolid}`, type: 'pool', pool: p.poolid, comment: p.comment }))];
  } catch (e) {
    return list;
  }
}

async function poll() {
  try {
    S.resources.value = await pools(await nodeStorages(await api.get('/cluster/resources')));
    S.resourcesError.value = null;
  } catch (e) {
    if (e.status !== 401) S.resourcesError.value = e;
  }
  try {
    S.tasks.value = await api.get('/cluster/tasks');
  } catch (e) { /* shown as empty */ }
}

function startPolling() {
  stopPolling();
  poll();
  pollTimer = setInterval(poll, 3000);
}

function stopPolling() {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = null;
}

export function loggedIn(username) {
  S.user.value = username;
  // tickets live two hours: renew every 15 minutes as PVE's GUI does
  if (renewTimer) clearInterval(renewTimer);
  renewTimer = setInterval(async () => {
    if (!(await api.resume())) { stopPolling(); S.user.value = null; }
  }, 15 * 60 * 1000);
  if (consoleMode) return;
  api.get('/version').then(v => { S.version.value = v; }, () => {});
  startPolling();
}

function logout() {
  stopPolling();
  if (renewTimer) clearInterval(renewTimer);
  api.logout();
  S.user.value = null;
  S.resources.value = [];
  S.tasks.value = [];
  S.taskViewer.value = null;
  S.dialog.value = null;
}

api.session.onUnauthorized = () => {
  // ticket expired or revoked: ask for the password again
  if (S.user.value !== null) { stopPolling(); S.user.value = null; }
};

function Header() {
  const v = S.version.value;
  return html`<header class="top">
    <span class="logo"><img src="/favicon.svg" alt="" />Haven Virtual Environment</span>
    <span class="version">${v ? `${v.version}${v.release ? ` (${v.release})` : ''}` : ''}</span>
    <span class="spacer"></span>
    <button type="button" class="primary" id="create-vm" disabled=${!api.can('vms', 'VM.Allocate')} onClick=${() => { S.dialog.value = { name: 'create-vm' }; }}>Create VM</button>
    <span class="user" id="current-user">${S.user.value}</span>
    <button type="button" id="logout" onClick=${logout}>Logout</button>
  </header>`;
}

function Dialogs() {
  const d = S.dialog.value;
  const close = () => { S.dialog.value = null; };
  return html`
    ${d && d.name === 'create-vm' && html`<${CreateVmWizard} onClose=${close} />`}
    ${S.taskViewer.value && html`<${TaskViewer} ...${S.taskViewer.value} onClose=${() => { S.taskViewer.value = null; }} />`}`;
}

function App() {
  useEffect(() => {
    const fromHash = () => {
      const m = /^#v1:(.+)$/.exec(location.hash);
      if (m) S.selected.value = decodeURIComponent(m[1]);
    };
    fromHash();
    window.addEventListener('hashchange', fromHash);
    return () => window.removeEventListener('hashchange', fromHash);
  }, []);
  if (S.user.value === null) return html`<${LoginDialog} onLogin=${loggedIn} />`;
  if (consoleMode) return html`<${ConsoleWindow} />`;
  return html`<div class="layout">
    <${Header} />
    <aside class="side"><${ResourceTree} /></aside>
    <main class="content"><${ObjectPanel} /></main>
    <footer class="bottom"><${TaskPanel} /></footer>
    <${Dialogs} />
  </div>`;
}

/** A console alone in its window (opened from a VM's or node's Console button). */
function ConsoleWindow() {
  const node = query.get('node') || '';
  const vmid = query.get('vmid');
  document.title = vmid ? `VM ${vmid}${query.get('vmname') ? ` ('${query.get('vmname')}')` : ''} - Haven Console` : `${node} - Haven Shell`;
  const n = encodeURIComponent(node);
  const kvm = consoleMode === 'kvm' && vmid;
  return html`<div class="console-window" id="console-window">
    ${kvm && query.get('xtermjs') !== '1'
      ? html`<${VncConsole} base=${`/nodes/${n}/qemu/${encodeURIComponent(vmid)}`} active=${true} />`
      : html`<${TermConsole} base=${kvm ? `/nodes/${n}/qemu/${encodeURIComponent(vmid)}` : `/nodes/${n}`} active=${true} />`}
  </div>`;
}

function Boot() {
  return html`<${App} />`;
}

api.resume().then(u => {
  if (u) loggedIn(u);
  render(html`<${Boot} />`, document.getElementById('app'));
});
