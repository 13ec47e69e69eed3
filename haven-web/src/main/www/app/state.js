// Application state as signals.
import { signal, computed } from '@preact/signals';
import { buildTree, findNode } from 'app/tree.js';

export const user = signal(null);            // logged-in user id, null when the login dialog shows
export const version = signal(null);         // GET /version
export const resources = signal([]);         // GET /cluster/resources
export const resourcesError = signal(null);
export const view = signal(localStorage.getItem('haven-view') || 'server');
export const selected = signal('root');      // id of the selected tree node
export const collapsed = signal(new Set()); // ids of collapsed tree nodes (all others are open)
export const tasks = signal([]);             // GET /cluster/tasks
export const taskViewer = signal(null);      // {node, upid} of the open task log viewer
export const dialog = signal(null);          // name + props of an open dialog such as the Create VM wizard

export const tree = computed(() => buildTree(resources.value, view.value));
export const selectedNode = computed(() => findNode(tree.value, selected.value) || findNode(tree.value, 'root'));
export const nodes = computed(() => resources.value.filter(r => r.type === 'node').map(r => r.node).sort());

export function select(id) {
  selected.value = id;
  if (location.hash !== `#v1:${id}`) history.replaceState(null, '', `#v1:${id}`);
}

export function setView(v) {
  view.value = v;
  localStorage.setItem('haven-view', v);
}

export function toggle(id, open) {
  const s = new Set(collapsed.value);
  const isOpen = !s.has(id);
  const want = open === undefined ? !isOpen : open;
  if (want) s.delete(id); else s.add(id);
  collapsed.value = s;
}

export function openTask(node, upid) { taskViewer.value = { node, upid }; }
