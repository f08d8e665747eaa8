"""Use cases that are plain data administration, not workflow steps (drafts, notifications read, API tokens …).

Each function owns its unit of work: it changes rows and commits once; web/ views call one of them (or an engine
use case) and never commit themselves. One module per feature. A failure raises; web/errors.py rolls the
session back and answers.
"""

from __future__ import annotations


class Conflict(Exception):
    """Someone else changed the same rows at the same moment (a unique key was taken meanwhile); nothing was
    stored. web/errors.py answers 409."""
