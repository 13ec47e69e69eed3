import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTree, findNode, pathTo, filterTree, resourceText, resourceIcon } from '../../main/www/app/tree.js';
import { rng } from './rng.mjs';

const RES = [
  { id: 'node/pve2', type: 'node', node: 'pve2', status: 'offline' },
  { id: 'qemu/101', type: 'qemu', vmid: 101, name: 'web', node: 'pve1', status: 'running', pool: 'prod' },
  { id: 'node/pve1', type: 'node', node: 'pve1', status: 'online' },
  { id: 'storage/pve1/local', type: 'storage', storage: 'local', node: 'pve1', status: 'available' },
  { id: 'qemu/9000', type: 'qemu', vmid: 9000, name: 'tmpl', node: 'pve1', status: 'stopped', template: 1 },
  { id: 'qemu/20', type: 'qemu', vmid: 20, node: 'pve1', status: 'stopped' },
  { id: 'lxc/200', type: 'lxc', vmid: 200, name: 'ct', node: 'pve2', status: 'stopped', pool: 'prod' },
  { id: 'pool/prod', type: 'pool', pool: 'prod' },
];

test('server view: nodes sorted, guests by vmid then storages', () => {
  const t = buildTree(RES, 'server');
  assert.equal(t.id, 'root');
  assert.deepEqual(t.children.map(c => c.id), ['node/pve1', 'node/pve2']);
  assert.deepEqual(findNode(t, 'node/pve1').children.map(c => c.text), ['20', '101 (web)', '9000 (tmpl)', 'local (pve1)']);
  assert.deepEqual(findNode(t, 'node/pve2').children.map(c => c.id), ['lxc/200']);
  assert.equal(findNode(t, 'pool/prod'), null, 'pools are not in the server view');
  assert.deepEqual(pathTo(t, 'qemu/101'), ['root', 'node/pve1']);
  assert.equal(pathTo(t, 'qemu/999'), null);
});

test('folder and pool views', () => {
  const f = buildTree(RES, 'folder');
  assert.deepEqual(f.children.map(c => c.text), ['Nodes', 'Virtual Machine', 'LXC Container', 'Storage', 'Pools']);
  assert.deepEqual(findNode(f, 'folder/qemu').children.map(c => c.vmid), [20, 101, 9000]);
  const p = buildTree(RES, 'pool');
  assert.deepEqual(p.children.map(c => c.id), ['pool/prod']);
  assert.deepEqual(p.children[0].children.map(c => c.id), ['qemu/101', 'lxc/200']);
});

test('icons and texts', () => {
  assert.equal(resourceIcon(RES[0]), 'node-offline');
  assert.equal(resourceIcon(RES[2]), 'node-online');
  assert.equal(resourceIcon(RES[1]), 'qemu-running');
  assert.equal(resourceIcon(RES[4]), 'qemu-template');
  assert.equal(resourceIcon({ type: 'storage', status: 'unknown' }), 'storage-unknown');
  assert.equal(resourceIcon({ type: 'qemu', status: 'running', hastate: 'error' }), 'qemu-error');
  assert.equal(resourceText(RES[3]), 'local (pve1)');
  assert.equal(resourceText(RES[5]), '20');
});

test('filter keeps matches and their ancestors', () => {
  const t = filterTree(buildTree(RES, 'server'), 'WEB');
  assert.deepEqual(t.children.map(c => c.id), ['node/pve1']);
  assert.deepEqual(t.children[0].children.map(c => c.id), ['qemu/101']);
  assert.equal(filterTree(buildTree(RES, 'server'), '').children.length, 2);
  assert.equal(filterTree(buildTree(RES, 'server'), 'nothing-matches').children.length, 0);
  assert.deepEqual(filterTree(buildTree(RES, 'server'), '9000').children[0].children.map(c => c.id), ['qemu/9000']);
});

test('every resource appears exactly once in server and folder views (seeded random)', () => {
  const r = rng(4242);
  for (let round = 0; round < 300; round++) {
    const nodes = Array.from({ length: r.int(0, 4) }, (_, i) => `n${i}`);
    const res = nodes.map(n => ({ id: `node/${n}`, type: 'node', node: n, status: r.pick(['online', 'offline']) }));
    const used = new Set();
    for (let i = 0; i < r.int(0, 30); i++) {
      const vmid = r.int(100, 400);
      if (used.has(vmid)) continue;
      used.add(vmid);
      const type = r.pick(['qemu', 'lxc']);
      res.push({ id: `${type}/${vmid}`, type, vmid, node: r.pick([...nodes, 'ghost']), status: r.pick(['running', 'stopped']) });
    }
    for (const n of nodes) if (r.next() < 0.7) res.push({ id: `storage/${n}/local`, type: 'storage', storage: 'local', node: n, status: 'available' });
    for (let i = res.length - 1; i > 0; i--) { const j = r.int(0, i); [res[i], res[j]] = [res[j], res[i]]; }
    for (const view of ['server', 'folder']) {
      const t = buildTree(res, view);
      const seen = [];
      const walk = n => { if (n.data && n.data.id) seen.push(n.data.id); n.children.forEach(walk); };
      walk(t);
      assert.deepEqual([...seen].sort(), res.map(x => x.id).sort(), `view ${view} round ${round}`);
      // guests under a node are ordered by vmid
      for (const n of t.children) {
        const ids = n.children.filter(c => c.vmid !== undefined && c.type !== 'folder').map(c => c.vmid);
        assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
      }
    }
  }
});
