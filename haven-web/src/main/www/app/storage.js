// Storage panels: summary (…/status) and content (…/content) with upload and removal.
import { useState } from 'preact/hooks';
import { html, Grid, KeyValue, Usage, useLoad, Loaded, Modal, Field, Confirm, ErrorBox } from 'app/ui.js';
import * as api from 'app/api.js';
import * as S from 'app/state.js';
import { formatBytes, formatTime } from 'app/format.js';

const base = r => `/nodes/${encodeURIComponent(r.node)}/storage/${encodeURIComponent(r.storage)}`;
const yesNo = v => (Number(v) ? 'Yes' : 'No');

const CONTENT_TITLES = {
  images: 'Disk image', rootdir: 'Container', iso: 'ISO image', vztmpl: 'Container template', backup: 'Backup',
  snippets: 'Snippets', import: 'Import',
};

export function StorageSummary({ res }) {
  const load = useLoad(() => api.get(`${base(res)}/status`), [res.node, res.storage], 5000);
  return html`<div class="summary"><div class="box wide"><h3>Status</h3>
    <${Loaded} load=${load}>${st => html`<${KeyValue} name="storage-status" rows=${[
      ['Enabled', yesNo(st.enabled === undefined ? 1 : st.enabled)],
      ['Active', yesNo(st.active)],
      ['Content', (st.content || '').split(',').map(c => CONTENT_TITLES[c] || c).join(', ')],
      ['Type', st.type],
      ['Shared', yesNo(st.shared)],
      ['Usage', html`<${Usage} used=${st.used} total=${st.total} />`],
    ]} />`}<//>
  </div></div>`;
}

function UploadDialog({ res, contentTypes, onClose }) {
  const [content, setContent] = useState(contentTypes[0] || 'iso');
  const [file, setFile] = useState(null);
  const [progress, setProgress] = useState(null);
  const [error, setError] = useState(null);
  const upload = e => {
    e.preventDefault();
    if (!file) return;
    const fd = new FormData();
    fd.append('content', content);
    fd.append('filename', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api2/json${base(res)}/upload`);
    if (api.session.csrf) xhr.setRequestHeader('CSRFPreventionToken', api.session.csrf);
    xhr.upload.onprogress = ev => { if (ev.lengthComputable) setProgress(ev.loaded / ev.total); };
    xhr.onload = () => {
      let json = null;
      try { json = JSON.parse(xhr.responseText); } catch (err) { /* not JSON */ }
      if (xhr.status === 200 && json) {
        onClose();
        if (typeof json.data === 'string' && json.data.startsWith('UPID:')) S.openTask(res.node, json.data);
      } else {
        setProgress(null);
        setError(new api.ApiError(xhr.status, (json && json.message) || xhr.statusText, json && json.errors));
      }
    };
    xhr.onerror = () => { setProgress(null); setError(new api.ApiError(0, 'Connection error')); };
    setProgress(0);
    xhr.send(fd);
  };
  return html`<${Modal} title="Upload" onClose=${onClose} name="upload">
    <form class="form" onSubmit=${upload}>
      <${Field} label="Content"><select value=${content} onChange=${e => setContent(e.target.value)}>
        ${contentTypes.map(c => html`<option value=${c} selected=${c === content}>${CONTENT_TITLES[c] || c}</option>`)}</select><//>
      <${Field} label="File"><input type="file" name="filename" onChange=${e => setFile(e.target.files[0] || null)} /><//>
      ${file && html`<div class="hint">${file.name}, ${formatBytes(file.size)}</div>`}
      ${progress !== null && html`<${Usage} ratio=${progress} />`}
      <${ErrorBox} error=${error} />
      <div class="buttons"><button type="submit" class="primary" disabled=${!file || progress !== null}>Upload</button></div>
    </form>
  <//>`;
}

export function StorageContent({ res }) {
  const [filter, setFilter] = useState('');
  const [sel, setSel] = useState(null);
  const [dlg, setDlg] = useState(null);
  const [error, setError] = useState(null);
  const load = useLoad(() => api.get(`${base(res)}/content`, filter ? { content: filter } : {}), [res.node, res.storage, filter], 10000);
  const contentTypes = (res.content || 'iso,vztmpl').split(',').filter(c => ['iso', 'vztmpl', 'import'].includes(c));
  const remove = async () => {
    setDlg(null);
    setError(null);
    try {
      const r = await api.del(`${base(res)}/content/${encodeURIComponent(sel.volid)}`);
      if (typeof r === 'string' && r.startsWith('UPID:')) S.openTask(res.node, r);
      setSel(null);
      load.reload();
    } catch (e) { setError(e); }
  };
  return html`<div>
    <div class="toolbar">
      <button type="button" id="storage-upload" disabled=${contentTypes.length === 0} onClick=${() => setDlg('upload')}>Upload</button>
      <button type="button" id="storage-remove" disabled=${!sel} onClick=${() => setDlg('remove')}>Remove</button>
      <span class="spacer"></span>
      <select value=${filter} onChange=${e => setFilter(e.target.value)}>
        <option value="">All content</option>
        ${(res.content || '').split(',').filter(Boolean).map(c => html`<option value=${c} selected=${c === filter}>${CONTENT_TITLES[c] || c}</option>`)}
      </select>
    </div>
    <${ErrorBox} error=${error} />
    <${Loaded} load=${load}>${rows => html`<${Grid} name="storage-content" rows=${[...rows].sort((a, b) => a.volid.localeCompare(b.volid))}
      rowKey=${v => v.volid} selected=${sel && sel.volid} onSelect=${setSel} columns=${[
        { key: 'volid', title: 'Name', render: v => v.volid.replace(/^[^:]+:/, '') },
        { key: 'ctime', title: 'Date', width: '11em', render: v => formatTime(v.ctime) },
        { key: 'format', title: 'Format', width: '6em' },
        { key: 'content', title: 'Type', width: '10em', render: v => CONTENT_TITLES[v.content] || v.content },
        { key: 'size', title: 'Size', width: '8em', align: 'right', render: v => formatBytes(v.size) },
        { key: 'vmid', title: 'VMID', width: '5em' },
      ]} empty="No content" />`}<//>
    ${dlg === 'upload' && html`<${UploadDialog} res=${res} contentTypes=${contentTypes} onClose=${() => { setDlg(null); load.reload(); }} />`}
    ${dlg === 'remove' && sel && html`<${Confirm} text=${`Remove ${sel.volid}?`} onYes=${remove} onNo=${() => setDlg(null)} />`}
  </div>`;
}
