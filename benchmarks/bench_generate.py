"""How long ``wbt generate`` takes per form, for a roster of thousands.

The roster is the sample plan's, replicated: every copy of a village or unit
gets the fields and tasks of the one it copies, so each form is as large as a
real one. Prints milliseconds per form for building (layout and bytes, in one
process), for writing the files, and for the whole run as ``wbt generate``
does it (built in as many processes as the machine has cores). CPU times are
printed beside wall times: on a busy machine they say more. Unix only.

    python benchmarks/bench_generate.py            # 2,000 forms
    python benchmarks/bench_generate.py --count 500 --workers 1
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from workbook_tools.forms import (
    GeneratedForm,
    build_form,
    generate_forms,
    select_forms,
    write_generated,
)
from workbook_tools.forms.layout import FormPlanner
from workbook_tools.plan import load_sample_plan
from workbook_tools.plan.model import Plan
from workbook_tools.workers import worker_count

PERIOD = "6T-2024"
TARGET_MS = 10.0
BATCH = 100


def replicated_plan(count: int) -> Plan:
    """The sample plan with ``count`` roster entries: groups of copies of the sample's own.

    Each group copies the 22 villages and units and the plan's tasks among
    them, so every form is as large as the sample's (a task lists its own
    group's units only, as in a real plan).
    """
    plan = load_sample_plan()
    originals = plan.roster
    groups = -(-count // len(originals))

    def code_in(code: str, group: int) -> str:
        return code if group == 0 else f"{code}{group:03d}"

    roster = [
        replace(e, code=code_in(e.code, g), name=f"{e.name} ({g})" if g else e.name)
        for g in range(groups)
        for e in originals
    ][:count]
    own = {e.code for e in originals}
    fields = tuple(
        replace(
            f,
            forms=f.forms
            + tuple(code_in(c, g) for g in range(1, groups) for c in f.forms if c in own),
        )
        for f in plan.fields
    )
    tasks = tuple(
        replace(
            t,
            code=t.code if g == 0 else f"{t.code}g{g}",
            lead=None if t.lead is None else code_in(t.lead, g),  # None: the UBND xã leads
            advisors=tuple(code_in(c, g) for c in t.advisors),
            support=tuple(code_in(c, g) for c in t.support),
        )
        for g in range(groups)
        for t in plan.tasks
    )
    return replace(plan, roster=tuple(roster), fields=fields, tasks=tasks, _by_code={})


def _cpu_with_workers() -> float:
    """CPU seconds of this process and of its finished worker processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="roster entries (forms)")
    parser.add_argument("--workers", type=int, default=None, help="processes for the full run")
    args = parser.parse_args()

    plan = replicated_plan(args.count)
    specs = select_forms(plan, PERIOD)
    now = datetime(2024, 5, 2, 8, 30)
    workers = args.workers or worker_count(len(specs))
    inputs = [len(plan.fields_for(e)) for e in plan.roster[:22]]
    print(f"{len(specs)} forms of {min(inputs)}–{max(inputs)} inputs each, {os.cpu_count()} CPUs")

    planner = FormPlanner(plan, PERIOD)
    for spec in specs[:22]:  # warm up: imports, caches
        build_form(planner, spec, now)

    # Timed in batches: on a shared machine the median batch says more than the mean.
    built: list[GeneratedForm] = []
    batches: list[float] = []
    wall, cpu = time.perf_counter(), time.process_time()
    for first in range(0, len(specs), BATCH):
        start = time.perf_counter()
        batch = specs[first : first + BATCH]
        built.extend(build_form(planner, spec, now) for spec in batch)
        batches.append((time.perf_counter() - start) / len(batch) * 1000)
    build_wall = (time.perf_counter() - wall) / len(specs) * 1000
    build_cpu = (time.process_time() - cpu) / len(specs) * 1000

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bieu_mau"
        start = time.perf_counter()
        for form in built:
            write_generated(form, folder)
        write_ms = (time.perf_counter() - start) / len(specs) * 1000

        start, cpu = time.perf_counter(), _cpu_with_workers()
        with generate_forms(plan, specs, Path(tmp) / "run", now, workers) as paths:
            for _ in paths:
                pass
        run_ms = (time.perf_counter() - start) / len(specs) * 1000
        run_cpu = (_cpu_with_workers() - cpu) / len(specs) * 1000

    kb = sum(len(f.content) for f in built) / len(built) / 1024
    print(
        f"build (layout + bytes), 1 process: {build_wall:6.2f} ms/form ({build_cpu:.2f} ms CPU; "
        f"batches of {BATCH}: median {statistics.median(batches):.2f}, best {min(batches):.2f})"
    )
    print(f"write (atomic, to disk):           {write_ms:6.2f} ms/form ({kb:.1f} KiB a form)")
    print(
        f"whole run, {workers} process(es):       {run_ms:6.2f} ms/form "
        f"({run_cpu:.2f} ms CPU, all processes)"
    )
    verdict = "within" if run_ms <= TARGET_MS else "ABOVE"
    print(f"target {TARGET_MS:.0f} ms/form: {verdict}")


if __name__ == "__main__":
    main()
