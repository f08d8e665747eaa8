// Cascade's BPMN modeller page: bpmn-js with the Camunda 7 properties panel, Cascade's roles offered on user
// tasks, the bpmnlint overlay, and save draft / validate / deploy / download against the server. The page's
// data-lang picks the language: Vietnamese through the translate module in i18n/, English as bpmn-js ships.
//
// Everything the page needs arrives through data- attributes of #modeller (no inline scripts: the CSP
// allows scripts from 'self' only); requests carry the CSRF token in the X-CSRFToken header.

import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import 'bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css';
import './cascade-bpmn.css';

import BpmnModeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule
} from 'bpmn-js-properties-panel';
import CamundaBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import lintModule from 'bpmn-js-bpmnlint';
import bpmnlintConfig from 'virtual:bpmnlint-config';

import { PropertiesPanelTranslationModule, translateModule } from './i18n/translate.js';
import vi from './i18n/vi.js';
import CascadeRolesModule from './roles-provider.js';
import { data, request, statusLine, unsavedChanges } from './page.js';

function start(root) {
  const roles = JSON.parse(data(root, 'roles', '[]'));
  const csrf = data(root, 'csrf');
  const status = document.getElementById('modeller-status');
  const problemsList = document.getElementById('modeller-problems');
  const lang = data(root, 'lang', 'vi');
  const translate = translateModule(lang, { vi });
  const t = (viText, enText) => (lang === 'en' ? enText : viText); // the page's own messages

  const modeler = new BpmnModeler({
    container: document.getElementById('modeller-canvas'),
    propertiesPanel: { parent: document.getElementById('modeller-properties') },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule,
      CamundaBehaviorsModule,
      CascadeRolesModule,
      lintModule,
      PropertiesPanelTranslationModule,
      ...(translate ? [translate] : [])
    ],
    moddleExtensions: { camunda: camundaModdle },
    cascadeRoles: roles,
    linting: { bpmnlint: bpmnlintConfig, active: true }
  });
  window.cascadeModeler = modeler; // for tests and the browser console

  const unsaved = unsavedChanges(root);
  modeler.on('commandStack.changed', () => unsaved.changed());
  const say = statusLine(status);

  function showProblems(problems, warnings = []) {
    problemsList.replaceChildren();
    const all = [
      ...problems.map(p => ({ ...p, kind: 'error' })),
      ...warnings.map(p => ({ ...p, kind: 'warning' }))
    ];
    for (const problem of all) {
      const item = document.createElement('li');
      item.className = problem.kind;
      if (problem.element) {
        const link = document.createElement('button');
        link.type = 'button';
        link.className = 'link element-ref';
        link.textContent = problem.name ? `${problem.name} (${problem.element})` : problem.element;
        link.addEventListener('click', () => focusElement(problem.element));
        item.append(link, document.createTextNode(`: ${problem.message}`));
      } else {
        item.textContent = problem.message;
      }
      problemsList.append(item);
    }
    root.dataset.problems = String(problems.length);
  }

  // A business rule task shows the decision table it calls, linked to the table's editor (a new tab: the
  // diagram's unsaved changes stay here).
  function markDecisions() {
    const overlays = modeler.get('overlays');
    overlays.remove({ type: 'cascade-decision' });
    const base = data(root, 'decisionsUrl');
    for (const element of modeler.get('elementRegistry').filter(e => e.type === 'bpmn:BusinessRuleTask')) {
      const ref = element.businessObject.get('camunda:decisionRef');
      if (!ref || !base) {
        continue;
      }
      const link = document.createElement('a');
      link.className = 'cascade-decision-link';
      link.href = base + encodeURIComponent(ref);
      link.target = '_blank';
      link.rel = 'noopener';
      link.dataset.decision = ref;
      link.textContent = `${t('Bảng quyết định', 'Decision table')}: ${ref}`;
      overlays.add(element, 'cascade-decision', { position: { bottom: -4, left: 0 }, html: link });
    }
  }
  modeler.on('import.done', markDecisions);
  modeler.on('elements.changed', markDecisions);

  function focusElement(id) {
    const registry = modeler.get('elementRegistry');
    const canvas = modeler.get('canvas');
    const element = registry.get(id);
    if (!element) {
      return;
    }
    const plane = canvas.findRoot(element);
    if (plane && plane !== canvas.getRootElement()) {
      canvas.setRootElement(plane);
    }
    modeler.get('selection').select(element);
    canvas.scrollToElement(element);
  }

  async function currentXml() {
    const { xml } = await modeler.saveXML({ format: true });
    return xml;
  }

  async function post(url, extra = {}) {
    const xml = await currentXml();
    return request(url, { method: 'POST', body: { xml, ...extra }, csrf });
  }

  async function load() {
    const response = await fetch(data(root, 'xmlUrl'), { credentials: 'same-origin' });
    const xml = await response.text();
    try {
      const { warnings } = await modeler.importXML(xml);
      const canvas = modeler.get('canvas');
      canvas.zoom('fit-viewport', 'auto');
      const fitted = new Set([canvas.getRootElement().id]);
      modeler.on('root.set', ({ element }) => {
        if (!fitted.has(element.id)) {
          fitted.add(element.id);
          canvas.zoom('fit-viewport', 'auto');
        }
      });
      if (warnings.length) {
        say(t(`Đã mở, có ${warnings.length} cảnh báo khi đọc tệp`, `Opened with ${warnings.length} import warning(s)`), 'warning');
        showProblems([], warnings.map(w => ({ element: null, message: w.message })));
      } else {
        say(data(root, 'loadedText', t('Đã mở', 'Opened')));
      }
      requestAnimationFrame(() => {
        unsaved.watch();
        root.dataset.ready = 'true';
      });
    } catch (err) {
      say(`${t('Không mở được sơ đồ', 'Cannot open the diagram')}: ${err.message}`, 'error');
      root.dataset.ready = 'error';
    }
  }

  document.getElementById('modeller-save').addEventListener('click', async () => {
    say(t('Đang lưu…', 'Saving…'));
    const { ok, payload } = await post(data(root, 'saveUrl'));
    if (ok) {
      unsaved.saved();
      say(payload.message, 'success');
    } else {
      say(payload.message || t('Lỗi', 'Error'), 'error');
    }
  });

  document.getElementById('modeller-validate').addEventListener('click', async () => {
    say(t('Đang kiểm tra…', 'Validating…'));
    const { ok, payload } = await post(data(root, 'validateUrl'));
    showProblems(payload.problems || [], payload.warnings || []);
    say(payload.message, ok && !(payload.problems || []).length ? 'success' : 'error');
    root.dataset.validated = ok ? 'ok' : 'problems';
  });

  document.getElementById('modeller-deploy').addEventListener('click', async () => {
    const note = document.getElementById('modeller-note');
    say(t('Đang triển khai…', 'Deploying…'));
    const { ok, payload } = await post(data(root, 'deployUrl'), { note: note ? note.value : '' });
    showProblems(payload.problems || [], payload.warnings || []);
    if (ok) {
      unsaved.saved();
      root.dataset.deployed = String(payload.version);
      say(payload.message, 'success');
      const next = document.getElementById('modeller-next');
      if (payload.migrate_url) {
        next.href = payload.migrate_url;
        next.hidden = false;
      }
    } else {
      say(payload.message || t('Lỗi', 'Error'), 'error');
    }
  });

  document.getElementById('modeller-download').addEventListener('click', async () => {
    const xml = await currentXml();
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([xml], { type: 'application/xml' }));
    link.download = `${data(root, 'processKey', 'diagram')}.bpmn`;
    document.body.append(link);
    link.click();
    link.remove();
  });

  load();
}

const root = document.getElementById('modeller');
if (root) {
  start(root);
}
