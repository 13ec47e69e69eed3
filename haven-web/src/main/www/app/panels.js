// Object panels: what the content area shows for the selected tree node.
import { useState } from 'preact/hooks';
import { html, NavTabs, Icon, Grid, useLoad, Loaded } from 'app/ui.js';
import * as api from 'app/api.js';
import * as S from 'app/state.js';
import { DatacenterSummary, StorageList, Users, Groups, Roles, Acl, Realms, Pools, Cluster } from 'app/datacenter.js';
import { Ha } from 'app/ha.js';
import { NodeSummary, NodeTasks, NodeShell } from 'app/node.js';
import { VmSummary, VmHardware, VmOptions, VmConsole, VmTasks, VmActions, VmSnapshots } from 'app/vm.js';
import { StorageSummary, StorageContent } from 'app/storage.js';

const lastTab = {};

/** Members of a pool from GET /pools/{poolid}. */
function PoolMembers({ pool }) {
  const load = useLoad(() => api.get(`/pools/${encodeURIComponent(pool)}`), [pool], 10000);
  return html`<${Loaded} load=${load}>${p => html`
    ${p.comment && html`<p class="hint">${p.comment}</p>`}
    <${Grid} name="pool-members" rows=${p.members || []} rowKey=${m => m.id} onOpen=${m => S.select(m.id)} empty="No members" columns=${[
      { key: 'id', title: 'ID' }, { key: 'type', title: 'Type' }, { key: 'node', title: 'Node' },
      { key: 'name', title: 'Name', render: m => m.name || m.storage || '' }, { key: 'status', title: 'Status' },
    ]} />`}<//>`;
}

function Panel({ kind, title, icon, tools, tabs, objectKey }) {
  const [tab, setTab] = useState(lastTab[kind] || tabs[0].id);
  const change = t => { lastTab[kind] = t; setTab(t); };
  return html`<div class="panel" data-panel=${kind} key=${objectKey}>
    <div class="panel-head"><${Icon} cls=${icon} /><h2 id="panel-title">${title}</h2><span class="spacer"></span>${tools}</div>
    <${NavTabs} tabs=${tabs} active=${tab} onChange=${change} />
  </div>`;
}

export function ObjectPanel() {
  const n = S.selectedNode.value;
  if (!n) return html`<div class="loading">Loading…</div>`;
  const d = n.data || {};
  switch (n.type) {
    case 'datacenter':
      return html`<${Panel} kind="datacenter" title="Datacenter" icon="datacenter" objectKey="root" tabs=${[
        { id: 'summary', title: 'Summary', render: () => html`<${DatacenterSummary} />` },
        { id: 'cluster', title: 'Cluster', render: () => html`<${Cluster} />` },
        { id: 'storage', title: 'Storage', render: () => html`<${StorageList} />` },
        { id: 'users', title: 'Users', render: () => html`<${Users} />` },
        { id: 'groups', title: 'Groups', render: () => html`<${Groups} />` },
        { id: 'roles', title: 'Roles', render: () => html`<${Roles} />` },
        { id: 'acl', title: 'Permissions', render: () => html`<${Acl} />` },
        { id: 'pools', title: 'Pools', render: () => html`<${Pools} />` },
        { id: 'ha', title: 'HA', render: () => html`<${Ha} />` },
        { id: 'realms', title: 'Realms', render: () => html`<${Realms} />` },
      ]} />`;
    case 'node':
      return html`<${Panel} kind="node" title=${`Node '${d.node}'`} icon=${n.icon} objectKey=${n.id} tabs=${[
        { id: 'summary', title: 'Summary', render: () => html`<${NodeSummary} node=${d.node} />` },
        { id: 'shell', title: 'Shell', render: () => html`<${NodeShell} node=${d.node} />` },
        { id: 'tasks', title: 'Task History', render: () => html`<${NodeTasks} node=${d.node} />` },
      ]} />`;
    case 'qemu':
      return html`<${Panel} kind="qemu" title=${`Virtual Machine ${d.vmid}${d.name ? ` (${d.name})` : ''} on node '${d.node}'`}
        icon=${n.icon} objectKey=${n.id} tools=${html`<${VmActions} res=${d} />`} tabs=${[
        { id: 'summary', title: 'Summary', render: () => html`<${VmSummary} res=${d} />` },
        { id: 'console', title: 'Console', render: () => html`<${VmConsole} res=${d} />` },
        { id: 'hardware', title: 'Hardware', render: () => html`<${VmHardware} res=${d} />` },
        { id: 'options', title: 'Options', render: () => html`<${VmOptions} res=${d} />` },
        { id: 'snapshots', title: 'Snapshots', render: () => html`<${VmSnapshots} res=${d} />` },
        { id: 'tasks', title: 'Task History', render: () => html`<${VmTasks} res=${d} />` },
      ]} />`;
    case 'storage':
      return html`<${Panel} kind="storage" title=${`Storage '${d.storage}' on node '${d.node}'`} icon=${n.icon} objectKey=${n.id} tabs=${[
        { id: 'summary', title: 'Summary', render: () => html`<${StorageSummary} res=${d} />` },
        { id: 'content', title: 'Content', render: () => html`<${StorageContent} res=${d} />` },
      ]} />`;
    case 'pool':
      return html`<${Panel} kind="pool" title=${`Resource Pool: ${d.pool}`} icon="pool" objectKey=${n.id} tabs=${[
        { id: 'members', title: 'Members', render: () => html`<${PoolMembers} pool=${d.pool} />` },
      ]} />`;
    default:
      return html`<div class="panel" data-panel=${n.type}>
        <div class="panel-head"><${Icon} cls=${n.icon} /><h2 id="panel-title">${n.text}</h2></div>
        <ul class="member-list">${(n.children || []).map(c => html`<li><a href="#" onClick=${e => { e.preventDefault(); S.select(c.id); }}>
          <${Icon} cls=${c.icon} /> ${c.text}</a></li>`)}</ul>
      </div>`;
  }
}
