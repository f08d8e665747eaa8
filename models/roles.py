"""The roles a user may hold: each key with its Vietnamese and English label (candidate groups in the diagrams
name these keys; the modeller offers them on user tasks; deploys refuse any other)."""

from __future__ import annotations

ROLES: dict[str, tuple[str, str]] = {
    "leader": ("Lãnh đạo", "Leader (head of unit)"),
    "deputy": ("Phó", "Deputy head"),
    "specialist": ("Chuyên viên", "Specialist"),
    "clerk": ("Văn thư", "Records clerk"),
    "principal": ("Hiệu trưởng", "Principal"),
    "staff": ("Cán bộ, giáo viên", "Staff / teacher"),
    "police": ("Cán bộ công an", "Police officer"),
    "admin": ("Quản trị hệ thống", "System administrator"),
}

ROLE_KEYS: frozenset[str] = frozenset(ROLES)
