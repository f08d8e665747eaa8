"""Scenario `national` (PostgreSQL only): its code and its sizes are in bench/province.py."""

from bench.province import NATIONAL_DATABASES as DATABASES
from bench.province import run_national as run

__all__ = ["DATABASES", "run"]
