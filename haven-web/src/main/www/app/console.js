// Consoles: noVNC over …/vncproxy + …/vncwebsocket, and xterm.js over …/termproxy (PVE's termproxy protocol).
import { useEffect, useRef, useState } from 'preact/hooks';
import { html, ErrorBox } from 'app/ui.js';
import * as api from 'app/api.js';
import { termInput, termResize, termAuth, TERM_PING } from 'app/termproto.js';

function wsUrl(path, params) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api2/json${path}?${api.encodeParams(params)}`;
}

/** VNC console: base is "/nodes/{node}/qemu/{vmid}". */
export function VncConsole({ base, active }) {
  const el = useRef(null);
  const [error, setError] = useState(null);
  const [state, setState] = useState('connecting');
  useEffect(() => {
    if (!active) return undefined;
    let rfb = null;
    let gone = false;
    (async () => {
      try {
        const proxy = await api.post(`${base}/vncproxy`, { websocket: 1 });
        const { default: RFB } = await import('@novnc/novnc');
        if (gone) return;
        rfb = new RFB(el.current, wsUrl(`${base}/vncwebsocket`, { port: proxy.port, vncticket: proxy.ticket }),
          { credentials: { password: proxy.ticket }, wsProtocols: ['binary'] });
        rfb.scaleViewport = true;
        rfb.addEventListener('connect', () => setState('connected'));
        rfb.addEventListener('disconnect', e => setState(e.detail && e.detail.clean ? 'disconnected' : 'connection failed'));
        rfb.addEventListener('credentialsrequired', () => rfb.sendCredentials({ password: proxy.ticket }));
      } catch (e) {
        if (!gone) setError(e);
      }
    })();
    return () => { gone = true; if (rfb) rfb.disconnect(); };
  }, [base, active]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  return html`<div class="console-wrap"><div class="console-state" id="console-state" data-state=${state}>${state}</div><div class="vnc" ref=${el}></div></div>`;
}

/** xterm.js console: base is "/nodes/{node}" (node shell) or "/nodes/{node}/qemu/{vmid}" (serial). */
export function TermConsole({ base, active, params }) {
  const el = useRef(null);
  const [error, setError] = useState(null);
  const [state, setState] = useState('connecting');
  useEffect(() => {
    if (!active) return undefined;
    let ws = null;
    let term = null;
    let ping = null;
    let gone = false;
    (async () => {
      try {
        const proxy = await api.post(`${base}/termproxy`, params || {});
        const [{ Terminal }, { FitAddon }] = await Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]);
        if (gone) return;
        term = new Terminal({ cursorBlink: true, fontSize: 14 });
        const fit = new FitAddon();
        term.loadAddon(fit);
        term.open(el.current);
        fit.fit();
        ws = new WebSocket(wsUrl(`${base}/vncwebsocket`, { port: proxy.port, vncticket: proxy.ticket }), 'binary');
        ws.binaryType = 'arraybuffer';
        let authed = false;
        ws.onopen = () => ws.send(termAuth(proxy.user, proxy.ticket));
        ws.onmessage = ev => {
          const data = typeof ev.data === 'string' ? ev.data : new Uint8Array(ev.data);
          if (!authed) {
            const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
            if (text.startsWith('OK')) {
              authed = true;
              setState('connected');
              ws.send(termResize(term.cols, term.rows));
              if (text.length > 2) term.write(text.slice(2));
            } else { setState('authentication failed'); ws.close(); }
            return;
          }
          term.write(data);
        };
        ws.onclose = () => setState('disconnected');
        term.onData(d => { if (authed && ws.readyState === 1) ws.send(termInput(d)); });
        term.onResize(({ cols, rows }) => { if (authed && ws.readyState === 1) ws.send(termResize(cols, rows)); });
        ping = setInterval(() => { if (ws.readyState === 1) ws.send(TERM_PING); }, 30000);
      } catch (e) {
        if (!gone) setError(e);
      }
    })();
    return () => { gone = true; if (ping) clearInterval(ping); if (ws) ws.close(); if (term) term.dispose(); };
  }, [base, active, JSON.stringify(params || {})]);
  if (error) return html`<${ErrorBox} error=${error} />`;
  return html`<div class="console-wrap"><div class="console-state" id="console-state" data-state=${state}>${state}</div><div class="xterm-host" ref=${el}></div></div>`;
}
