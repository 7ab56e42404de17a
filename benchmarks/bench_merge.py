"""How long ``wbt merge`` takes per returned file, for a roster of thousands.

Builds a working folder whose plan has a roster of N entries (the sample
plan's 10 units, the rest villages), generates the forms of 6T-2024 and fills
them as the demo scenario does, with the usual share of trouble: late and
missing reports, wrong and guessed values, corrected resends, byte-identical
copies and two files that are not workbooks. The folder is kept in a cache
keyed by N, so a second run starts timing at once.

Then, in the same run, it times

- ``wbt merge`` itself, in a child process (start-up, reading the plan
  workbook, reading and checking every file, consolidating, writing the
  report), each round with a fresh arrival ledger; its peak memory is the
  child's own ``ru_maxrss`` and, sampled, the sum over the child and any
  worker processes it starts;
- the naive loop, ``pandas.read_excel(path, engine="openpyxl",
  sheet_name=None)``, over an evenly spaced sample of the same files
  (timed in slices between the rounds of ``wbt merge``, so that both see
  the same machine), extrapolated per file;
- unless ``--no-phases``, each step of the merge through the library
  (``load_plan``, ``read_and_check`` with its worker processes reading and
  checking the forms, ``consolidate``, ``write_report``), to see where the
  time goes.

    python benchmarks/bench_merge.py                    # 2,000 entries
    python benchmarks/bench_merge.py --entries 500 --rounds 1 --naive-sample 50
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import workbook_tools
from workbook_tools import demo
from workbook_tools.consolidation import consolidate
from workbook_tools.forms import FormSpec, GeneratedForm, build_form, select_forms
from workbook_tools.forms.fill import fill_form
from workbook_tools.forms.layout import FormPlanner
from workbook_tools.inbox.scan import scan_inbox
from workbook_tools.pipeline import read_and_check
from workbook_tools.plan import SAMPLE_NAME, load_plan, load_sample_plan
from workbook_tools.plan.model import Kind, Plan
from workbook_tools.plan.tables import PlanTables, tables_from_mapping
from workbook_tools.plan.validate import validate
from workbook_tools.plan.writer import write_plan_file
from workbook_tools.report.write import write_report
from workbook_tools.workspace import LEDGER, Workspace

PERIOD = "6T-2024"
#: Targets on a 2-core machine.
TARGET_SPEEDUP = 10.0
TARGET_MS_PER_FILE = 2.0
TARGET_PEAK_MB = 500.0
#: Bump when the generated inbox changes, so cached folders are rebuilt.
INBOX_VERSION = 2
#: When the forms were generated and the files "saved from email".
GENERATED = datetime(2024, 5, 2, 8, 30)


# --- the working folder ---------------------------------------------------------


def roster_rows(count: int, units: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """``count`` roster rows: the sample's units, and villages T01, T02 … named Thôn 1, 2 …

    The sample's own villages keep their codes, so the demo scenario's late,
    missing and wrong reports (T03, T07, T09 …) happen here too.
    """
    villages = count - len(units)
    if villages < 12:
        raise SystemExit(f"--entries must be at least {12 + len(units)}")
    rows: list[dict[str, object]] = [
        {"code": f"T{i:02d}", "kind": str(Kind.VILLAGE), "name": f"Thôn {i}"}
        for i in range(1, villages + 1)
    ]
    return rows + [dict(u) for u in units]


def bench_tables(count: int) -> PlanTables:
    """The sample plan's tables with a roster of ``count`` entries."""
    source = resources.files("workbook_tools").joinpath(f"sample/{SAMPLE_NAME}.toml")
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    units = [r for r in data["roster"] if r["kind"] == str(Kind.UNIT)]
    data["roster"] = roster_rows(count, units)
    return tables_from_mapping(data, source=f"{SAMPLE_NAME}.toml")


def bench_scenario(plan: Plan) -> tuple[demo.Scenario, set[str]]:
    """The demo scenario, with its kinds of trouble spread over the whole roster.

    Returns the scenario and the codes whose file is also saved a second
    time under another name (a byte-identical copy).
    """
    scenario = demo.load_scenario()
    own = {e.code for e in load_sample_plan().roster}
    extra = [e.code for e in plan.villages if e.code not in own]
    missing = tuple(c for i, c in enumerate(extra) if i % 61 == 30)
    late_time = datetime(2024, 6, 17, 14, 0)
    files: list[dict[str, object]] = []
    for i, code in enumerate(extra):
        if code in missing:
            continue
        name = f"6T-2024_{code}.xlsx"
        if i % 37 == 5:
            files.append({"unit": code, "name": name, "arrival": late_time})
        elif i % 53 == 7:  # error: a part greater than its whole
            files.append({"unit": code, "name": name, "values": {"ld_tong": 5, "ld_duoc_tt": 9}})
        elif i % 71 == 9:  # warning: plan built, no number given
            files.append(
                {"unit": code, "name": name, "values": {"kh_xay_dung": "co", "kh_so_ngay": ""}}
            )
        elif i % 29 == 11:  # numbers typed as text
            files.append(
                {"unit": code, "name": name, "values": {"tt_luot_nguoi": "1.250", "tt_loa": " 8 "}}
            )
        elif i % 89 == 13:  # sent, then sent again corrected
            first = datetime(2024, 6, 6, 9, 0) + timedelta(minutes=i)
            files.append(
                {"unit": code, "name": f"6T-2024_{code} (lan 1).xlsx", "arrival": first,
                 "values": {"ld_tong": 4, "ld_duoc_tt": 6}}
            )  # fmt: skip
            files.append(
                {"unit": code, "name": f"6T-2024_{code} (lan 2).xlsx",
                 "arrival": first + timedelta(days=2)}
            )  # fmt: skip
    copies = {c for i, c in enumerate(extra) if i % 101 == 17 and c not in missing}
    scenario = dataclasses.replace(
        scenario, missing=scenario.missing + missing, files=scenario.files + tuple(files)
    )
    return scenario, copies


# Each worker lays out forms with its own planner, and keeps a unit's blank
# form while its files (a resend) are filled.
_planner: FormPlanner | None = None
_blanks: dict[str, bytes] = {}


def _start_worker(plan: Plan) -> None:
    global _planner
    _planner = FormPlanner(plan, PERIOD)


def _fill(job: tuple[FormSpec, dict[str, object]]) -> bytes:
    spec, values = job
    assert _planner is not None
    blank = _blanks.get(spec.entry.code)
    if blank is None:
        _blanks.clear()
        blank = build_form(_planner, spec, GENERATED).content
        _blanks[spec.entry.code] = blank
    return fill_form(blank, values)


def cache_key(count: int) -> str:
    """What the cached inbox depends on: N, this generator, the sample plan and scenario.

    Not on the code of the forms step: a form generated by an older version
    is still a returned form (``--fresh`` rebuilds the folder).
    """
    digest = hashlib.sha256(f"{count}/{INBOX_VERSION}/{workbook_tools.__version__}".encode())
    for name in (f"{SAMPLE_NAME}.toml", demo.SCENARIO):
        digest.update(resources.files("workbook_tools").joinpath(f"sample/{name}").read_bytes())
    return f"n{count}-{digest.hexdigest()[:12]}"


def build_workspace(root: Path, count: int, workers: int) -> None:
    """Plan workbook, forms and filled inbox of a roster of ``count`` entries, in ``root``."""
    tables = bench_tables(count)
    plan = validate(tables)
    ws = Workspace(root)
    write_plan_file(tables, ws.templates / f"{SAMPLE_NAME}.xlsx")
    specs = {spec.entry.code: spec for spec in select_forms(plan, PERIOD)}
    # Who returns what needs only each form's unit and file name.
    unbuilt = [GeneratedForm(s.entry, s.filename, b"") for s in specs.values()]
    scenario, copies = bench_scenario(plan)
    returned = demo.returned_files(plan, scenario, unbuilt)
    jobs = [(specs[f.unit], f.values) for f in returned]
    ws.inbox.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(plan,)) as pool:
        filled = pool.map(_fill, jobs, chunksize=16)
        for f, content in zip(returned, filled, strict=True):
            names = [f.name] + ([f"Copy of {f.name}"] if f.unit in copies else [])
            for name in names:
                path = ws.inbox / name
                path.write_bytes(content)
                os.utime(path, (f.arrival.timestamp(), f.arrival.timestamp()))
    # Files that are not workbooks at all: a scan, and a note saved into the inbox.
    (ws.inbox / "scan_bien_ban.pdf").write_bytes(b"%PDF-1.4\n% not a form\n")
    (ws.inbox / "ghi chu.txt").write_text("Thôn 5 gửi lại bản sửa.\n", encoding="utf-8")


def workspace_for(count: int, workers: int, cache: Path, fresh: bool) -> Path:
    """The cached working folder for ``count`` entries, built first if needed."""
    root = cache / cache_key(count)
    done = root / "built.json"
    if fresh and root.exists():
        shutil.rmtree(root)
    if not done.is_file():
        if root.exists():
            shutil.rmtree(root)  # a build that was interrupted
        print(f"Building the working folder for {count} entries in {root} …", flush=True)
        started = time.perf_counter()
        build_workspace(root, count, workers)
        done.write_text(json.dumps({"entries": count}), encoding="utf-8")
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return root


# --- wbt merge in a child process -------------------------------------------------


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants now, in KiB (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as kids:
                    stack.extend(int(k) for k in kids.read().split())
        except (OSError, ValueError):
            continue  # the process ended while being looked at
    return total


@dataclasses.dataclass
class MergeRun:
    seconds: float
    cpu_seconds: float  # user + system, the child and the workers it waited for
    max_rss_mb: float  # the largest single process (child or a worker it waited for)
    tree_rss_mb: float  # sampled sum over the process tree
    output: str


def child_environment(cache: Path) -> dict[str, str]:
    """The environment of ``wbt merge``: bytecode cached, as in an installed package.

    A development shell may turn bytecode writing off; the child would then
    compile every module on every run, which no officer's installation does.
    The bytecode goes to the benchmark's cache, not into the source tree.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache / "pycache")
    return env


def run_merge(root: Path, env: dict[str, str]) -> MergeRun:
    """``wbt merge --period 6T-2024`` in ``root``, with a fresh ledger and outbox."""
    (root / LEDGER).unlink(missing_ok=True)
    shutil.rmtree(root / "outbox", ignore_errors=True)
    command = [sys.executable, "-m", "workbook_tools", "merge", "--period", PERIOD]
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
        peak = 0
        finished = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not finished.wait(0.02):
                peak = max(peak, _tree_rss_kib(child.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        finished.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode("utf-8", errors="replace")
    if child.returncode != 0:
        raise SystemExit(f"wbt merge failed ({child.returncode}):\n{output}")
    max_rss = usage.ru_maxrss / 1024  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    return MergeRun(seconds, cpu, max_rss, max(peak / 1024, max_rss), output)


# --- the naive loop ------------------------------------------------------------------


def naive_seconds(paths: Sequence[Path]) -> float:
    """Seconds for ``pandas.read_excel(engine="openpyxl", sheet_name=None)`` on each path."""
    import pandas as pd

    started = time.perf_counter()
    for path in paths:
        pd.read_excel(path, engine="openpyxl", sheet_name=None)
    return time.perf_counter() - started


def spaced(items: Sequence[Path], count: int) -> list[Path]:
    """``count`` items spread evenly over ``items``."""
    if count >= len(items):
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


# --- the steps in this process ---------------------------------------------------------


def run_phases(root: Path) -> dict[str, float]:
    """Each step of the merge, through the library, in this process: seconds by step."""
    ws = Workspace(root)
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        now = datetime.now().replace(microsecond=0)
        started = time.perf_counter()
        plan = load_plan(ws.find_plan())
        times["load_plan"] = time.perf_counter() - started
        started = time.perf_counter()
        result = read_and_check(plan, plan.period(PERIOD), ws.inbox, Path(tmp) / LEDGER, now=now)
        times["read_and_check"] = time.perf_counter() - started
        started = time.perf_counter()
        consolidation = consolidate(plan, PERIOD, result, generated_at=now)
        times["consolidate"] = time.perf_counter() - started
        started = time.perf_counter()
        write_report(consolidation, Path(tmp) / PERIOD)
        times["write_report"] = time.perf_counter() - started
    return times


# --- main ---------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000, help="roster entries (forms)")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of wbt merge")
    parser.add_argument(
        "--naive-sample", type=int, default=200, help="files read by the naive loop"
    )
    parser.add_argument("--no-phases", action="store_true", help="skip the per-step timing")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "wbt-bench-merge",
        help="where generated working folders are kept",
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the working folder")
    args = parser.parse_args()

    workers = os.cpu_count() or 1
    root = workspace_for(args.entries, workers, args.cache, args.fresh)
    files = scan_inbox(root / "inbox")
    books = [p for p in files if p.suffix == ".xlsx"]
    size = sum(p.stat().st_size for p in files) / 2**20
    print(
        f"Roster of {args.entries} entries; inbox of {len(files)} files "
        f"({len(books)} workbooks, {size:.1f} MB); {os.cpu_count()} CPUs; folder {root}"
    )

    env = child_environment(args.cache)
    # Untimed: compiles the bytecode of every module merge imports (pandas and
    # xlsxwriter too) once, and warms the file cache.
    warm = "import workbook_tools.cli, workbook_tools.report.write"
    subprocess.run([sys.executable, "-c", warm], env=env, check=True)
    sample = spaced(books, args.naive_sample)
    naive_seconds(sample[:1])  # untimed: imports pandas' openpyxl reader
    rounds = max(1, args.rounds)
    slices = [sample[i::rounds] for i in range(rounds)]
    load = os.getloadavg()[0]
    runs: list[MergeRun] = []
    naive = 0.0
    for part in slices:
        runs.append(run_merge(root, env))
        naive += naive_seconds(part)
    seconds = [r.seconds for r in runs]
    median = statistics.median(seconds)
    merge_ms = median / len(files) * 1000
    peak = max(max(r.max_rss_mb, r.tree_rss_mb) for r in runs)
    summary = [line for line in runs[-1].output.splitlines() if line.startswith("Đã nộp")]
    print(
        f"wbt merge (child process, fresh ledger), {len(runs)} run(s): "
        + ", ".join(f"{s:.2f} s" for s in seconds)
    )
    print(
        f"  median {median:.2f} s = {merge_ms:.2f} ms per file, end to end "
        f"(best {min(seconds) / len(files) * 1000:.2f} ms)"
    )
    cpu = statistics.median(r.cpu_seconds for r in runs)
    print(
        f"  CPU time (user + system, with worker processes): median {cpu:.2f} s; "
        f"load average before the runs {load:.1f}, after {os.getloadavg()[0]:.1f} "
        f"(other programs share the CPUs when it is above 0)"
    )
    print(
        f"  peak memory: {max(r.max_rss_mb for r in runs):.0f} MB largest process, "
        f"{max(r.tree_rss_mb for r in runs):.0f} MB whole process tree (sampled)"
    )
    if summary:
        print(f"  {summary[0]}")

    naive_ms = naive / len(sample) * 1000
    print(
        f'Naive loop, pandas.read_excel(engine="openpyxl", sheet_name=None): '
        f"{naive_ms:.1f} ms per file, timed on {len(sample)} of {len(books)} workbooks "
        f"between the rounds (the whole inbox: {naive_ms * len(files) / 1000:.0f} s, extrapolated)"
    )
    speedup = naive_ms / merge_ms
    print(f"Speed-up of wbt merge over the naive loop: {speedup:.1f}x")

    if not args.no_phases:
        phases = run_phases(root)
        total = sum(phases.values())
        print(f"Steps through the library (read_and_check with its workers), {total:.2f} s in all:")
        for label, spent in phases.items():
            print(f"  {label:<14} {spent:6.2f} s  {spent / len(files) * 1000:6.2f} ms per file")

    print("Targets:")
    print(f"  at least {TARGET_SPEEDUP:.0f}x faster than the naive loop: "
          f"{speedup:.1f}x  {verdict(speedup >= TARGET_SPEEDUP)}")  # fmt: skip
    print(f"  at most {TARGET_MS_PER_FILE:.0f} ms per file end to end: "
          f"{merge_ms:.2f} ms  {verdict(merge_ms <= TARGET_MS_PER_FILE)}")  # fmt: skip
    print(f"  peak memory under {TARGET_PEAK_MB:.0f} MB: "
          f"{peak:.0f} MB  {verdict(peak < TARGET_PEAK_MB)}")  # fmt: skip


if __name__ == "__main__":
    main()
