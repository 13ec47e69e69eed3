// The resource tree (Server / Folder / Pool view) with status icons and a search filter.
import { useState } from 'preact/hooks';
import { html, Icon, ErrorBox } from 'app/ui.js';
import { filterTree, VIEWS } from 'app/tree.js';
import * as S from 'app/state.js';

const VIEW_TITLES = { server: 'Server View', folder: 'Folder View', pool: 'Pool View' };

function TreeItem({ node, depth, forceOpen }) {
  const open = forceOpen || !S.collapsed.value.has(node.id);
  const hasKids = node.children && node.children.length > 0;
  const sel = S.selected.value === node.id;
  const status = node.data && node.data.status;
  return html`<li>
    <div class=${`tree-row ${sel ? 'selected' : ''}`} style=${`padding-left:${depth * 16 + 4}px`}
        data-id=${node.id} data-type=${node.type} data-status=${status || ''} role="treeitem" aria-selected=${sel}
        onClick=${() => { S.select(node.id); if (hasKids && !open) S.toggle(node.id, true); }}>
      <span class="twisty" onClick=${e => { e.stopPropagation(); S.toggle(node.id); }}>${hasKids ? (open ? '▾' : '▸') : ''}</span>
      <${Icon} cls=${node.icon} title=${status || node.type} />
      <span class="text">${node.text}</span>
    </div>
    ${hasKids && open && html`<ul>${node.children.map(c => html`<${TreeItem} key=${c.id} node=${c} depth=${depth + 1} forceOpen=${forceOpen} />`)}</ul>`}
  </li>`;
}

export function ResourceTree() {
  const [query, setQuery] = useState('');
  const t = filterTree(S.tree.value, query);
  return html`<div class="resource-tree">
    <div class="tree-tools">
      <select id="tree-view" value=${S.view.value} onChange=${e => S.setView(e.target.value)}>
        ${VIEWS.map(v => html`<option value=${v} selected=${v === S.view.value}>${VIEW_TITLES[v]}</option>`)}
      </select>
      <input type="search" placeholder="Search" value=${query} onInput=${e => setQuery(e.target.value)} />
    </div>
    <${ErrorBox} error=${S.resourcesError.value} />
    <ul class="tree" role="tree"><${TreeItem} node=${t} depth=${0} forceOpen=${query.trim() !== ''} /></ul>
  </div>`;
}
