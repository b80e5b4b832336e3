"""Test support shared by every test module (importable as ``support``: pytest pythonpath)."""
