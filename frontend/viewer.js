// The diagram on an instance page: the instance's own definition version in a NavigatedViewer, with the
// elements the engine has completed, is working on (active) or waits in (timers, messages) marked, and
// the active tasks' assignee and deadline shown on hover. Data comes from the JSON endpoint named in
// #instance-diagram's data- attributes (no inline scripts under the CSP); data-lang gives the language of
// bpmn-js's own words (the drill-down button's title) and which half of a "Vietnamese | English" label is drawn.

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import './cascade-bpmn.css';

import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';

import { translateModule } from './i18n/translate.js';
import vi from './i18n/vi-viewer.js';

const MARKERS = { completed: 'cascade-completed', active: 'cascade-active', waiting: 'cascade-waiting', failed: 'cascade-failed' };

const LABEL_FONT = { fontSize: 11, lineHeight: 1.15 };

/** The user's half of a "Vietnamese | English" label ("Soạn dự thảo | Draft" → "Soạn dự thảo" in Vietnamese). */
export function labelFor(text, lang) {
  const at = (text || '').indexOf(' | ');
  if (at < 0) {
    return text;
  }
  return (lang === 'en' ? text.slice(at + 3) : text.slice(0, at)).trim();
}

/** The diagram's XML with every name (and text annotation) in the user's language, before bpmn-js draws it: the
 * shapes then wrap one language's words inside themselves instead of overflowing with both. */
function inLanguage(xml, lang) {
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) {
    return xml;  // let bpmn-js report what is wrong with it
  }
  for (const el of doc.getElementsByTagName('*')) {
    const name = el.getAttribute('name');
    if (name && name.includes(' | ')) {
      el.setAttribute('name', labelFor(name, lang));
    }
    if (el.localName === 'text' && el.textContent.includes(' | ')) {
      el.textContent = labelFor(el.textContent, lang);
    }
  }
  return new XMLSerializer().serializeToString(doc);
}

function line(label, value) {
  const row = document.createElement('div');
  const key = document.createElement('span');
  key.className = 'key';
  key.textContent = `${label}: `;
  row.append(key, document.createTextNode(value));
  return row;
}

async function start(root) {
  const lang = root.dataset.lang || 'vi';
  const translate = translateModule(lang, { vi });
  const viewer = new NavigatedViewer({
    container: root.querySelector('.diagram-canvas') || root,
    textRenderer: { defaultStyle: LABEL_FONT, externalStyle: LABEL_FONT },
    additionalModules: translate ? [translate] : []
  });
  window.cascadeViewer = viewer;
  const [xml, state] = await Promise.all([
    fetch(root.dataset.xmlUrl, { credentials: 'same-origin' }).then(r => r.text()),
    fetch(root.dataset.stateUrl, { credentials: 'same-origin' }).then(r => r.json())
  ]);
  try {
    await viewer.importXML(inLanguage(xml, lang));
  } catch (err) {
    root.dataset.ready = 'error';
    const text = lang === 'en' ? 'Cannot draw the diagram' : 'Không vẽ được sơ đồ';
    root.append(document.createTextNode(`${text}: ${err.message}`));
    return;
  }
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');
  const overlays = viewer.get('overlays');
  canvas.zoom('fit-viewport', 'auto');
  const fitted = new Set([canvas.getRootElement().id]);
  viewer.on('root.set', ({ element }) => {
    if (!fitted.has(element.id)) {
      fitted.add(element.id);
      canvas.zoom('fit-viewport', 'auto');
    }
  });
  for (const [id, kind] of Object.entries(state.elements || {})) {
    if (registry.get(id) && MARKERS[kind]) {
      canvas.addMarker(id, MARKERS[kind]);
    }
  }
  const labels = state.labels || {};
  let shown = null;
  viewer.on('element.hover', ({ element }) => {
    const info = (state.tasks || {})[element.id];
    if (!info || shown === element.id) {
      return;
    }
    overlays.remove({ type: 'cascade-info' });
    const box = document.createElement('div');
    box.className = 'cascade-info';
    for (const task of info) {
      if (info.length > 1 || task.name !== element.businessObject.name) {
        const title = document.createElement('div');
        title.className = 'task-name';
        title.textContent = task.name;
        box.append(title);
      }
      box.append(line(labels.assignee || 'Người thực hiện', task.assignee || labels.unassigned || '—'));
      if (task.candidates) {
        box.append(line(labels.candidates || 'Ai làm được', task.candidates));
      }
      box.append(line(labels.due || 'Hạn', task.due || '—'));
    }
    overlays.add(element.id, 'cascade-info', { position: { bottom: -6, left: 0 }, html: box });
    shown = element.id;
  });
  viewer.on('element.out', ({ element }) => {
    if (shown === element.id) {
      overlays.remove({ type: 'cascade-info' });
      shown = null;
    }
  });
  requestAnimationFrame(() => {
    root.dataset.ready = 'true';
  });
}

for (const root of document.querySelectorAll('[data-cascade-viewer]')) {
  start(root);
}
