"""The demo's working folder, made once for a test module and copied for each test.

A module defines ``base`` (the folder as its tests start from, made with
:func:`demo_folder`) and takes ``root`` (a fresh copy of it, tests/conftest.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbook_tools import demo


def demo_folder(factory: pytest.TempPathFactory, label: str) -> Path:
    """The demo's working folder: plan, forms, 21 returned files in ``inbox/``."""
    root = factory.mktemp(label) / "xa"
    demo.prepare(root)
    return root


def copy_of(base: Path, tmp_path: Path) -> Path:
    target = tmp_path / "xa"
    shutil.copytree(base, target)
    return target
