// Datacenter panels: summary, storage definitions, users, groups, roles, ACL, realms.
import { useState } from 'preact/hooks';
import { html, Grid, KeyValue, Usage, useLoad, Loaded, Confirm, ErrorBox, Modal } from 'app/ui.js';
import { EditDialog, nonEmpty } from 'app/edit.js';
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

const STORAGE_TYPES = {
  dir: { title: 'Directory', fields: [{ name: 'path', label: 'Directory', required: true, placeholder: '/mnt/data' }], content: 'images,iso' },
  lvm: { title: 'LVM', fields: [{ name: 'vgname', label: 'Volume group', required: true }], content: 'images,rootdir' },
  lvmthin: { title: 'LVM-Thin', fields: [{ name: 'vgname', label: 'Volume group', required: true }, { name: 'thinpool', label: 'Thin Pool', required: true }], content: 'images,rootdir' },
  btrfs: { title: 'BTRFS', fields: [{ name: 'path', label: 'Path', required: true }], content: 'images,rootdir' },
  nfs: { title: 'NFS', fields: [{ name: 'server', label: 'Server', required: true }, { name: 'export', label: 'Export', required: true }], content: 'images,iso' },
};

function StorageDialog({ type, storage, onClose }) {
  const t = STORAGE_TYPES[type] || { title: type, fields: [], content: storage && storage.content };
  const edit = !!storage;
  const fields = [
    { name: 'storage', label: 'ID', required: true, disabled: edit },
    ...t.fields.map(f => ({ ...f, disabled: edit })),
    { name: 'content', label: 'Content', placeholder: 'images,rootdir,iso,vztmpl,backup,snippets,import' },
    { name: 'nodes', label: 'Nodes', placeholder: 'All (no restrictions)' },
    { name: 'enable', label: 'Enable', type: 'checkbox' },
    ...(type === 'dir' || type === 'lvm' ? [{ name: 'shared', label: 'Shared', type: 'checkbox' }] : []),
  ];
  const initial = edit
    ? { ...storage, enable: !Number(storage.disable || 0), shared: !!Number(storage.shared || 0), nodes: storage.nodes || '' }
    : { content: t.content, enable: true };
  return html`<${EditDialog} title=${edit ? `Edit: ${t.title} ${storage.storage}` : `Add: ${t.title}`} name="storage-edit" fields=${fields}
    initial=${initial} onClose=${onClose}
    onSubmit=${v => {
      // flags: set when true, left out (create) or deleted (edit) when false, as PVE writes them
      const flags = { disable: !v.enable, ...(type === 'dir' || type === 'lvm' ? { shared: !!v.shared } : {}) };
      const content = v.content.replace(/\s+/g, '');
      if (edit) {
        const del = Object.keys(flags).filter(k => !flags[k]);
        if (!v.nodes) del.push('nodes');
        const p = { content };
        for (const k of Object.keys(flags)) if (flags[k]) p[k] = 1;
        if (v.nodes) p.nodes = v.nodes;
        if (del.length) p.delete = del.join(',');
        return api.put(`/storage/${encodeURIComponent(storage.storage)}`, p);
      }
      const p = { storage: v.storage.trim(), type, content };
      for (const f of t.fields) p[f.name] = v[f.name].trim();
      for (const k of Object.keys(flags)) if (flags[k]) p[k] = 1;
      if (type === 'nfs') p.path = `/mnt/pve/${p.storage}`;
      if (v.nodes) p.nodes = v.nodes;
      return api.post('/storage', p);
    }} />`;
}

export function StorageList() {
  const load = useLoad(() => api.get('/storage'), [], 10000);
  const [sel, setSel] = useState(null);
  const [dlg, setDlg] = useState(null);
  const [error, setError] = useState(null);
  const selected = sel && load.data && load.data.find(s => s.storage === sel);
  const close = changed => { setDlg(null); if (changed) load.reload(); };
  const remove = async () => {
    setDlg(null);
    setError(null);
    try { await api.del(`/storage/${encodeURIComponent(sel)}`); setSel(null); load.reload(); } catch (e) { setError(e); }
  };
  return html`<div>
    <div class="toolbar">
      <select id="storage-add" value="" disabled=${!api.can('storage', 'Datastore.Allocate')} onChange=${e => { if (e.target.value) setDlg({ add: e.target.value }); e.target.value = ''; }}>
        <option value="">Add…</option>
        ${Object.entries(STORAGE_TYPES).map(([k, t]) => html`<option value=${k}>${t.title}</option>`)}
      </select>
      <button type="button" data-action="edit" disabled=${!selected} onClick=${() => setDlg({ edit: selected })}>Edit</button>
      <button type="button" data-action="remove" disabled=${!selected} onClick=${() => setDlg({ remove: true })}>Remove</button>
    </div>
    <${ErrorBox} error=${error} />
    <${Loaded} load=${load}>${rows => html`<${Grid} name="storage-cfg" rows=${rows} rowKey=${s => s.storage} selected=${sel}
      onSelect=${s => setSel(s.storage)} onOpen=${s => { setSel(s.storage); setDlg({ edit: s }); }} columns=${[
      { key: 'storage', title: 'ID' },
      { key: 'type', title: 'Type' },
      { key: 'content', title: 'Content', render: s => (s.content || '').split(',').join(', ') },
      { key: 'path', title: 'Path/Target', render: s => s.path || s.export || s.vgname || s.pool || s.portal || '' },
      { key: 'shared', title: 'Shared', render: s => yesNo(s.shared || 0) },
      { key: 'disable', title: 'Enabled', render: s => (Number(s.disable) ? 'No' : 'Yes') },
      { key: 'nodes', title: 'Nodes', render: s => s.nodes || 'All' },
    ]} />`}<//>
    ${dlg && dlg.add && html`<${StorageDialog} type=${dlg.add} onClose=${close} />`}
    ${dlg && dlg.edit && html`<${StorageDialog} type=${dlg.edit.type} storage=${dlg.edit} onClose=${close} />`}
    ${dlg && dlg.remove && selected && html`<${Confirm} text=${`Remove storage ${selected.storage}? (The data on it stays.)`} onYes=${remove} onNo=${() => setDlg(null)} />`}
  </div>`;
}

/**
 * A list with Add / Edit / Remove: dialogs(kind, row, close) renders the dialog for 'add' or 'edit';
 * remove(row) deletes; reloads after every change.
 */
export function CrudList({ name, load, columns, rowKey, dialogs, remove, removeText, canEdit = true, extraTools, allowed = true }) {
  const [sel, setSel] = useState(null);
  const [dlg, setDlg] = useState(null);
  const [error, setError] = useState(null);
  const close = changed => { setDlg(null); if (changed) load.reload(); };
  const doRemove = async () => {
    setDlg(null);
    setError(null);
    try { await remove(sel); setSel(null); load.reload(); } catch (e) { setError(e); }
  };
  const selected = sel && load.data && load.data.find(r => rowKey(r) === rowKey(sel));
  return html`<div>
    <div class="toolbar">
      <button type="button" data-action="add" disabled=${!allowed} onClick=${() => setDlg('add')}>Add</button>
      ${canEdit && html`<button type="button" data-action="edit" disabled=${!selected || !allowed} onClick=${() => setDlg('edit')}>Edit</button>`}
      <button type="button" data-action="remove" disabled=${!selected || !allowed} onClick=${() => setDlg('remove')}>Remove</button>
      ${extraTools && extraTools(selected, setDlg)}
    </div>
    <${ErrorBox} error=${error} />
    <${Loaded} load=${load}>${rows => html`<${Grid} name=${name} rows=${rows} rowKey=${rowKey} columns=${columns}
      selected=${selected ? rowKey(selected) : undefined} onSelect=${setSel} onOpen=${r => { if (canEdit && allowed) { setSel(r); setDlg('edit'); } }} />`}<//>
    ${dlg === 'remove' && selected && html`<${Confirm} text=${removeText(selected)} onYes=${doRemove} onNo=${() => setDlg(null)} />`}
    ${dlg && dlg !== 'remove' && dialogs(dlg, dlg === 'add' ? null : selected, close)}
  </div>`;
}

const enc = encodeURIComponent;

export function Users() {
  const load = useLoad(() => api.get('/access/users', { full: 1 }), [], 10000);
  const realms = useLoad(() => api.get('/access/domains'), [], 0);
  const groups = useLoad(() => api.get('/access/groups'), [], 0);
  const groupOpts = (groups.data || []).map(g => g.groupid).join(', ');
  const dialogs = (kind, u, close) => {
    if (kind === 'password') {
      return html`<${EditDialog} title=${`Change password: ${u.userid}`} name="user-password" onClose=${close}
        fields=${[{ name: 'password', label: 'Password', type: 'password', required: true }, { name: 'confirm', label: 'Confirm password', type: 'password', required: true }]}
        validate=${v => (v.confirm && v.password !== v.confirm ? { confirm: 'Passwords do not match' } : {})}
        onSubmit=${v => api.put('/access/password', { userid: u.userid, password: v.password })} />`;
    }
    const add = kind === 'add';
    const realmOpts = (realms.data || [{ realm: 'pve' }, { realm: 'pam' }]).map(r => [r.realm, r.realm]);
    const fields = [
      { name: 'name', label: 'User name', required: true, disabled: !add },
      { name: 'realm', label: 'Realm', type: 'select', options: realmOpts, disabled: !add },
      ...(add ? [{ name: 'password', label: 'Password', type: 'password' }, { name: 'confirm', label: 'Confirm password', type: 'password' }] : []),
      { name: 'groups', label: 'Groups', placeholder: groupOpts ? `e.g. ${groupOpts}` : 'comma separated' },
      { name: 'expire', label: 'Expire (date)', type: 'date' },
      { name: 'enable', label: 'Enabled', type: 'checkbox' },
      { name: 'firstname', label: 'First Name' }, { name: 'lastname', label: 'Last Name' }, { name: 'email', label: 'E-Mail' },
      { name: 'comment', label: 'Comment' },
    ];
    const initial = add ? { realm: 'pve', enable: true } : {
      name: u.userid.replace(/@[^@]*$/, ''), realm: u.userid.split('@').pop(), enable: u.enable === undefined ? true : !!Number(u.enable),
      groups: Array.isArray(u.groups) ? u.groups.join(',') : (u.groups || ''), expire: Number(u.expire) ? formatTime(u.expire).slice(0, 10) : '',
      firstname: u.firstname || '', lastname: u.lastname || '', email: u.email || '', comment: u.comment || '',
    };
    return html`<${EditDialog} title=${add ? 'Add: User' : `Edit: User ${u.userid}`} name="user-edit" fields=${fields} initial=${initial} onClose=${close}
      validate=${v => (add && v.password !== v.confirm ? { confirm: 'Passwords do not match' } : {})}
      onSubmit=${v => {
        const p = {
          groups: v.groups.replace(/\s+/g, ''), enable: v.enable ? 1 : 0,
          expire: v.expire ? Math.floor(Date.parse(`${v.expire}T00:00:00`) / 1000) : 0,
          firstname: v.firstname, lastname: v.lastname, email: v.email, comment: v.comment,
        };
        if (add) return api.post('/access/users', nonEmpty({ userid: `${v.name.trim()}@${v.realm}`, password: v.password || undefined, ...p }));
        return api.put(`/access/users/${enc(u.userid)}`, p);
      }} />`;
  };
  return html`<${CrudList} name="users" allowed=${api.can('access', 'User.Modify')} load=${load} rowKey=${u => u.userid} dialogs=${dialogs}
    remove=${u => api.del(`/access/users/${enc(u.userid)}`)} removeText=${u => `Remove user ${u.userid}?`}
    extraTools=${(u, setDlg) => html`<button type="button" data-action="password" disabled=${!u || !/@pve$/.test(u.userid)} onClick=${() => setDlg('password')}>Password</button>`}
    columns=${[
      { key: 'userid', title: 'User name' },
      { key: 'realm-type', title: 'Realm', render: u => u.userid.split('@').pop() },
      { key: 'enable', title: 'Enabled', render: u => yesNo(u.enable === undefined ? 1 : u.enable) },
      { key: 'expire', title: 'Expire', render: u => (Number(u.expire) ? formatTime(u.expire).slice(0, 10) : 'never') },
      { key: 'name', title: 'Name', render: u => [u.firstname, u.lastname].filter(Boolean).join(' ') },
      { key: 'groups', title: 'Groups', render: u => (Array.isArray(u.groups) ? u.groups.join(', ') : u.groups || '') },
      { key: 'comment', title: 'Comment' },
    ]} />`;
}

export function Groups() {
  const load = useLoad(() => api.get('/access/groups'), [], 10000);
  const dialogs = (kind, g, close) => html`<${EditDialog} title=${g ? `Edit: Group ${g.groupid}` : 'Add: Group'} name="group-edit" onClose=${close}
    fields=${[{ name: 'groupid', label: 'Name', required: true, disabled: !!g }, { name: 'comment', label: 'Comment' }]}
    initial=${g ? { groupid: g.groupid, comment: g.comment || '' } : {}}
    onSubmit=${v => (g ? api.put(`/access/groups/${enc(g.groupid)}`, { comment: v.comment })
      : api.post('/access/groups', nonEmpty({ groupid: v.groupid.trim(), comment: v.comment })))} />`;
  return html`<${CrudList} name="groups" allowed=${api.can('access', 'Group.Allocate')} load=${load} rowKey=${g => g.groupid} dialogs=${dialogs}
    remove=${g => api.del(`/access/groups/${enc(g.groupid)}`)} removeText=${g => `Remove group ${g.groupid}?`} columns=${[
      { key: 'groupid', title: 'Name' },
      { key: 'users', title: 'Users', render: g => (g.users || '').split(',').filter(Boolean).join(', ') },
      { key: 'comment', title: 'Comment' },
    ]} />`;
}

export function Roles() {
  const load = useLoad(() => api.get('/access/roles').then(rows => [...rows].sort((a, b) => a.roleid.localeCompare(b.roleid))), [], 30000);
  const dialogs = (kind, r, close) => html`<${EditDialog} title=${r ? `Edit: Role ${r.roleid}` : 'Add: Role'} name="role-edit" onClose=${close}
    fields=${[{ name: 'roleid', label: 'Name', required: true, disabled: !!r }, { name: 'privs', label: 'Privileges', type: 'textarea' }]}
    initial=${r ? { roleid: r.roleid, privs: (r.privs || '').split(',').join(' ') } : {}}
    onSubmit=${v => {
      const privs = v.privs.split(/[\s,]+/).filter(Boolean).join(',');
      return r ? api.put(`/access/roles/${enc(r.roleid)}`, { privs }) : api.post('/access/roles', nonEmpty({ roleid: v.roleid.trim(), privs }));
    }} />`;
  return html`<${CrudList} name="roles" allowed=${api.can('dc', 'Sys.Modify')} load=${load} rowKey=${r => r.roleid} dialogs=${dialogs}
    remove=${r => api.del(`/access/roles/${enc(r.roleid)}`)} removeText=${r => `Remove role ${r.roleid}?`} columns=${[
      { key: 'roleid', title: 'Name', width: '14em' },
      { key: 'special', title: 'Built-In', width: '6em', render: r => yesNo(r.special || 0) },
      { key: 'privs', title: 'Privileges', render: r => html`<span class="privs">${(r.privs || '').split(',').join(' ')}</span>` },
    ]} />`;
}

export function Acl() {
  const load = useLoad(() => api.get('/access/acl').then(rows => [...rows].sort((a, b) => a.path.localeCompare(b.path) || a.ugid.localeCompare(b.ugid))), [], 10000);
  const roles = useLoad(() => api.get('/access/roles'), [], 0);
  const key = a => `${a.path}|${a.type}|${a.ugid}|${a.roleid}`;
  const target = a => (a.type === 'group' ? { groups: a.ugid } : a.type === 'token' ? { tokens: a.ugid } : { users: a.ugid });
  const dialogs = (kind, a, close) => html`<${EditDialog} title="Add: Permission" name="acl-edit" onClose=${close}
    fields=${[
      { name: 'path', label: 'Path', required: true, placeholder: '/vms/100' },
      { name: 'type', label: 'Type', type: 'select', options: [['user', 'User'], ['group', 'Group'], ['token', 'API Token']] },
      { name: 'ugid', label: 'User/Group/Token', required: true, placeholder: 'user@pve, group or user@pve!token' },
      { name: 'roleid', label: 'Role', type: 'select', options: ((roles.data || []).map(r => r.roleid).sort()).map(r => [r, r]) },
      { name: 'propagate', label: 'Propagate', type: 'checkbox' },
    ]}
    initial=${{ path: '/', type: 'user', roleid: 'PVEAuditor', propagate: true }}
    onSubmit=${v => api.put('/access/acl', { path: v.path.trim(), roles: v.roleid, propagate: v.propagate ? 1 : 0, ...target({ type: v.type, ugid: v.ugid.trim() }) })} />`;
  return html`<${CrudList} name="acl" allowed=${api.can('access', 'Permissions.Modify')} load=${load} rowKey=${key} dialogs=${dialogs} canEdit=${false}
    remove=${a => api.put('/access/acl', { path: a.path, roles: a.roleid, delete: 1, ...target(a) })}
    removeText=${a => `Remove permission ${a.roleid} for ${a.ugid} on ${a.path}?`} columns=${[
      { key: 'path', title: 'Path' },
      { key: 'ugid', title: 'User/Group/API Token', render: a => (a.type === 'group' ? `@${a.ugid}` : a.ugid) },
      { key: 'roleid', title: 'Role' },
      { key: 'propagate', title: 'Propagate', render: a => yesNo(a.propagate) },
    ]} />`;
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

export function Pools() {
  const load = useLoad(() => api.get('/pools'), [], 10000);
  const dialogs = (kind, p, close) => html`<${EditDialog} title=${p ? `Edit: Pool ${p.poolid}` : 'Add: Pool'} name="pool-edit" onClose=${close}
    fields=${[{ name: 'poolid', label: 'Name', required: true, disabled: !!p }, { name: 'comment', label: 'Comment' },
      ...(p ? [{ name: 'vms', label: 'Add VMs (IDs)', placeholder: '100,101' }] : [])]}
    initial=${p ? { poolid: p.poolid, comment: p.comment || '' } : {}}
    onSubmit=${v => (p ? api.put('/pools', nonEmpty({ poolid: p.poolid, comment: v.comment, vms: v.vms.replace(/\s+/g, '') }, ['comment']))
      : api.post('/pools', nonEmpty({ poolid: v.poolid.trim(), comment: v.comment })))} />`;
  return html`<${CrudList} name="pools" load=${load} rowKey=${p => p.poolid} dialogs=${dialogs}
    remove=${p => api.del('/pools', { poolid: p.poolid })} removeText=${p => `Remove pool ${p.poolid}?`} columns=${[
      { key: 'poolid', title: 'Name' },
      { key: 'comment', title: 'Comment' },
    ]} />`;
}

/** Base64 join information as PVE's "Join Information" dialog shows it. */
function joinInfoText(j) {
  const nodes = j.nodelist || [];
  const me = nodes.find(n => n.name === j.preferred_node) || nodes[0] || {};
  const info = { ipAddress: me.pve_addr || me.ring0_addr, fingerprint: me.pve_fp, peerLinks: { 0: me.ring0_addr }, ring_addr: [me.ring0_addr], totem: j.totem };
  return btoa(JSON.stringify(info));
}

export function Cluster() {
  const nodes = useLoad(() => api.get('/cluster/config/nodes'), [], 10000);
  const status = useLoad(() => api.get('/cluster/status'), [], 10000);
  const [dlg, setDlg] = useState(null);
  const [info, setInfo] = useState(null);
  const cl = (status.data || []).find(e => e.type === 'cluster');
  const showJoin = async () => {
    try { setInfo({ text: joinInfoText(await api.get('/cluster/config/join')) }); } catch (e) { setInfo({ error: e }); }
    setDlg('info');
  };
  const close = changed => { setDlg(null); if (changed) { nodes.reload(); status.reload(); } };
  const taskOf = upid => { if (typeof upid === 'string' && upid.startsWith('UPID:')) S.openTask(S.nodes.value[0], upid); };
  return html`<div>
    <div class="toolbar">
      <button type="button" data-action="create-cluster" disabled=${!!cl} onClick=${() => setDlg('create')}>Create Cluster</button>
      <button type="button" data-action="join-info" disabled=${!cl} onClick=${showJoin}>Join Information</button>
      <button type="button" data-action="join-cluster" disabled=${!!cl} onClick=${() => setDlg('join')}>Join Cluster</button>
    </div>
    <div class="box"><${KeyValue} name="cluster-info" rows=${[
      ['Cluster', cl ? cl.name : 'Standalone node - no cluster defined'],
      cl ? ['Quorate', yesNo(cl.quorate)] : null,
      cl ? ['Nodes', String(cl.nodes)] : null,
    ]} /></div>
    ${cl && html`<h3>Cluster Nodes</h3><${Loaded} load=${nodes}>${rows => html`<${Grid} name="cluster-nodes" rows=${rows} rowKey=${n => n.name} columns=${[
      { key: 'name', title: 'Nodename' }, { key: 'nodeid', title: 'ID' }, { key: 'quorum_votes', title: 'Votes' },
      { key: 'ring0_addr', title: 'Link 0' },
    ]} />`}<//>`}
    ${dlg === 'create' && html`<${EditDialog} title="Create Cluster" name="cluster-create" submitText="Create" onClose=${close}
      fields=${[{ name: 'clustername', label: 'Cluster Name', required: true }, { name: 'link0', label: 'Cluster Network (link0)', placeholder: 'address of this node' }]}
      onSubmit=${v => api.post('/cluster/config', nonEmpty({ clustername: v.clustername.trim(), link0: v.link0 })).then(taskOf)} />`}
    ${dlg === 'join' && html`<${EditDialog} title="Cluster Join" name="cluster-join" submitText="Join" onClose=${close}
      fields=${[{ name: 'information', label: 'Information', type: 'textarea', required: true },
        { name: 'password', label: 'Peer password (root@pam)', type: 'password', required: true }, { name: 'link0', label: 'Link 0 address' }]}
      validate=${v => { if (!v.information) return {}; try { JSON.parse(atob(v.information.trim())); return {}; } catch (e) { return { information: 'invalid join information' }; } }}
      onSubmit=${v => {
        const j = JSON.parse(atob(v.information.trim()));
        return api.post('/cluster/config/join', nonEmpty({ hostname: j.ipAddress, fingerprint: j.fingerprint, password: v.password, link0: v.link0 })).then(taskOf);
      }} />`}
    ${dlg === 'info' && info && html`<${Modal} title="Cluster Join Information" onClose=${() => setDlg(null)} name="cluster-join-info">
      ${info.error ? html`<${ErrorBox} error=${info.error} />` : html`<p>Copy the Join Information here and use it on the node you want to add.</p>
        <textarea readonly rows="6" style="width:100%" id="join-information">${info.text}</textarea>`}
    <//>`}
  </div>`;
}
