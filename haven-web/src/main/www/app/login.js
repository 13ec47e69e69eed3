// The login dialog: user name, password, realm (from GET /access/domains), optional second factor.
import { useState, useEffect, useRef } from 'preact/hooks';
import { html, Modal, Field } from 'app/ui.js';
import * as api from 'app/api.js';

const FALLBACK_REALMS = [
  { realm: 'pam', comment: 'Linux PAM standard authentication', type: 'pam' },
  { realm: 'pve', comment: 'Haven authentication server', type: 'pve' },
];

export function LoginDialog({ onLogin }) {
  const [realms, setRealms] = useState(FALLBACK_REALMS);
  const [username, setUsername] = useState(localStorage.getItem('haven-last-user') || '');
  const [password, setPassword] = useState('');
  const [realm, setRealm] = useState(localStorage.getItem('haven-last-realm') || 'pam');
  const [otp, setOtp] = useState('');
  const [otpKind, setOtpKind] = useState('totp');
  const [tfa, setTfa] = useState(null);       // {ticket, username} of a login waiting for its second factor
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const realmChosen = useRef(false);   // the user picked a realm: the server's default must not replace it

  useEffect(() => {
    api.get('/access/domains').then(list => {
      if (!Array.isArray(list) || list.length === 0) return;
      list.sort((a, b) => (b.default ? 1 : 0) - (a.default ? 1 : 0) || a.realm.localeCompare(b.realm));
      setRealms(list);
      if (!localStorage.getItem('haven-last-realm') && !realmChosen.current) {
        const def = list.find(r => r.default) || list.find(r => r.realm === 'pam') || list[0];
        setRealm(def.realm);
      }
    }, () => { /* keep the built-in list */ });
  }, []);

  const submit = async e => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const data = tfa
        ? await api.loginSecondFactor(tfa.username, tfa.ticket, otpKind, otp)
        : await api.login(username, password, realm);
      if (data && data.NeedTFA) { setTfa({ ticket: data.ticket, username: data.username }); setBusy(false); return; }
      localStorage.setItem('haven-last-user', username);
      localStorage.setItem('haven-last-realm', realm);
      onLogin(data.username);
    } catch (err) {
      setError(err.status === 401 ? 'Login failed. Please try again' : err.details || err.message);
      if (tfa) { setTfa(null); setOtp(''); }
      setBusy(false);
    }
  };

  return html`<${Modal} title="Haven VE Login" name="login">
    <form class="form" id="login-form" onSubmit=${submit}>
      <${Field} label="User name"><input name="username" autocomplete="username" autofocus required value=${username}
          onInput=${e => setUsername(e.target.value)} /><//>
      <${Field} label="Password"><input name="password" type="password" autocomplete="current-password" required value=${password}
          onInput=${e => setPassword(e.target.value)} /><//>
      <${Field} label="Realm"><select name="realm" value=${realm} onChange=${e => { realmChosen.current = true; setRealm(e.target.value); }}>
          ${realms.map(r => html`<option value=${r.realm} selected=${r.realm === realm}>${r.comment || r.realm}${r.comment ? ` (${r.realm})` : ''}</option>`)}
        </select><//>
      ${tfa && html`<div class="hint">Second login factor required for ${tfa.username}.</div>
        <${Field} label="Factor"><select name="otpkind" value=${otpKind} onChange=${e => setOtpKind(e.target.value)}>
          <option value="totp">TOTP app</option><option value="recovery" selected=${otpKind === 'recovery'}>Recovery key</option></select><//>
        <${Field} label="Code"><input name="otp" autocomplete="one-time-code" autofocus required value=${otp}
          onInput=${e => setOtp(e.target.value)} /><//>`}
      ${error && html`<div class="error-box" role="alert" id="login-error">${error}</div>`}
      <div class="buttons"><button type="submit" class="primary" id="login-submit" disabled=${busy}>Login</button></div>
    </form>
  <//>`;
}
