// bpmnlint on the server: reads one BPMN file on stdin, prints the problems as JSON on stdout:
//   [{"element": id|null, "message": text, "rule": name, "category": "error"|"warn"}]
// Uses the project's .bpmnlintrc, the same rules the modeller's lint overlay shows. Import warnings
// (content the BPMN model cannot read) are reported as warnings of the rule "import".

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BpmnModdle } from 'bpmn-moddle';

const require = createRequire(import.meta.url);
const Linter = require('bpmnlint/lib/linter');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
const camunda = require('camunda-bpmn-moddle/resources/camunda.json');

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function main() {
  const xml = readFileSync(0, 'utf8');
  const config = JSON.parse(readFileSync(join(ROOT, '.bpmnlintrc'), 'utf8'));
  const moddle = new BpmnModdle({ camunda });
  const { rootElement, warnings } = await moddle.fromXML(xml, 'bpmn:Definitions');
  const linter = new Linter({ config, resolver: new NodeResolver() });
  const results = await linter.lint(rootElement);
  const out = warnings.map(w => ({
    element: (w.element && w.element.id) || null,
    message: w.message,
    rule: 'import',
    category: 'warn'
  }));
  for (const [rule, reports] of Object.entries(results)) {
    for (const report of reports) {
      out.push({
        element: report.id || null,
        message: report.message,
        rule,
        category: report.category === 'error' ? 'error' : 'warn'
      });
    }
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch(err => {
  process.stderr.write(String(err && err.message ? err.message : err));
  process.exit(1);
});
