// Client of /api2/json: ticket cookie + CSRFPreventionToken header, form-encoded bodies, PVE error shapes,
// a hook for 401 (the UI shows the login dialog again).

/** Error of an API call: HTTP status, PVE message and per-parameter errors. */
export class ApiError extends Error {
  constructor(status, message, errors) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.errors = errors || null;
  }
  /** "message" plus "param: error" lines, as PVE dialogs show them. */
  get details() {
    const lines = [this.message.trim()];
    if (this.errors) for (const [k, v] of Object.entries(this.errors)) lines.push(`${k}: ${String(v).trim()}`);
    return lines.join('\n');
  }
}

/** application/x-www-form-urlencoded body: arrays repeat the key, booleans become 1/0, null/undefined are left out. */
export function encodeParams(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null) continue;
    for (const x of Array.isArray(v) ? v : [v]) {
      const s = typeof x === 'boolean' ? (x ? '1' : '0') : String(x);
      parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(s)}`);
    }
  }
  return parts.join('&');
}

/** The path with each {name} replaced by the URL-encoded value. */
export function apiPath(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => {
    if (values[k] === undefined) throw new Error(`missing path parameter ${k}`);
    return encodeURIComponent(values[k]);
  });
}

/** The user id for a login form: "name" + "@realm" unless the name already carries a realm. */
export function loginUser(username, realm) {
  const u = (username || '').trim();
  if (!realm || u.includes('@')) return u;
  return `${u}@${realm}`;
}

const STORE = 'haven-login';
const state = { csrf: null, username: null, cap: null, onUnauthorized: null };

export const session = {
  get username() { return state.username; },
  get csrf() { return state.csrf; },
  /** Called with the failed request's error when the server answers 401. */
  set onUnauthorized(fn) { state.onUnauthorized = fn; },
};

function setCookie(ticket) {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `PVEAuthCookie=${encodeURIComponent(ticket)}; path=/; SameSite=Strict${secure}`;
}

function ticketCookie() {
  for (const c of document.cookie.split(';')) {
    const [k, ...v] = c.trim().split('=');
    if (k === 'PVEAuthCookie') return decodeURIComponent(v.join('='));
  }
  return null;
}

function remember(data) {
  state.username = data.username;
  state.csrf = data.CSRFPreventionToken;
  state.cap = data.cap || null;
  setCookie(data.ticket);
  try { sessionStorage.setItem(STORE, JSON.stringify({ username: state.username, csrf: state.csrf })); } catch (e) { /* private mode */ }
}

/**
 * Whether the ticket's capabilities (PVE's "cap": privileges the user has somewhere below /vms, /storage,
 * /access, /nodes, /dc …) include priv; true when the server sent none. A hint for the UI only.
 */
export function can(group, priv) {
  return hasCap(state.cap, group, priv);
}

/** Pure form of {@link can}. */
export function hasCap(cap, group, priv) {
  if (!cap) return true;
  return !!(cap[group] && Number(cap[group][priv]));
}

/** Send a request; resolves to the "data" member, rejects with ApiError. */
export async function request(method, path, params) {
  const opts = { method, headers: {}, credentials: 'same-origin' };
  let url = `/api2/json${path}`;
  const body = encodeParams(params);
  if (method === 'GET' || method === 'DELETE') {
    if (body) url += `?${body}`;
  } else {
    opts.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    opts.body = body;
  }
  if (method !== 'GET' && state.csrf) opts.headers.CSRFPreventionToken = state.csrf;
  let res;
  try {
    res = await fetch(url, opts);
  } catch (e) {
    throw new ApiError(0, `Connection error: ${e.message}`);
  }
  let json = null;
  try { json = await res.json(); } catch (e) { /* not JSON */ }
  if (res.status === 401 && path !== '/access/ticket') {
    const err = new ApiError(401, (json && json.message) || 'authentication failure');
    if (state.onUnauthorized) state.onUnauthorized(err);
    throw err;
  }
  if (!res.ok) {
    const msg = (json && json.message) || res.statusText || `HTTP ${res.status}`;
    throw new ApiError(res.status, msg.trim(), json && json.errors);
  }
  return json ? json.data : null;
}

export const get = (path, params) => request('GET', path, params);
export const post = (path, params) => request('POST', path, params);
export const put = (path, params) => request('PUT', path, params);
export const del = (path, params) => request('DELETE', path, params);

/**
 * Log in; resolves to the ticket data (username, CSRFPreventionToken, cap…) or rejects with ApiError. For a
 * user with a second factor it resolves to {NeedTFA: 1, ticket: <partial ticket>, username}: complete it with
 * {@link loginSecondFactor}.
 */
export async function login(username, password, realm) {
  const data = await post('/access/ticket', { username: loginUser(username, realm), password });
  if (data && data.NeedTFA) return data;
  remember(data);
  return data;
}

/** The second step of a TFA login: kind 'totp' or 'recovery', answered against the partial ticket. */
export async function loginSecondFactor(username, challenge, kind, value) {
  const data = await post('/access/ticket', { username, 'tfa-challenge': challenge, password: `${kind}:${value.trim()}` });
  remember(data);
  return data;
}

/**
 * Resume a session after a reload: renew the ticket in the cookie (PVE accepts a ticket as password) and
 * get a fresh CSRF token; resolves to the user name or null.
 */
export async function resume() {
  const ticket = ticketCookie();
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(STORE) || 'null'); } catch (e) { /* ignore */ }
  const username = (saved && saved.username) || ticketUser(ticket);
  if (!ticket || !username) return null;
  try {
    const data = await post('/access/ticket', { username, password: ticket });
    remember(data);
    return data.username;
  } catch (e) {
    return null;
  }
}

/** The user id inside a PVE ticket "PVE:<userid>:<hex time>::<signature>" (null when it is none). */
export function ticketUser(ticket) {
  const m = /^PVE:([^:]+@[^:]+):[0-9A-F]{8}::/.exec(ticket || '');
  return m ? m[1] : null;
}

/** Forget the ticket (cookie and stored CSRF token). */
export function logout() {
  document.cookie = 'PVEAuthCookie=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Strict';
  try { sessionStorage.removeItem(STORE); } catch (e) { /* ignore */ }
  state.csrf = null;
  state.username = null;
  state.cap = null;
}

/** Poll a task's status until it stops; resolves to the final status object. */
export async function waitTask(node, upid, intervalMs = 1000) {
  for (;;) {
    const st = await get(`/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}/status`);
    if (st.status !== 'running') return st;
    await new Promise(r => setTimeout(r, intervalMs));
  }
}
