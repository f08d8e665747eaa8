// A properties-panel group on user tasks that offers Cascade's roles as checkboxes. Each box adds or
// removes the plain role in camunda:candidateGroups; entries with a scope (`specialist@sender`) stay as
// written and are edited in the Camunda "User assignment" group's text field.

import { CheckboxEntry, Group, isCheckboxEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

function groupsOf(businessObject) {
  return (businessObject.get('camunda:candidateGroups') || '')
    .split(',')
    .map(g => g.trim())
    .filter(Boolean);
}

function RoleCheckbox(props) {
  const { element, id, role, label } = props;
  const commandStack = useService('commandStack');
  const businessObject = getBusinessObject(element);
  const getValue = () => groupsOf(businessObject).includes(role);
  const setValue = checked => {
    const groups = groupsOf(businessObject).filter(g => g !== role);
    if (checked) {
      groups.push(role);
    }
    commandStack.execute('element.updateModdleProperties', {
      element,
      moddleElement: businessObject,
      properties: { 'camunda:candidateGroups': groups.length ? groups.join(',') : undefined }
    });
  };
  return CheckboxEntry({ element, id, label, getValue, setValue });
}

export function CascadeRolesProvider(propertiesPanel, translate, roles) {
  this._roles = Array.isArray(roles) ? roles : [];
  this._translate = translate;
  propertiesPanel.registerProvider(400, this);
}

CascadeRolesProvider.$inject = ['propertiesPanel', 'translate', 'config.cascadeRoles'];

CascadeRolesProvider.prototype.getGroups = function(element) {
  return groups => {
    if (!is(element, 'bpmn:UserTask') || !this._roles.length) {
      return groups;
    }
    const group = {
      id: 'CascadeRoles',
      label: this._translate('Cascade roles'),
      component: Group,
      entries: this._roles.map(r => ({
        id: `cascadeRole-${r.id}`,
        role: r.id,
        label: `${r.label} (${r.id})`,
        component: RoleCheckbox,
        isEdited: isCheckboxEntryEdited
      }))
    };
    const at = groups.findIndex(g => g.id === 'CamundaPlatform__UserAssignment');
    groups.splice(at < 0 ? groups.length : at + 1, 0, group);
    return groups;
  };
};

export default {
  __init__: ['cascadeRolesProvider'],
  cascadeRolesProvider: ['type', CascadeRolesProvider]
};
