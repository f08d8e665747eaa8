// The modeller and viewer in the user's language, through bpmn-js's `translate` extension point: a module
// that replaces diagram-js's `translate` service (palette, context pad, popup menus, properties panel,
// bpmnlint overlay and search all call it). English keeps bpmn-js's own strings (no module is added).
//
// A dictionary maps bpmn-js's English template to its translation; `{placeholder}`s are filled in after
// translating, as diagram-js does. Messages built at run time (bpmnlint's "Element type <…> is discouraged")
// are matched by the dictionary's patterns. Templates without a translation stay English and are collected
// in `translate.missing`, so the browser console (and the tests) can list what a dictionary lacks.
// Each bundle passes the dictionaries it needs (the viewer's is a few words: see vi-viewer.js).

function fill(template, replacements) {
  return template.replace(/{([^}]+)}/g, (whole, key) => {
    const value = replacements[key];
    return value === undefined || value === null || value === '' ? whole : String(value);
  });
}

export function createTranslate({ messages, patterns = [] }) {
  const missing = new Set();

  function translate(template, replacements) {
    if (typeof template !== 'string') {
      return template;
    }
    let text = messages[template];
    if (text === undefined) {
      for (const [pattern, replacement] of patterns) {
        if (pattern.test(template)) {
          text = template.replace(pattern, replacement);
          break;
        }
      }
    }
    if (text === undefined) {
      missing.add(template);
      text = template;
    }
    return fill(text, replacements || {});
  }

  translate.missing = missing;
  return translate;
}

/** The bpmn-js module for `lang` ('vi', 'en', …), or null when bpmn-js's English is the language. */
export function translateModule(lang, dictionaries) {
  const dictionary = Object.prototype.hasOwnProperty.call(dictionaries, lang) ? dictionaries[lang] : null;
  return dictionary ? { translate: ['value', createTranslate(dictionary)] } : null;
}

// @bpmn-io/properties-panel's groups call their own English fallback for their buttons and markers ("Toggle
// section", "Create new list item") unless the group definition carries a `translate` function: the
// lowest-priority provider hands every group the injector's one.
function GroupTranslation(propertiesPanel, translate) {
  propertiesPanel.registerProvider(1, {
    getGroups: () => groups => {
      for (const group of groups) {
        if (!group.translate) {
          group.translate = translate;
        }
      }
      return groups;
    }
  });
}

GroupTranslation.$inject = ['propertiesPanel', 'translate'];

export const PropertiesPanelTranslationModule = {
  __init__: ['groupTranslation'],
  groupTranslation: ['type', GroupTranslation]
};
