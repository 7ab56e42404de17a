"""Registers every command module on the ``wbt`` group (one import a step)."""

from workbook_tools.cli import forms as _forms  # noqa: F401
from workbook_tools.cli import inbox as _inbox  # noqa: F401
from workbook_tools.cli import init as _init  # noqa: F401
from workbook_tools.cli import lock as _lock  # noqa: F401
from workbook_tools.cli import mail as _mail  # noqa: F401
from workbook_tools.cli import merge as _merge  # noqa: F401
from workbook_tools.cli import plan as _plan  # noqa: F401
