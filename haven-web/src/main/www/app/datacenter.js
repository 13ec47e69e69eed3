// Datacenter panels: summary, storage definitions, users, groups, roles, ACL, realms.
import { html, Grid, KeyValue, Usage, useLoad, Loaded } from 'app/ui.js';
import * as api from 'app/api.js';
import * as S from 'app/state.js';
import { formatBytes, formatTime } from 'app/format.js';

const yesNo = v => (v === undefined ? '' : Number(v) ? 'Yes' : 'No');

export function DatacenterSummary() {
  const res = S.resources.value;
  const nodes = res.filter(r => r.type === 'node');
  const guests = res.filter(r => r.type === 'qemu' || r.type === 'lxc');
  const running = guests.filter(g => g.status === 'running').length;
  const online = nodes.filter(n => n.status === 'online');
  const sum = (list, k) => list.reduce((a, r) => a + (Number(r[k]) || 0), 0);
  const cpuUsed = online.reduce((a, n) => a + (Number(n.cpu) || 0) * (Number(n.maxcpu) || 0), 0);
  const cpuMax = sum(online, 'maxcpu');
  const status = useLoad(() => api.get('/cluster/status'), [], 10000);
  return html`<div class="summary">
    <div class="box"><h3>Health</h3>
      <${Loaded} load=${status}>${st => {
        const cl = (st || []).find(e => e.type === 'cluster');
        return html`<${KeyValue} name="dc-health" rows=${[
          ['Cluster', cl ? `${cl.name} (quorate: ${yesNo(cl.quorate)})` : 'Standalone node - no cluster defined'],
          ['Nodes online', `${online.length} / ${nodes.length}`],
        ]} />`;
      }}<//>
    </div>
    <div class="box"><h3>Guests</h3>
      <${KeyValue} name="dc-guests" rows=${[
        ['Virtual Machines', `${guests.filter(g => g.type === 'qemu').length}`],
        ['LXC Containers', `${guests.filter(g => g.type === 'lxc').length}`],
        ['Running', `${running}`],
      ]} />
    </div>
    <div class="box wide"><h3>Resources</h3>
      <${KeyValue} name="dc-resources" rows=${[
        ['CPU', html`<${Usage} ratio=${cpuMax ? cpuUsed / cpuMax : 0} label=${`${cpuMax ? ((cpuUsed / cpuMax) * 100).toFixed(2) : '0.00'}% of ${cpuMax} CPU(s)`} />`],
        ['Memory', html`<${Usage} used=${sum(online, 'mem')} total=${sum(online, 'maxmem')} />`],
        ['Storage', html`<${Usage} used=${sum(res.filter(r => r.type === 'storage'), 'disk')} total=${sum(res.filter(r => r.type === 'storage'), 'maxdisk')} />`],
      ]} />
    </div>
    <div class="box wide"><h3>Nodes</h3>
      <${Grid} name="dc-nodes" rows=${nodes} rowKey=${n => n.id} onOpen=${n => S.select(n.id)} columns=${[
        { key: 'node', title: 'Name' },
        { key: 'status', title: 'Status' },
        { key: 'cpu', title: 'CPU usage', render: n => html`<${Usage} ratio=${n.cpu} />` },
        { key: 'mem', title: 'Memory usage', render: n => html`<${Usage} used=${n.mem} total=${n.maxmem} />` },
        { key: 'uptime', title: 'Uptime', render: n => (n.uptime ? `${Math.floor(n.uptime / 86400)}d ${Math.floor((n.uptime % 86400) / 3600)}h` : '') },
      ]} />
    </div>
  </div>`;
}

export function StorageList() {
  const load = useLoad(() => api.get('/storage'), [], 10000);
  return html`<${Loaded} load=${load}>${rows => html`<${Grid} name="storage-cfg" rows=${rows} rowKey=${s => s.storage} columns=${[
    { key: 'storage', title: 'ID' },
    { key: 'type', title: 'Type' },
    { key: 'content', title: 'Content', render: s => (s.content || '').split(',').join(', ') },
    { key: 'path', title: 'Path/Target', render: s => s.path || s.export || s.vgname || s.pool || s.portal || '' },
    { key: 'shared', title: 'Shared', render: s => yesNo(s.shared || 0) },
    { key: 'disable', title: 'Enabled', render: s => (Number(s.disable) ? 'No' : 'Yes') },
    { key: 'nodes', title: 'Nodes', render: s => s.nodes || 'All' },
  ]} />`}<//>`;
}

export function Users() {
  const load = useLoad(() => api.get('/access/users', { full: 1 }), [], 10000);
  return html`<${Loaded} load=${load}>${rows => html`<${Grid} name="users" rows=${rows} rowKey=${u => u.userid} columns=${[
    { key: 'userid', title: 'User name' },
    { key: 'realm-type', title: 'Realm', render: u => u.userid.split('@').pop() },
    { key: 'enable', title: 'Enabled', render: u => yesNo(u.enable === undefined ? 1 : u.enable) },
    { key: 'expire', title: 'Expire', render: u => (Number(u.expire) ? formatTime(u.expire).slice(0, 10) : 'never') },
    { key: 'name', title: 'Name', render: u => [u.firstname, u.lastname].filter(Boolean).join(' ') },
    { key: 'groups', title: 'Groups', render: u => (Array.isArray(u.groups) ? u.groups.join(', ') : u.groups || '') },
    { key: 'tfa', title: 'TFA', render: u => (u['tfa-locked-until'] ? 'locked' : (u.keys ? 'Yes' : '')) },
    { key: 'comment', title: 'Comment' },
  ]} />`}<//>`;
}

export function Groups() {
  const load = useLoad(() => api.get('/access/groups'), [], 10000);
  return html`<${Loaded} load=${load}>${rows => html`<${Grid} name="groups" rows=${rows} rowKey=${g => g.groupid} columns=${[
    { key: 'groupid', title: 'Name' },
    { key: 'users', title: 'Users', render: g => (g.users || '').split(',').filter(Boolean).join(', ') },
    { key: 'comment', title: 'Comment' },
  ]} />`}<//>`;
}

export function Roles() {
  const load = useLoad(() => api.get('/access/roles'), [], 30000);
  return html`<${Loaded} load=${load}>${rows => html`<${Grid} name="roles" rows=${[...rows].sort((a, b) => a.roleid.localeCompare(b.roleid))}
    rowKey=${r => r.roleid} columns=${[
      { key: 'roleid', title: 'Name', width: '14em' },
      { key: 'special', title: 'Built-In', width: '6em', render: r => yesNo(r.special || 0) },
      { key: 'privs', title: 'Privileges', render: r => html`<span class="privs">${(r.privs || '').split(',').join(' ')}</span>` },
    ]} />`}<//>`;
}

export function Acl() {
  const load = useLoad(() => api.get('/access/acl'), [], 10000);
  return html`<${Loaded} load=${load}>${rows => html`<${Grid} name="acl" rows=${[...rows].sort((a, b) => a.path.localeCompare(b.path) || a.ugid.localeCompare(b.ugid))}
    rowKey=${a => `${a.path}|${a.type}|${a.ugid}|${a.roleid}`} columns=${[
      { key: 'path', title: 'Path' },
      { key: 'ugid', title: 'User/Group/API Token', render: a => (a.type === 'group' ? `@${a.ugid}` : a.ugid) },
      { key: 'roleid', title: 'Role' },
      { key: 'propagate', title: 'Propagate', render: a => yesNo(a.propagate) },
    ]} empty="No permissions defined" />`}<//>`;
}

export function Realms() {
  const load = useLoad(() => api.get('/access/domains'), [], 30000);
  return html`<${Loaded} load=${load}>${rows => html`<${Grid} name="realms" rows=${rows} rowKey=${r => r.realm} columns=${[
    { key: 'realm', title: 'Realm' },
    { key: 'type', title: 'Type' },
    { key: 'tfa', title: 'TFA' },
    { key: 'default', title: 'Default', render: r => yesNo(r.default || 0) },
    { key: 'comment', title: 'Comment' },
  ]} />`}<//>`;
}

export { formatBytes };
