"""Registers every command module on the ``wbt`` group (one import a step)."""
