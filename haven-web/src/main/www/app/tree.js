// Pure resource-tree construction from GET /cluster/resources (no DOM): PVE's Server, Folder and Pool views.

/** Display text of a resource, as PVE's tree shows it. */
export function resourceText(r) {
  switch (r.type) {
    case 'qemu': case 'lxc': return r.name ? `${r.vmid} (${r.name})` : String(r.vmid);
    case 'node': return r.node;
    case 'storage': return `${r.storage} (${r.node})`;
    case 'pool': return r.pool;
    case 'sdn': return `${r.sdn} (${r.node})`;
    default: return r.id;
  }
}

/** Icon/status class of a resource: 'node-online', 'qemu-running', 'storage-unknown', 'qemu-template' … */
export function resourceIcon(r) {
  if ((r.type === 'qemu' || r.type === 'lxc') && Number(r.template) === 1) return `${r.type}-template`;
  if (r.type === 'pool' || r.type === 'datacenter' || r.type === 'folder') return r.type;
  let s = r.status || 'unknown';
  if (r.type === 'node' && s !== 'online') s = 'offline';
  if ((r.type === 'qemu' || r.type === 'lxc') && r.hastate === 'error') s = 'error';
  if (r.type === 'storage' && s !== 'available') s = 'unknown';
  return `${r.type}-${s}`;
}

const TYPE_ORDER = { node: 0, qemu: 1, lxc: 1, storage: 2, sdn: 3, pool: 4 };

function compare(a, b) {
  const ta = TYPE_ORDER[a.type] ?? 9, tb = TYPE_ORDER[b.type] ?? 9;
  if (ta !== tb) return ta - tb;
  if (a.vmid !== undefined && b.vmid !== undefined) return Number(a.vmid) - Number(b.vmid);
  return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
}

function leaf(r) {
  return { id: r.id, type: r.type, text: resourceText(r), icon: resourceIcon(r), vmid: r.vmid, node: r.node, data: r, children: [] };
}

function sortDeep(n) {
  n.children.sort(compare);
  n.children.forEach(sortDeep);
  return n;
}

export const VIEWS = ['server', 'folder', 'pool'];

/**
 * The tree for a view: a root {id:'root', type:'datacenter'} whose children depend on the view:
 *  - server: nodes, each with its guests (by vmid) and storages; guests of unknown nodes under the root;
 *  - folder: folders Nodes, Virtual Machine, LXC Container, Storage, Pools (empty ones omitted);
 *  - pool: pools with their member guests and storages.
 */
export function buildTree(resources, view = 'server') {
  const root = { id: 'root', type: 'datacenter', text: 'Datacenter', icon: 'datacenter', data: {}, children: [] };
  const list = Array.isArray(resources) ? resources.filter(r => r && r.id && r.type) : [];
  if (view === 'folder') {
    const folders = [['node', 'Nodes'], ['qemu', 'Virtual Machine'], ['lxc', 'LXC Container'], ['storage', 'Storage'],
      ['sdn', 'SDN'], ['pool', 'Pools']];
    for (const [type, text] of folders) {
      const items = list.filter(r => r.type === type).map(leaf);
      if (items.length === 0) continue;
      root.children.push({ id: `folder/${type}`, type: 'folder', text, icon: 'folder', data: { folder: type }, children: items });
    }
    // keep folder order as declared
    root.children.forEach(sortDeep);
    return root;
  }
  if (view === 'pool') {
    const pools = new Map();
    for (const r of list.filter(r => r.type === 'pool')) pools.set(r.pool, leaf(r));
    for (const r of list) {
      if (r.type === 'pool' || r.type === 'node' || !r.pool) continue;
      if (!pools.has(r.pool)) pools.set(r.pool, leaf({ id: `pool/${r.pool}`, type: 'pool', pool: r.pool }));
      pools.get(r.pool).children.push(leaf(r));
    }
    root.children = [...pools.values()];
    return sortDeep(root);
  }
  const nodes = new Map();
  for (const r of list.filter(r => r.type === 'node')) nodes.set(r.node, leaf(r));
  for (const r of list) {
    if (r.type === 'node' || r.type === 'pool') continue;
    const parent = r.node !== undefined ? nodes.get(r.node) : undefined;
    (parent ? parent.children : root.children).push(leaf(r));
  }
  root.children.push(...nodes.values());
  return sortDeep(root);
}

/** Depth-first search for a tree node by id; null when absent. */
export function findNode(tree, id) {
  if (!tree) return null;
  if (tree.id === id) return tree;
  for (const c of tree.children || []) {
    const f = findNode(c, id);
    if (f) return f;
  }
  return null;
}

/** Ids of the ancestors of id (root first), or null when id is not in the tree. */
export function pathTo(tree, id, acc = []) {
  if (!tree) return null;
  if (tree.id === id) return acc;
  for (const c of tree.children || []) {
    const p = pathTo(c, id, [...acc, tree.id]);
    if (p) return p;
  }
  return null;
}

/** Case-insensitive filter on text, id, vmid and type; ancestors of matches are kept. */
export function filterTree(tree, query) {
  const q = (query || '').trim().toLowerCase();
  if (!q) return tree;
  const match = n => [n.text, n.id, n.type, n.vmid === undefined ? '' : String(n.vmid)].some(s => String(s).toLowerCase().includes(q));
  const walk = n => {
    const kids = (n.children || []).map(walk).filter(Boolean);
    if (kids.length || match(n)) return { ...n, children: kids.length ? kids : (match(n) ? n.children : []) };
    return null;
  };
  return walk(tree) || { ...tree, children: [] };
}
