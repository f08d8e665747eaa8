"""Circular 124/2021/TT-BCA, “An toàn về an ninh, trật tự”: the yearly recognition of schools. `HANDLERS` (service
name → handler) is what the core engine registers."""

from engine.tt124.handlers import HANDLERS

__all__ = ["HANDLERS"]
