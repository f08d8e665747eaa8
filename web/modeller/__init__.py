"""Administrators redraw workflows in the browser and deploy them safely.

Admin-only pages (role `admin`; others get 403): the definitions and their versions (`definitions`), the bpmn-js
modeller's drafts, validation and deploy (`drafts`), the migration of running instances, preview then a
confirmed batch (`migration`), and the decision tables (DMN) in dmn-js (`decisions`). The instance diagram
(`diagram`: the instance's own version with the engine's state marked) is for everyone who may see the instance.

Deploying goes through `Cascade.deploy` (engine validation; hostile XML refused by engine/core/xmlsafe.py) after
bpmnlint (`web/modeller/lint.py`); nothing is stored when either refuses. Writes: `models/commands/modeller.py`.
"""

from __future__ import annotations

from web.modeller import decisions, definitions, diagram, drafts, migration
from web.modeller.blueprint import bp

__all__ = ["bp", "decisions", "definitions", "diagram", "drafts", "migration"]
