// Adds a diagram (BPMN DI) to BPMN files that have none, so bpmn-js can draw them.
//
//   node frontend/layout.mjs [--force] [files…]        (default: workflows/*.bpmn)
//   node frontend/layout.mjs - < in.bpmn > out.bpmn   (a filter: the server lays out uploads without a diagram)
//
// The layout comes from bpmn-auto-layout. Only its <bpmndi:BPMNDiagram> sections are taken: they are
// inserted before the closing </definitions> tag of the original text, which otherwise stays byte for byte
// as it was (same ids, attributes, extension elements, comments and formatting). The DI namespaces are
// declared on each inserted BPMNDiagram element, so the root element is not touched either.
// Files that already have a diagram are skipped unless --force is given (then their diagram is replaced).
// Sub-processes are laid out collapsed (one drill-down plane each), which is how bpmn-auto-layout draws them.

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { layoutProcess } from 'bpmn-auto-layout';
import { BpmnModdle } from 'bpmn-moddle';

const NS = {
  bpmndi: 'http://www.omg.org/spec/BPMN/20100524/DI',
  dc: 'http://www.omg.org/spec/DD/20100524/DC',
  di: 'http://www.omg.org/spec/DD/20100524/DI'
};

const DIAGRAM = /\s*<([\w.-]+:)?BPMNDiagram\b[\s\S]*?<\/\1?BPMNDiagram>/g;

function prefixOf(xml, uri) {
  const m = new RegExp(`xmlns:([\\w.-]+)="${uri.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`).exec(xml);
  return m ? m[1] : null;
}

const SHAPE_OR_EDGE = /<bpmndi:BPMN(Shape|Edge)\b[^>]*\bbpmnElement="([^"]+)"[^>]*?(\/>|>[\s\S]*?<\/bpmndi:BPMN\1>)/g;

/** Which sub-process (by id) directly contains each flow element; top-level elements are absent. */
async function subProcessMembers(xml) {
  const { rootElement } = await new BpmnModdle().fromXML(xml);
  const owner = new Map();
  const subProcesses = [];
  const visit = (container, ownerId) => {
    for (const element of container.flowElements || []) {
      if (ownerId) {
        owner.set(element.id, ownerId);
      }
      if (element.$instanceOf('bpmn:SubProcess')) {
        subProcesses.push(element.id);
        visit(element, element.id);
      }
    }
  };
  for (const root of rootElement.rootElements || []) {
    if (root.$instanceOf('bpmn:Process')) {
      visit(root, null);
    }
  }
  return { owner, subProcesses };
}

/**
 * The laid-out diagram as <BPMNDiagram> sections, prefixes bpmndi/dc/di declared on each. bpmn-auto-layout
 * draws sub-processes collapsed but leaves their content in the process's plane (laid out from the origin);
 * each sub-process gets its own plane here, the drill-down layout bpmn-js and Camunda Modeler write.
 */
function diagramSections(generated, { owner, subProcesses }) {
  const prefixes = Object.fromEntries(Object.entries(NS).map(([name, uri]) => [name, prefixOf(generated, uri)]));
  let text = (generated.match(DIAGRAM) || []).join('\n');
  for (const [name, found] of Object.entries(prefixes)) {
    if (found && found !== name) {
      text = text.replace(new RegExp(`(</?)${found}:`, 'g'), `$1${name}:`);
    }
  }
  const planes = new Map(subProcesses.map(id => [id, []]));
  text = text.replace(SHAPE_OR_EDGE, (match, _kind, element) => {
    const sub = owner.get(element);
    if (!sub) {
      return match;
    }
    planes.get(sub).push(match);
    return '';
  });
  const declarations = Object.entries(NS).map(([name, uri]) => `xmlns:${name}="${uri}"`).join(' ');
  const sections = (text.match(DIAGRAM) || []).map(s => tidy(s));
  for (const [sub, items] of planes) {
    if (!items.length) {
      continue;
    }
    sections.push(
      [
        `<bpmndi:BPMNDiagram id="BPMNDiagram_${sub}">`,
        `  <bpmndi:BPMNPlane id="BPMNPlane_${sub}" bpmnElement="${sub}">`,
        ...items.map(item => tidy(item, '    ')),
        '  </bpmndi:BPMNPlane>',
        '</bpmndi:BPMNDiagram>'
      ].join('\n')
    );
  }
  return sections.map(s => s.replace(/^<bpmndi:BPMNDiagram\b/, `<bpmndi:BPMNDiagram ${declarations}`));
}

/** Re-indent an XML fragment: two spaces per level, starting at `pad`. */
function tidy(fragment, pad = '') {
  let depth = 0;
  const out = [];
  for (const raw of fragment.trim().split('\n')) {
    const line = raw.trim();
    if (!line) {
      continue;
    }
    if (line.startsWith('</')) {
      depth -= 1;
    }
    out.push(pad + '  '.repeat(Math.max(depth, 0)) + line);
    if (!line.startsWith('</') && !line.endsWith('/>') && !/<\/[^>]+>$/.test(line)) {
      depth += 1;
    }
  }
  return out.join('\n');
}

function indent(section, pad) {
  return section.split('\n').map(line => (line.trim() ? pad + line : line)).join('\n');
}

export async function addLayout(xml, { force = false } = {}) {
  const hasDiagram = /<([\w.-]+:)?BPMNDiagram\b/.test(xml);
  if (hasDiagram && !force) {
    return null;
  }
  const semantic = xml.replace(DIAGRAM, '');
  const generated = await layoutProcess(semantic);
  const sections = diagramSections(generated, await subProcessMembers(semantic));
  if (!sections.length) {
    throw new Error('bpmn-auto-layout produced no diagram');
  }
  const close = semantic.search(/<\/([\w.-]+:)?definitions>\s*$/);
  if (close < 0) {
    throw new Error('no closing </definitions> tag');
  }
  const before = semantic.slice(0, close).replace(/\s*$/, '\n');
  return before + sections.map(s => indent(s, '  ')).join('\n') + '\n' + semantic.slice(close);
}

async function main(argv) {
  const force = argv.includes('--force');
  let files = argv.filter(a => !a.startsWith('--'));
  if (files.length === 1 && files[0] === '-') {
    const xml = readFileSync(0, 'utf8');
    process.stdout.write((await addLayout(xml, { force })) ?? xml);
    return;
  }
  if (!files.length) {
    files = readdirSync('workflows').filter(f => f.endsWith('.bpmn')).sort().map(f => join('workflows', f));
  }
  for (const file of files) {
    const xml = readFileSync(file, 'utf8');
    const out = await addLayout(xml, { force });
    if (out === null) {
      console.log(`${file}: has a diagram already (use --force to redo it)`);
      continue;
    }
    writeFileSync(file, out);
    console.log(`${file}: laid out`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch(err => {
    console.error(err.message || err);
    process.exit(1);
  });
}
