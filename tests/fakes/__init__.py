"""Test doubles importable by stage scripts run in a subprocess (via PYTHONPATH)."""
