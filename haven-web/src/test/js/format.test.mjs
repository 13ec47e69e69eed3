import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatUptime, formatDuration, formatTime, parseUpid, taskDescription, taskStatusText, taskState, percent } from '../../main/www/app/format.js';
import { rng } from './rng.mjs';

test('formatBytes table', () => {
  const cases = [[0, '0 B'], [1023, '1023 B'], [1024, '1.00 KiB'], [1536, '1.50 KiB'], [1048576, '1.00 MiB'],
    [25276063744, '23.54 GiB'], [1099511627776, '1.00 TiB'], [-2048, '-2.00 KiB'], [undefined, ''], [null, ''], ['x', '']];
  for (const [n, s] of cases) assert.equal(formatBytes(n), s, `formatBytes(${n})`);
});

test('formatUptime and formatDuration table', () => {
  assert.equal(formatUptime(0), '00:00:00');
  assert.equal(formatUptime(7), '00:00:07');
  assert.equal(formatUptime(3661), '01:01:01');
  assert.equal(formatUptime(86400), '1 day 00:00:00');
  assert.equal(formatUptime(3 * 86400 + 4 * 3600 + 5 * 60 + 6), '3 days 04:05:06');
  assert.equal(formatUptime(undefined), '');
  assert.equal(formatDuration(5), '5s');
  assert.equal(formatDuration(123), '2m 3s');
  assert.equal(formatDuration(3720), '1h 2m');
  assert.equal(formatDuration(3 * 86400 + 4 * 3600), '3d 4h');
  assert.equal(percent(0.12345), '12.35%');
});

test('formatTime in UTC', () => {
  assert.equal(formatTime(0, 'UTC'), '1970-01-01 00:00:00');
  assert.equal(formatTime(1763770000, 'UTC'), '2025-11-22 00:06:40');
  assert.equal(formatTime(undefined, 'UTC'), '');
});

test('parseUpid of a PVE task id', () => {
  const u = parseUpid('UPID:pve1:0000A1B2:0012C3D4:6740F00D:qmstart:100:root@pam:');
  assert.deepEqual({ ...u, upid: undefined }, { upid: undefined, node: 'pve1', pid: 0xA1B2, pstart: 0x12C3D4, starttime: 0x6740F00D, type: 'qmstart', id: '100', user: 'root@pam' });
  assert.equal(parseUpid('UPID:n:1:2:3:t:i:u:'), null, 'short hex fields');
  assert.equal(parseUpid('UPID:pve1:0000A1B2:0012C3D4:6740F00D:qmstart:100:root@pam'), null, 'no trailing colon');
  assert.equal(parseUpid(42), null);
  const tok = parseUpid('UPID:n1:00000001:00000002:00000003:vzdump::admin@pve!tok:');
  assert.equal(tok.id, '');
  assert.equal(tok.user, 'admin@pve!tok');
});

test('parseUpid round trip (seeded random)', () => {
  const r = rng(20261122);
  const hex = (n, w) => n.toString(16).toUpperCase().padStart(w, '0');
  for (let i = 0; i < 2000; i++) {
    const node = r.str(1, 'abcdefghijklmnopqrstuvwxyz') + r.str(r.int(0, 10), 'abcdefghijklmnopqrstuvwxyz0123456789-') + r.str(1);
    const pid = r.int(0, 0xffffffff), pstart = r.int(0, 0xffffffff), start = r.int(0, 0xffffffff);
    const type = r.pick(['qmstart', 'qmcreate', 'vzdump', 'imgcreate', 'hatest']);
    const id = r.pick(['', String(r.int(100, 999999)), `local:${r.int(100, 999)}`.replace(':', '')]);
    const user = `${r.str(r.int(1, 8))}@${r.pick(['pam', 'pve'])}`;
    const upid = `UPID:${node}:${hex(pid, 8)}:${hex(pstart, 8)}:${hex(start, 8)}:${type}:${id}:${user}:`;
    const u = parseUpid(upid);
    assert.ok(u, upid);
    assert.equal(u.node, node); assert.equal(u.pid, pid); assert.equal(u.pstart, pstart); assert.equal(u.starttime, start);
    assert.equal(u.type, type); assert.equal(u.id, id); assert.equal(u.user, user);
  }
});

test('task descriptions and states', () => {
  assert.equal(taskDescription('qmstart', '100'), 'VM 100 - Start');
  assert.equal(taskDescription('qmcreate', '123'), 'VM 123 - Create');
  assert.equal(taskDescription('vzdump', ''), 'VM/CT - Backup');
  assert.equal(taskDescription('imgcreate', 'local:100/vm-100-disk-0.raw'), 'Create image local:100/vm-100-disk-0.raw');
  assert.equal(taskDescription('hatest', ''), 'hatest');
  assert.equal(taskDescription('resize', '100'), 'VM/CT 100 - Resize');
  assert.equal(taskDescription('mystery', 'x'), 'mystery x');
  assert.equal(taskStatusText('OK'), 'OK');
  assert.equal(taskStatusText('WARNINGS: 2'), 'WARNINGS: 2');
  assert.equal(taskStatusText('boom'), 'Error: boom');
  assert.equal(taskStatusText(undefined), '');
  assert.equal(taskState({ status: 'OK', endtime: 5 }), 'ok');
  assert.equal(taskState({ status: 'WARNINGS: 1', endtime: 5 }), 'warning');
  assert.equal(taskState({ status: 'unexpected status', endtime: 5 }), 'error');
  assert.equal(taskState({}), 'running');
  assert.equal(taskState({ status: 'running' }), 'running');
});

test('formatBytes is monotonic in the value and always has a unit (seeded random)', () => {
  const r = rng(7);
  const parse = s => { const [v, u] = s.split(' '); return Number(v) * 1024 ** ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'].indexOf(u); };
  for (let i = 0; i < 2000; i++) {
    const n = Math.floor(r.next() * 2 ** r.int(0, 52));
    const s = formatBytes(n);
    assert.match(s, /^\d+(\.\d\d)? (B|KiB|MiB|GiB|TiB|PiB|EiB)$/);
    const back = parse(s);
    assert.ok(Math.abs(back - n) <= Math.max(1, n * 0.005), `${n} -> ${s}`);
  }
});
