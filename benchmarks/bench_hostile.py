"""What hostile and damaged files cost a real merge: the slowest file, and the peak memory.

Builds a working folder whose inbox holds every file of the hostile corpus
(tests/corpus.py) and the names a folder holds beside returns (``~$…``,
``Thumbs.db``), three valid filled forms, and, unless ``--no-large``, the
largest sheet the safety limits let through: a village's form with a million
values pasted below it. Then, in a fresh process (so that the figures are the
merge's own), it runs the merge as ``wbt merge`` does (read, check,
consolidate, write the report) and prints the time each file took to inspect
and read, and the process's peak memory (RSS, which counts what
python-calamine allocates outside Python).

    python benchmarks/bench_hostile.py                       # the table
    python benchmarks/bench_hostile.py --json                # the figures, as JSON
    python benchmarks/bench_hostile.py --memory-limit 1536   # the merge within 1.5 GB

With ``--memory-limit`` the merging process may not map more than that many
MB: a reader asking for more fails there (python-calamine aborts the process)
instead of taking the machine's memory.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.*

PERIOD = "6T-2024"
NOW = datetime(2024, 6, 25, 9, 0)
LARGE = "nhieu_gia_tri.xlsx"  # the largest sheet the limits let through


def _rss_mb() -> float:
    """This process's peak resident memory so far, in MB.

    From /proc where there is one: ``ru_maxrss`` of a process started by
    another keeps the peak of the one that started it.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        import resource  # POSIX only

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    (line,) = [line for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(line.split()[1]) / 1024


def large_form(rows: int = 1000, columns: int = 1000) -> bytes:
    """A village's filled form with ``rows`` × ``columns`` numbers below it (about 24 MB of XML)."""
    from openpyxl.utils.cell import get_column_letter

    from tests.corpus import parts_of, rezip
    from tests.inbox_forms import VILLAGE, filled

    parts = parts_of(filled("T04", VILLAGE))
    sheet = "xl/worksheets/sheet1.xml"
    letters = [get_column_letter(c) for c in range(1, columns + 1)]
    first = 200  # below everything the form has
    block = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in letters) + "</row>"
        for r in range(first, first + rows)
    )
    parts[sheet] = parts[sheet].replace(b"</sheetData>", block.encode() + b"</sheetData>")
    return rezip(parts)


def build_inbox(root: Path, *, large: bool) -> dict[str, str]:
    """The working folder's inbox: the corpus, three valid forms, and the large sheet.

    Returns what each file is: ``hostile``, ``skipped``, ``valid`` or ``large``.
    """
    from tests.corpus import EXPECTED, SKIPPED, build_corpus
    from tests.inbox_forms import CA, ON_TIME, VILLAGE, filled, form_name, put

    inbox = root / "inbox"
    kinds: dict[str, str] = {}
    for name in build_corpus(inbox):
        kinds[name] = "skipped" if name in SKIPPED else "hostile"
        assert name in EXPECTED or name in SKIPPED
    for code, values in (("T01", VILLAGE), ("T02", VILLAGE), ("CA", CA)):
        put(inbox, form_name(code), filled(code, values), ON_TIME)
        kinds[form_name(code)] = "valid"
    if large:
        put(inbox, LARGE, large_form(), ON_TIME)
        kinds[LARGE] = "large"
    return kinds


def measure(root: Path, memory_limit_mb: int | None) -> dict[str, Any]:
    """Run the merge in this process; the figures as a dict (the ``--measure`` child)."""
    if memory_limit_mb is not None:
        import resource  # POSIX only: --memory-limit is not for Windows

        limit = memory_limit_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from workbook_tools.consolidation import consolidate
    from workbook_tools.pipeline import read_and_check
    from workbook_tools.plan import load_sample_plan
    from workbook_tools.report.write import write_report

    plan = load_sample_plan()
    start_rss = _rss_mb()
    files: list[dict[str, Any]] = []
    started = last = time.perf_counter()

    def progress(done: int, total: int, name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        files.append({"file": name, "seconds": now - last, "rss_mb": _rss_mb()})
        last = now

    result = read_and_check(
        plan,
        plan.period(PERIOD),
        root / "inbox",
        root / ".wbt-ledger.sqlite3",
        now=NOW,
        progress=progress,
    )
    read = time.perf_counter() - started
    paths = write_report(
        consolidate(plan, PERIOD, result, generated_at=NOW), root / "outbox" / PERIOD
    )
    total = time.perf_counter() - started
    return {
        "files": files,
        "start_rss_mb": start_rss,
        "peak_rss_mb": _rss_mb(),
        "read_seconds": read,
        "report_seconds": total - read,
        "total_seconds": total,
        "report": str(paths.workbook),
        "summary": str(paths.summary),
    }


def run(*, large: bool, memory_limit_mb: int | None, keep: Path | None) -> dict[str, Any]:
    """Build the folder, merge it in a child process, return the figures and what each file is."""
    root = keep or Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    try:
        kinds = build_inbox(root, large=large)
        command = [sys.executable, __file__, "--measure", str(root)]
        if memory_limit_mb is not None:
            command += ["--memory-limit", str(memory_limit_mb)]
        child = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
        if child.returncode != 0:
            raise SystemExit(f"the merge failed ({child.returncode}):\n{child.stderr[-3000:]}")
        figures: dict[str, Any] = json.loads(child.stdout)
        figures["kinds"] = kinds
        summary = json.loads(Path(figures["summary"]).read_text("utf-8"))
        figures["submissions"] = {s["file"]: s["status"] for s in summary["submissions"]}
        figures["received"] = summary["completeness"]["received"]
        by_file: dict[str, list[str]] = {}
        for problem in summary["problems"]:
            if problem["file"] is not None:
                by_file.setdefault(problem["file"], []).append(problem["code"])
        figures["problems"] = by_file
        return figures
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)


def print_table(figures: dict[str, Any]) -> None:
    files = sorted(figures["files"], key=lambda f: f["seconds"], reverse=True)
    kinds = figures["kinds"]
    print(f"Merge of {len(files)} files ({figures['received']} forms received):")
    print(
        f"  read and check {figures['read_seconds']:.2f} s, report "
        f"{figures['report_seconds']:.2f} s, total {figures['total_seconds']:.2f} s"
    )
    print(
        f"  peak memory (RSS) {figures['peak_rss_mb']:.0f} MB "
        f"({figures['start_rss_mb']:.0f} MB before the first file)"
    )
    print("Slowest files (inspect + read + check), and the RSS high-water mark after each:")
    for f in files[:10]:
        codes = ", ".join(figures["problems"].get(f["file"], [])) or "-"
        print(
            f"  {f['seconds'] * 1000:8.1f} ms  {f['rss_mb']:6.0f} MB  "
            f"{kinds.get(f['file'], '?'):8} {f['file']}  [{codes}]"
        )
    hostile = [f for f in files if kinds.get(f["file"]) == "hostile"]
    if hostile:
        worst = hostile[0]
        print(f"Slowest hostile file: {worst['file']} ({worst['seconds'] * 1000:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-large", action="store_true", help="leave out the million values")
    parser.add_argument("--memory-limit", type=int, metavar="MB", help="address space of the merge")
    parser.add_argument("--keep", type=Path, metavar="FOLDER", help="build and keep the folder")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child's side
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.memory_limit)))
        return
    figures = run(large=not args.no_large, memory_limit_mb=args.memory_limit, keep=args.keep)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print_table(figures)


if __name__ == "__main__":
    main()
