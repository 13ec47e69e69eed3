// Small shared widgets: grid, tabs, modal, form fields, usage bars, error boxes, a loader hook.
import { html } from 'htm/preact';
import { useEffect, useState, useCallback, useRef } from 'preact/hooks';
import { formatBytes, percent } from 'app/format.js';

export { html };

/**
 * Load data with an async function; reloads when deps change and every refreshMs (if given).
 * Returns {data, error, loading, reload}. A 501 (method not there on this server) yields error.status 501.
 */
export function useLoad(fn, deps, refreshMs) {
  const [st, setSt] = useState({ data: null, error: null, loading: true });
  const gen = useRef(0);
  const reload = useCallback(() => {
    const my = ++gen.current;
    return fn().then(
      data => { if (my === gen.current) setSt({ data, error: null, loading: false }); },
      error => { if (my === gen.current) setSt(s => ({ data: s.data, error, loading: false })); });
  }, deps);
  useEffect(() => {
    setSt({ data: null, error: null, loading: true });
    reload();
    if (!refreshMs) return () => { gen.current++; };
    const t = setInterval(reload, refreshMs);
    return () => { clearInterval(t); gen.current++; };
  }, deps);
  return { ...st, reload };
}

/** An error line; a 501 is shown as "not available" rather than a failure. */
export function ErrorBox({ error }) {
  if (!error) return null;
  if (error.status === 501) return html`<div class="notice">Not available on this server (${error.message}).</div>`;
  return html`<div class="error-box" role="alert">${error.details || error.message}</div>`;
}

/** Loading / error / content. */
export function Loaded({ load, children }) {
  if (load.error && !load.data) return html`<${ErrorBox} error=${load.error} />`;
  if (load.loading && !load.data) return html`<div class="loading">Loading…</div>`;
  return children(load.data);
}

/**
 * A table. columns: [{key, title, render?(row), width?, align?}]. rows: array. onSelect/onOpen(row) for
 * click and double-click; rowKey(row) for keys and selection; data-row attribute carries the key.
 */
export function Grid({ columns, rows, rowKey, selected, onSelect, onOpen, empty = 'No entries', name }) {
  const key = rowKey || ((r, i) => i);
  return html`<div class="grid-wrap"><table class="grid" data-grid=${name || ''}>
    <thead><tr>${columns.map(c => html`<th style=${c.width ? `width:${c.width}` : ''}>${c.title}</th>`)}</tr></thead>
    <tbody>${(rows || []).length === 0
      ? html`<tr class="empty"><td colspan=${columns.length}>${empty}</td></tr>`
      : rows.map((r, i) => {
        const k = key(r, i);
        return html`<tr key=${k} data-row=${k} class=${selected !== undefined && selected === k ? 'selected' : ''}
            onClick=${() => onSelect && onSelect(r)} onDblClick=${() => onOpen && onOpen(r)}>
          ${columns.map(c => html`<td class=${c.align ? `align-${c.align}` : ''}>${c.render ? c.render(r) : fmtCell(r[c.key])}</td>`)}
        </tr>`;
      })}</tbody>
  </table></div>`;
}

function fmtCell(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Key/value table for summaries. rows: [[label, value], …]. */
export function KeyValue({ rows, name }) {
  return html`<table class="kv" data-kv=${name || ''}>${rows.filter(Boolean).map(([k, v]) => html`<tr><th>${k}</th><td data-key=${k}>${v}</td></tr>`)}</table>`;
}

/** Horizontal usage bar with text. */
export function Usage({ used, total, ratio, label }) {
  const r = ratio !== undefined ? Number(ratio) : (total ? Number(used) / Number(total) : 0);
  const pct = Math.max(0, Math.min(1, r || 0));
  const text = label !== undefined ? label
    : total ? `${percent(pct)} (${formatBytes(used)} of ${formatBytes(total)})` : percent(pct);
  return html`<div class=${`usage ${pct > 0.9 ? 'high' : pct > 0.75 ? 'mid' : ''}`}><div class="bar" style=${`width:${(pct * 100).toFixed(1)}%`}></div><span>${text}</span></div>`;
}

/** Vertical navigation (PVE's per-object menu) + content. tabs: [{id, title, render()}]. */
export function NavTabs({ tabs, active, onChange }) {
  const cur = tabs.find(t => t.id === active) || tabs[0];
  return html`<div class="navtabs">
    <nav>${tabs.map(t => html`<a href="#" data-tab=${t.id} class=${t === cur ? 'active' : ''}
        onClick=${e => { e.preventDefault(); onChange(t.id); }}>${t.title}</a>`)}</nav>
    <section class="tab-body" data-tab-body=${cur.id}>${cur.render()}</section>
  </div>`;
}

/** Horizontal tabs inside dialogs. */
export function Tabs({ tabs, active, onChange }) {
  const cur = tabs.find(t => t.id === active) || tabs[0];
  return html`<div class="tabs">
    <div class="tabbar">${tabs.map(t => html`<button type="button" data-tab=${t.id} class=${t === cur ? 'active' : ''}
        disabled=${t.disabled} onClick=${() => onChange(t.id)}>${t.title}</button>`)}</div>
    <div class="tab-body" data-tab-body=${cur.id}>${cur.render()}</div>
  </div>`;
}

/** A modal dialog; onClose on Escape and on the close button. */
export function Modal({ title, onClose, children, wide, name }) {
  useEffect(() => {
    const k = e => { if (e.key === 'Escape' && onClose) onClose(); };
    window.addEventListener('keydown', k);
    return () => window.removeEventListener('keydown', k);
  }, [onClose]);
  return html`<div class="modal-back"><div class=${`modal ${wide ? 'wide' : ''}`} role="dialog" aria-label=${title} data-dialog=${name || ''}>
    <header><span>${title}</span>${onClose && html`<button type="button" class="close" title="Close" onClick=${onClose}>×</button>`}</header>
    <div class="modal-body">${children}</div>
  </div></div>`;
}

/** A labelled form row. */
export function Field({ label, children, error }) {
  return html`<label class=${`field ${error ? 'invalid' : ''}`}><span class="label">${label}</span><span class="input">${children}${error && html`<span class="field-error">${error}</span>`}</span></label>`;
}

/** A confirmation dialog as a promise-free component. */
export function Confirm({ text, onYes, onNo }) {
  return html`<${Modal} title="Confirm" onClose=${onNo} name="confirm">
    <p>${text}</p>
    <div class="buttons"><button type="button" class="primary" onClick=${onYes}>Yes</button><button type="button" onClick=${onNo}>No</button></div>
  <//>`;
}

/** Status icon span for a class such as 'qemu-running'. */
export const Icon = ({ cls, title }) => html`<span class=${`icon icon-${cls}`} title=${title || ''}></span>`;
