// Datacenter → HA: status, resources and groups from /cluster/ha.
import { html, Grid, useLoad, Loaded } from 'app/ui.js';
import * as api from 'app/api.js';
import { EditDialog, nonEmpty } from 'app/edit.js';
import { CrudList } from 'app/datacenter.js';

const enc = encodeURIComponent;
const STATES = ['started', 'stopped', 'enabled', 'disabled', 'ignored'].map(s => [s, s]);

export function HaStatus() {
  const load = useLoad(() => api.get('/cluster/ha/status/current'), [], 5000);
  return html`<${Loaded} load=${load}>${rows => html`<${Grid} name="ha-status" rows=${rows} rowKey=${r => r.id} columns=${[
    { key: 'type', title: 'Type', width: '8em' }, { key: 'status', title: 'Status' },
  ]} empty="No HA status" />`}<//>`;
}

export function HaResources() {
  const load = useLoad(() => api.get('/cluster/ha/resources'), [], 5000);
  const groups = useLoad(() => api.get('/cluster/ha/groups'), [], 0);
  const dialogs = (kind, r, close) => html`<${EditDialog} title=${r ? `Edit: Resource ${r.sid}` : 'Add: Resource: Container/Virtual Machine'}
    name="ha-resource-edit" onClose=${close}
    fields=${[
      { name: 'sid', label: 'VM', required: true, disabled: !!r, placeholder: 'vm:100 or 100' },
      { name: 'group', label: 'Group', type: 'select', options: [['', 'none'], ...(groups.data || []).map(g => [g.group, g.group])] },
      { name: 'max_restart', label: 'Max. Restart' }, { name: 'max_relocate', label: 'Max. Relocate' },
      { name: 'state', label: 'Request State', type: 'select', options: STATES },
      { name: 'comment', label: 'Comment' },
    ]}
    initial=${r ? { sid: r.sid, group: r.group || '', max_restart: String(r.max_restart ?? 1), max_relocate: String(r.max_relocate ?? 1), state: r.state || 'started', comment: r.comment || '' }
      : { max_restart: '1', max_relocate: '1', state: 'started' }}
    onSubmit=${v => {
      const p = nonEmpty({ group: v.group, max_restart: v.max_restart, max_relocate: v.max_relocate, state: v.state, comment: v.comment });
      if (r) {
        const del = ['group', 'comment'].filter(k => !v[k]);
        return api.put(`/cluster/ha/resources/${enc(r.sid)}`, del.length ? { ...p, delete: del.join(',') } : p);
      }
      return api.post('/cluster/ha/resources', { sid: v.sid.trim(), ...p });
    }} />`;
  return html`<${CrudList} name="ha-resources" load=${load} rowKey=${r => r.sid} dialogs=${dialogs}
    remove=${r => api.del(`/cluster/ha/resources/${enc(r.sid)}`)} removeText=${r => `Remove HA resource ${r.sid}?`} columns=${[
      { key: 'sid', title: 'ID' }, { key: 'state', title: 'State' }, { key: 'group', title: 'Group' },
      { key: 'max_restart', title: 'Max. Restart' }, { key: 'max_relocate', title: 'Max. Relocate' }, { key: 'comment', title: 'Description' },
    ]} />`;
}

export function HaGroups() {
  const load = useLoad(() => api.get('/cluster/ha/groups'), [], 10000);
  const dialogs = (kind, g, close) => html`<${EditDialog} title=${g ? `Edit: HA Group ${g.group}` : 'Add: HA Group'} name="ha-group-edit" onClose=${close}
    fields=${[
      { name: 'group', label: 'ID', required: true, disabled: !!g },
      { name: 'nodes', label: 'Nodes', required: true, placeholder: 'node1:2,node2:1' },
      { name: 'restricted', label: 'restricted', type: 'checkbox' }, { name: 'nofailback', label: 'nofailback', type: 'checkbox' },
      { name: 'comment', label: 'Comment' },
    ]}
    initial=${g ? { group: g.group, nodes: g.nodes || '', restricted: !!Number(g.restricted || 0), nofailback: !!Number(g.nofailback || 0), comment: g.comment || '' } : {}}
    onSubmit=${v => {
      const p = nonEmpty({ nodes: v.nodes.replace(/\s+/g, ''), restricted: v.restricted ? 1 : 0, nofailback: v.nofailback ? 1 : 0, comment: v.comment });
      return g ? api.put(`/cluster/ha/groups/${enc(g.group)}`, p) : api.post('/cluster/ha/groups', { group: v.group.trim(), ...p });
    }} />`;
  return html`<${CrudList} name="ha-groups" load=${load} rowKey=${g => g.group} dialogs=${dialogs}
    remove=${g => api.del(`/cluster/ha/groups/${enc(g.group)}`)} removeText=${g => `Remove HA group ${g.group}?`} columns=${[
      { key: 'group', title: 'Group' }, { key: 'nodes', title: 'Nodes' },
      { key: 'restricted', title: 'restricted', render: g => (Number(g.restricted) ? 'Yes' : 'No') },
      { key: 'nofailback', title: 'nofailback', render: g => (Number(g.nofailback) ? 'Yes' : 'No') },
      { key: 'comment', title: 'Comment' },
    ]} />`;
}

export function Ha() {
  return html`<div class="ha">
    <h3>Status</h3><${HaStatus} />
    <h3>Resources</h3><${HaResources} />
    <h3>Groups</h3><${HaGroups} />
  </div>`;
}
