"""Canonical JSON of a task's row and data (sorted keys, no spaces, UTF-8 text), and its hash.

A multi-instance over N items carries long lists at every step: the collection in its task's data and in the
data of each instance's task, the outputs collected so far, the N child ids and the merged ids in its row. Most
of them are the lists the last step wrote. `CanonicalText` keeps the text of the last long list of strings seen
at each place (a key path) and reuses it when the list is still equal (a C-speed comparison; two lists of
strings are equal only when their items are the same strings, so their JSON is the same), making only what
changed into text again (only the new items when the list grew at its end: the outputs collected). The text is
byte for byte `canonical_json`'s.
"""

from __future__ import annotations

import hashlib
import json

LONG = 64  # items from which a list of strings is remembered with its text


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)  # json.dumps made one a call


def canonical_json(value) -> str:
    return _ENCODER.encode(value)


def data_hash(data_json: str) -> str:
    return hashlib.sha256(data_json.encode()).hexdigest()


class CanonicalText:
    """`canonical_json` with the text of long lists of strings remembered per key path (one per instance)."""

    def __init__(self):
        self._lists: dict[tuple, tuple[list, str]] = {}

    def text(self, value, path: tuple = ()) -> str:
        if type(value) is dict and len(path) < 3 and _has_long_list(value) and all(type(k) is str for k in value):
            return "{" + ",".join(f"{canonical_json(k)}:{self.text(value[k], (*path, k))}" for k in sorted(value)) + "}"
        if type(value) is list and len(value) >= LONG:
            kept = self._lists.get(path)
            if kept is not None and kept[0] == value:  # kept[0] holds strings only: equal means the same strings
                return kept[1]
            if kept is not None and len(value) > len(kept[0]) and value[: len(kept[0])] == kept[0]:
                text = kept[1][:-1] + "," + canonical_json(value[len(kept[0]) :])[1:]  # grew at its end (outputs)
            else:
                text = canonical_json(value)
            if set(map(type, value)) == {str}:
                self._lists[path] = (list(value), text)
            return text
        return canonical_json(value)


def _has_long_list(value: dict, depth: int = 0) -> bool:
    """Whether a long list is among the dict's values, or theirs (the rows' internal data: merged ids)."""
    for item in value.values():
        kind = type(item)
        if (kind is list and len(item) >= LONG) or (kind is dict and depth == 0 and _has_long_list(item, 1)):
            return True
    return False


__all__ = ["CanonicalText", "canonical_json", "data_hash"]
