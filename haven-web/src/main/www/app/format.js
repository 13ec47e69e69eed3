// Pure formatting helpers (no DOM, no I/O): sizes, durations, UPIDs, task descriptions.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** Bytes in binary units with two decimals ("1.50 GiB"); '' for missing values. */
export function formatBytes(n) {
  if (n === undefined || n === null || n === '' || Number.isNaN(Number(n))) return '';
  let v = Number(n);
  const neg = v < 0;
  v = Math.abs(v);
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) { v /= 1024; i++; }
  const s = i === 0 ? `${Math.round(v)} ${UNITS[0]}` : `${v.toFixed(2)} ${UNITS[i]}`;
  return neg ? `-${s}` : s;
}

/** "used of total (pct%)" as PVE's summary panels show it. */
export function formatUsage(used, total) {
  if (!total) return formatBytes(used);
  return `${percent(used / total)} (${formatBytes(used)} of ${formatBytes(total)})`;
}

/** A ratio (0..1) as a percentage with two decimals. */
export function percent(ratio) {
  if (ratio === undefined || ratio === null || Number.isNaN(Number(ratio))) return '';
  return `${(Number(ratio) * 100).toFixed(2)}%`;
}

/** Seconds as PVE shows uptimes: "3 days 04:05:06", "00:00:07". */
export function formatUptime(seconds) {
  if (seconds === undefined || seconds === null) return '';
  let s = Math.max(0, Math.floor(Number(seconds)));
  const days = Math.floor(s / 86400); s %= 86400;
  const h = Math.floor(s / 3600); s %= 3600;
  const m = Math.floor(s / 60); s %= 60;
  const hms = [h, m, s].map(x => String(x).padStart(2, '0')).join(':');
  if (days === 0) return hms;
  return `${days} day${days === 1 ? '' : 's'} ${hms}`;
}

/** Short durations for task lists: "5s", "2m 3s", "1h 2m", "3d 4h". */
export function formatDuration(seconds) {
  if (seconds === undefined || seconds === null || Number.isNaN(Number(seconds))) return '';
  let s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60); s %= 60;
  if (m < 60) return `${m}m ${s}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Unix seconds as local "YYYY-MM-DD HH:MM:SS". tz may be 'UTC' (for tests). */
export function formatTime(epoch, tz) {
  if (epoch === undefined || epoch === null || epoch === '') return '';
  const d = new Date(Number(epoch) * 1000);
  const utc = tz === 'UTC';
  const p = x => String(x).padStart(2, '0');
  const Y = utc ? d.getUTCFullYear() : d.getFullYear();
  const M = (utc ? d.getUTCMonth() : d.getMonth()) + 1;
  const D = utc ? d.getUTCDate() : d.getDate();
  const h = utc ? d.getUTCHours() : d.getHours();
  const m = utc ? d.getUTCMinutes() : d.getMinutes();
  const s = utc ? d.getUTCSeconds() : d.getSeconds();
  return `${Y}-${p(M)}-${p(D)} ${p(h)}:${p(m)}:${p(s)}`;
}

/**
 * Parse a UPID "UPID:node:pid:pstart:starttime:type:id:user:" (pid, pstart and starttime in hex);
 * null when the text is not one.
 */
export function parseUpid(upid) {
  if (typeof upid !== 'string') return null;
  const m = /^UPID:([a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s]+):([^:\s]*):([^:\s]+):$/.exec(upid);
  if (!m) return null;
  return {
    upid, node: m[1], pid: parseInt(m[3], 16), pstart: parseInt(m[4], 16), starttime: parseInt(m[5], 16),
    type: m[6], id: m[7], user: m[8],
  };
}

// task type -> [object kind, action] as PVE's GUI names them
const TASK_NAMES = {
  qmcreate: ['VM', 'Create'], qmrestore: ['VM', 'Restore'], qmdestroy: ['VM', 'Destroy'],
  qmstart: ['VM', 'Start'], qmstop: ['VM', 'Stop'], qmshutdown: ['VM', 'Shutdown'], qmreboot: ['VM', 'Reboot'],
  qmreset: ['VM', 'Reset'], qmsuspend: ['VM', 'Hibernate'], qmpause: ['VM', 'Pause'], qmresume: ['VM', 'Resume'],
  qmconfig: ['VM', 'Configure'], qmclone: ['VM', 'Clone'], qmmigrate: ['VM', 'Migrate'], qmmove: ['VM', 'Move disk'],
  qmtemplate: ['VM', 'Convert to template'], qmsnapshot: ['VM', 'Snapshot'], qmrollback: ['VM', 'Rollback'],
  qmdelsnapshot: ['VM', 'Delete Snapshot'], vncproxy: ['VM/CT', 'Console'], vncshell: ['', 'Shell'],
  termproxy: ['VM/CT', 'Console (xterm.js)'], spiceproxy: ['VM/CT', 'Console (Spice)'],
  vzcreate: ['CT', 'Create'], vzrestore: ['CT', 'Restore'], vzdestroy: ['CT', 'Destroy'], vzstart: ['CT', 'Start'],
  vzstop: ['CT', 'Stop'], vzshutdown: ['CT', 'Shutdown'], vzreboot: ['CT', 'Reboot'], vzdump: ['VM/CT', 'Backup'],
  imgcreate: ['', 'Create image'], imgdel: ['', 'Erase data'], download: ['', 'Download'],
  srvstart: ['SRV', 'Start'], srvstop: ['SRV', 'Stop'], srvrestart: ['SRV', 'Restart'], srvreload: ['SRV', 'Reload'],
  startall: ['', 'Bulk start VMs and Containers'], stopall: ['', 'Bulk shutdown VMs and Containers'],
  aptupdate: ['', 'Update package database'], hamigrate: ['HA', 'Migrate'], hastart: ['HA', 'Start'],
  hastop: ['HA', 'Stop'], prunebackups: ['', 'Prune Backups'], upload: ['', 'Upload'], resize: ['VM/CT', 'Resize'],
  imgcopy: ['', 'Copy data'], qmigrate: ['VM', 'Migrate'], move_volume: ['CT', 'Move Volume'],
};

/** Human description of a task ("VM 100 - Start"); unknown types show as "type id". */
export function taskDescription(type, id) {
  const t = TASK_NAMES[type];
  if (!t) return id ? `${type} ${id}` : type;
  const [kind, action] = t;
  if (!kind) return id ? `${action} ${id}`.trim() : action;
  return id ? `${kind} ${id} - ${action}` : `${kind} - ${action}`;
}

/** A task's end status as shown: "OK", "Error: …", "WARNINGS: n", or '' while running. */
export function taskStatusText(status) {
  if (status === undefined || status === null || status === '') return '';
  if (status === 'OK') return 'OK';
  if (/^WARNINGS: \d+$/.test(status)) return status;
  if (status === 'running') return '';
  return status.startsWith('Error') || status.startsWith('job errors') ? status : `Error: ${status}`;
}

/** 'ok' | 'warning' | 'error' | 'running' for an entry of /nodes/{node}/tasks or /cluster/tasks. */
export function taskState(task) {
  if (!task) return 'running';
  const s = task.status;
  if (s === undefined || s === null || s === '' || s === 'running' || task.endtime === undefined && s === undefined) return 'running';
  if (s === 'OK') return 'ok';
  if (/^WARNINGS/.test(s)) return 'warning';
  return 'error';
}
