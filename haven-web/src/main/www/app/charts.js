// RRD graphs with uPlot from GET …/rrddata (timeframe hour|day|week|month|year, cf AVERAGE|MAX).
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { html, ErrorBox, useLoad } from 'app/ui.js';
import * as api from 'app/api.js';
import { formatBytes } from 'app/format.js';
import { toColumns } from 'app/rrd.js';

const COLORS = ['#2f7ed8', '#f28f43', '#0d233a', '#8bbc21', '#910000'];

function Chart({ title, rows, fields, labels, unit }) {
  const el = useRef(null);
  useEffect(() => {
    if (!el.current) return undefined;
    const fmt = v => (v === null || v === undefined ? '' : unit === 'bytes' ? formatBytes(v) : unit === 'percent' ? `${(v * 100).toFixed(1)}%` : Number(v).toFixed(2));
    const opts = {
      title, width: Math.max(300, el.current.clientWidth || 500), height: 200,
      series: [{}, ...fields.map((f, i) => ({ label: labels[i], stroke: COLORS[i % COLORS.length], fill: `${COLORS[i % COLORS.length]}22`, value: (u, v) => fmt(v) }))],
      axes: [{}, { values: (u, vals) => vals.map(fmt), size: 70 }],
    };
    const plot = new uPlot(opts, toColumns(rows, fields), el.current);
    return () => plot.destroy();
  }, [rows, title]);
  return html`<div class="chart" ref=${el}></div>`;
}

/** A set of graphs. graphs: [{title, fields, labels, unit}]. */
export function RrdGraphs({ path, graphs }) {
  const [timeframe, setTimeframe] = useState('hour');
  const [cf, setCf] = useState('AVERAGE');
  const load = useLoad(() => api.get(path, { timeframe, cf }), [path, timeframe, cf], 60000);
  return html`<div class="rrd">
    <div class="toolbar"><span class="spacer"></span>
      <select value=${timeframe} onChange=${e => setTimeframe(e.target.value)}>
        ${['hour', 'day', 'week', 'month', 'year'].map(t => html`<option value=${t} selected=${t === timeframe}>${t}</option>`)}</select>
      <select value=${cf} onChange=${e => setCf(e.target.value)}>
        ${['AVERAGE', 'MAX'].map(t => html`<option value=${t} selected=${t === cf}>${t === 'MAX' ? 'Maximum' : 'Average'}</option>`)}</select>
    </div>
    ${load.error ? html`<${ErrorBox} error=${load.error} />`
      : !load.data ? html`<div class="loading">Loading…</div>`
      : html`<div class="charts">${graphs.map(g => html`<${Chart} ...${g} rows=${load.data} />`)}</div>`}
  </div>`;
}
