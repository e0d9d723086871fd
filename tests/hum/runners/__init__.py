"""Tests of `hum.runners` that share one Ray head (see conftest.py)."""
