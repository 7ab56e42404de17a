"""Build the sample plan workbook from its readable source.

    python -m workbook_tools.plan.build [OUTPUT]

writes ``templates/kehoach_2024.xlsx`` (or OUTPUT) from
``workbook_tools/sample/kehoach_2024.toml``, after checking the source with the
same validator that ``wbt plan check`` uses. The TOML is what is reviewed; the
workbook is rebuilt from it, and a test fails when the two drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

from workbook_tools.plan import SAMPLE_NAME, sample_tables
from workbook_tools.plan.validate import validate
from workbook_tools.plan.writer import write_plan_file

DEFAULT_OUTPUT = Path("templates") / f"{SAMPLE_NAME}.xlsx"


def build_sample(output: Path = DEFAULT_OUTPUT) -> Path:
    """Check the packaged sample source and write its workbook to ``output``."""
    tables = sample_tables()
    validate(tables)  # a broken source must not become a shipped workbook
    write_plan_file(tables, output)
    return output


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = build_sample(Path(args[0]) if args else DEFAULT_OUTPUT)
    print(f"Đã ghi {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
