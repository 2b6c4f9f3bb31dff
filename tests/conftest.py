"""Fixtures shared by every test; each lives in a tests/fix_*.py module."""

pytest_plugins = ["tests.fix_db", "tests.fix_server", "tests.fix_module_db"]
