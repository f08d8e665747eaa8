// Cascade's decision-table page: dmn-js's Modeler opened on the file's decision table, in the user's language
// (Vietnamese through the translate module in i18n/, English as dmn-js ships), with validate / deploy /
// download against the server. Everything arrives through data- attributes of #dmn-editor (the CSP allows
// scripts from 'self' only); requests carry the CSRF token in the X-CSRFToken header.

import 'dmn-js/dist/assets/diagram-js.css';
import 'dmn-js/dist/assets/dmn-js-shared.css';
import 'dmn-js/dist/assets/dmn-js-drd.css';
import 'dmn-js/dist/assets/dmn-js-decision-table.css';
import 'dmn-js/dist/assets/dmn-js-decision-table-controls.css';
import 'dmn-js/dist/assets/dmn-js-literal-expression.css';
import 'dmn-js/dist/assets/dmn-font/css/dmn.css';
import './cascade-dmn.css';

import DmnModeler from 'dmn-js/lib/Modeler';

import { translateModule } from './i18n/translate.js';
import vi from './i18n/vi-dmn.js';
import { data, request, statusLine, unsavedChanges } from './page.js';

function start(root) {
  const csrf = data(root, 'csrf');
  const lang = data(root, 'lang', 'vi');
  const status = document.getElementById('dmn-status');
  const problemsList = document.getElementById('dmn-problems');
  const t = (viText, enText) => (lang === 'en' ? enText : viText);
  const translate = translateModule(lang, { vi });

  // dmn-js hands `common` to every view but replaces its additionalModules: each view gets the module itself.
  const modules = { additionalModules: translate ? [translate] : [] };
  const modeler = new DmnModeler({
    container: document.getElementById('dmn-canvas'),
    drd: modules,
    decisionTable: modules,
    literalExpression: modules,
    boxedExpression: modules
  });
  window.cascadeDmnModeler = modeler; // for tests and the browser console

  const unsaved = unsavedChanges(root);
  modeler.on('views.changed', () => {
    const viewer = modeler.getActiveViewer();
    if (viewer && !viewer.cascadeWatched) {
      viewer.cascadeWatched = true;
      viewer.on('elements.changed', () => unsaved.changed());
    }
  });
  const say = statusLine(status);

  function showProblems(problems, warnings = []) {
    problemsList.replaceChildren();
    for (const [list, kind] of [[problems, 'error'], [warnings, 'warning']]) {
      for (const problem of list) {
        const item = document.createElement('li');
        item.className = kind;
        const where = problem.name ? `${problem.name} (${problem.element})` : problem.element;
        const cell = problem.element ? firstCell(problem.element) : null;
        if (cell) { // a rule: the link puts the cursor in its first cell
          const link = document.createElement('button');
          link.type = 'button';
          link.className = 'link element-ref';
          link.textContent = problem.element;
          link.addEventListener('click', () => {
            const target = firstCell(problem.element);
            if (target) {
              target.scrollIntoView({ block: 'center', inline: 'nearest' });
              target.focus();
            }
          });
          item.append(link, document.createTextNode(`: ${problem.message}`));
        } else {
          item.textContent = where ? `${where}: ${problem.message}` : problem.message;
        }
        problemsList.append(item);
      }
    }
    root.dataset.problems = String(problems.length);
  }

  function firstCell(ruleId) {
    const cells = [...document.querySelectorAll('#dmn-canvas td[data-row-id]')].filter(td => td.dataset.rowId === ruleId);
    return cells.map(td => td.querySelector('[contenteditable]')).find(Boolean) || null;
  }

  // After a deploy the page's own parts (what is open, the versions) are read again from the server.
  async function refreshVersions() {
    const response = await fetch(window.location.pathname, { credentials: 'same-origin' });
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
    for (const selector of ['#dmn-opened', '#dmn-versions']) {
      const now = document.querySelector(selector);
      const next = fresh.querySelector(selector);
      if (now && next) {
        now.replaceWith(next);
      }
    }
  }

  async function currentXml() {
    const { xml } = await modeler.saveXML({ format: true });
    return xml;
  }

  async function send(url) {
    return request(url, { method: 'POST', body: { xml: await currentXml() }, csrf });
  }

  async function load() {
    const template = document.getElementById('dmn-new-xml');
    const xml = template
      ? template.value
      : await (await fetch(data(root, 'xmlUrl'), { credentials: 'same-origin' })).text();
    try {
      const { warnings } = await modeler.importXML(xml, { open: false }); // not the DRD first: the table
      const views = modeler.getViews();
      await modeler.open(views.find(view => view.type === 'decisionTable') || views[0]);
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
      say(`${t('Không mở được bảng quyết định', 'Cannot open the decision table')}: ${err.message}`, 'error');
      root.dataset.ready = 'error';
    }
  }

  document.getElementById('dmn-validate').addEventListener('click', async () => {
    say(t('Đang kiểm tra…', 'Validating…'));
    const { ok, payload } = await send(data(root, 'validateUrl'));
    showProblems(payload.problems || [], payload.warnings || []);
    say(payload.message || t('Lỗi', 'Error'), ok && !(payload.problems || []).length ? 'success' : 'error');
    root.dataset.validated = ok ? 'ok' : 'problems';
  });

  document.getElementById('dmn-deploy').addEventListener('click', async () => {
    say(t('Đang triển khai…', 'Deploying…'));
    const { ok, payload } = await send(data(root, 'deployUrl'));
    showProblems(payload.problems || [], payload.warnings || []);
    if (ok) {
      unsaved.saved();
      say(payload.message, 'success');
      if (payload.key === data(root, 'decisionKey')) {
        await refreshVersions();
      }
      root.dataset.deployed = String(payload.version);
    } else {
      say(payload.message || t('Lỗi', 'Error'), 'error');
    }
  });

  document.getElementById('dmn-download').addEventListener('click', async () => {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([await currentXml()], { type: 'application/xml' }));
    link.download = `${data(root, 'decisionKey', 'decision')}.dmn`;
    document.body.append(link);
    link.click();
    link.remove();
  });

  load();
}

const root = document.getElementById('dmn-editor');
if (root) {
  start(root);
}
