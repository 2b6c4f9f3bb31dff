"""Benchmark scripts: they print figures; speed targets live here, not in tests."""
