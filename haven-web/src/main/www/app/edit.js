// A generic edit dialog: field definitions in, submit through an API call, PVE field errors shown per field.
import { useState } from 'preact/hooks';
import { html, Modal, Field, ErrorBox } from 'app/ui.js';

/**
 * fields: [{name, label, type: 'text'|'password'|'number'|'checkbox'|'select'|'textarea', options: [[value, text]],
 * required, disabled, placeholder}]. onSubmit(values) returns a promise; it rejects with an ApiError whose
 * per-parameter errors appear next to the fields.
 */
export function EditDialog({ title, name, fields, initial, onSubmit, onClose, submitText = 'OK', validate }) {
  const [v, setV] = useState(() => {
    const o = {};
    for (const f of fields) o[f.name] = initial && initial[f.name] !== undefined ? initial[f.name] : (f.type === 'checkbox' ? false : (f.default ?? ''));
    return o;
  });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const local = validate ? validate(v) : {};
  const missing = fields.filter(f => f.required && !f.disabled && String(v[f.name] ?? '').trim() === '').map(f => f.name);
  const submit = async e => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit(v);
      onClose(true);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const set = (k, x) => setV(prev => ({ ...prev, [k]: x }));
  const fieldErr = k => local[k] || (error && error.errors && error.errors[k]);
  return html`<${Modal} title=${title} onClose=${() => onClose(false)} name=${name}>
    <form class="form" onSubmit=${submit}>
      ${fields.map(f => html`<${Field} label=${f.label} error=${fieldErr(f.name)}>${
        f.type === 'checkbox' ? html`<input type="checkbox" name=${f.name} checked=${!!v[f.name]} disabled=${f.disabled} onChange=${e => set(f.name, e.target.checked)} />`
        : f.type === 'select' ? html`<select name=${f.name} value=${v[f.name]} disabled=${f.disabled} onChange=${e => set(f.name, e.target.value)}>
            ${f.options.map(([val, text]) => html`<option value=${val} selected=${String(val) === String(v[f.name])}>${text}</option>`)}</select>`
        : f.type === 'textarea' ? html`<textarea name=${f.name} rows="4" disabled=${f.disabled} onInput=${e => set(f.name, e.target.value)}>${v[f.name]}</textarea>`
        : html`<input type=${f.type || 'text'} name=${f.name} value=${v[f.name]} placeholder=${f.placeholder || ''} disabled=${f.disabled}
            autocomplete=${f.type === 'password' ? 'new-password' : 'off'} onInput=${e => set(f.name, e.target.value)} />`
      }<//>`)}
      <${ErrorBox} error=${error && (!error.errors || error.status !== 400) ? error : error && { message: error.message }} />
      <div class="buttons"><button type="submit" class="primary" id="dialog-submit"
        disabled=${busy || missing.length > 0 || Object.keys(local).length > 0}>${submitText}</button></div>
    </form>
  <//>`;
}

/** Parameters with empty optional strings left out (PVE treats '' as a value). */
export function nonEmpty(values, keep = []) {
  const out = {};
  for (const [k, x] of Object.entries(values)) {
    if (typeof x === 'string' && x.trim() === '' && !keep.includes(k)) continue;
    out[k] = x;
  }
  return out;
}
