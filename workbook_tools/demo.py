"""The demo: one whole reporting cycle on the sample plan, in a new folder.

A working folder is made with the sample plan, the forms are generated, and
the villages and units "fill and return" them as the scenario
(``sample/demo_2024.toml``) says — one late, some missing, a few mistakes,
one sent twice — with the files' arrival times set as if saved from email.
The CLI then runs the real merge on that inbox. Nothing here names a field or
unit of the plan: the scenario is data.
"""

from __future__ import annotations

import os
import random
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path

from workbook_tools.errors import WorkspaceError
from workbook_tools.forms import GeneratedForm, build_forms, forms_folder, write_forms
from workbook_tools.plan import SAMPLE_NAME, sample_tables
from workbook_tools.plan.model import ALL_FORMS, STATUS_VALUES, YES, Field, FieldType, Plan
from workbook_tools.plan.model import RosterEntry as Entry
from workbook_tools.plan.validate import validate
from workbook_tools.plan.writer import write_plan_file
from workbook_tools.workspace import Workspace, run_lock, write_atomic

SCENARIO = "demo_2024.toml"


@dataclass(frozen=True)
class ReturnedFile:
    """A form as it comes back: its name in the inbox, content and arrival time."""

    unit: str
    name: str
    values: dict[str, object]
    arrival: datetime
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    period: str
    seed: int
    arrival_from: datetime
    arrival_to: datetime
    values: dict[str, dict[str, object]]  # selector (tatca, kind, code) -> field -> value
    missing: tuple[str, ...]
    files: tuple[dict[str, object], ...] = field(default=())


def load_scenario(text: str | None = None) -> Scenario:
    """The packaged scenario (or ``text``, a scenario in the same TOML form)."""
    if text is None:
        text = resources.files("workbook_tools").joinpath(f"sample/{SCENARIO}").read_text("utf-8")
    data = tomllib.loads(text)
    return Scenario(
        period=str(data["period"]),
        seed=int(data.get("seed", 0)),
        arrival_from=_as_datetime(data["arrival_from"]),
        arrival_to=_as_datetime(data["arrival_to"]),
        values={str(k): dict(v) for k, v in data.get("values", {}).items()},
        missing=tuple(str(m["unit"]) for m in data.get("missing", [])),
        files=tuple(dict(f) for f in data.get("files", [])),
    )


def returned_files(
    plan: Plan, scenario: Scenario, forms: Sequence[GeneratedForm]
) -> list[ReturnedFile]:
    """What comes back, computed (no file written): one or more files per answering entry."""
    rng = random.Random(scenario.seed)
    by_unit: dict[str, list[dict[str, object]]] = {}
    for spec in scenario.files:
        by_unit.setdefault(str(spec["unit"]), []).append(spec)
    out: list[ReturnedFile] = []
    for form in forms:
        entry = form.entry
        if entry.code in scenario.missing:
            continue
        base = _values_for(plan, entry, scenario, rng)
        for spec in by_unit.get(entry.code) or [{}]:
            values = dict(base)
            own: Mapping[str, object] = spec.get("values", {})  # type: ignore[assignment]
            values.update({k: _pick(v, rng) for k, v in own.items()})
            arrival = (
                _as_datetime(spec["arrival"])
                if "arrival" in spec
                else _random_time(rng, scenario.arrival_from, scenario.arrival_to)
            )
            out.append(
                ReturnedFile(
                    unit=entry.code,
                    name=str(spec.get("name", form.filename)),
                    values=values,
                    arrival=arrival,
                    note=str(spec.get("note", "")),
                )
            )
    return out


def fill(forms: Sequence[GeneratedForm], files: Sequence[ReturnedFile]) -> dict[str, bytes]:
    """The filled workbooks, by file name."""
    # Imported here: openpyxl is slow to import, and every wbt command imports this module.
    from workbook_tools.forms.fill import fill_form

    blank = {form.entry.code: form.content for form in forms}
    return {f.name: fill_form(blank[f.unit], f.values) for f in files}


def prepare(root: Path, now: datetime | None = None) -> tuple[Workspace, Plan, list[ReturnedFile]]:
    """Make the demo folder: plan, forms, and the returned files in ``inbox/``."""
    ws = Workspace(root.resolve())
    if ws.inbox.is_dir() and any(ws.inbox.iterdir()):
        raise WorkspaceError(
            f"Thư mục {ws.inbox} đã có tệp. Hãy chọn một thư mục mới cho bản chạy thử."
        )
    tables = sample_tables()
    plan = validate(tables)
    scenario = load_scenario()
    forms = build_forms(plan, scenario.period, now=now)
    files = returned_files(plan, scenario, forms)
    ws.root.mkdir(parents=True, exist_ok=True)
    with run_lock(ws.root):
        write_plan_file(tables, ws.templates / f"{SAMPLE_NAME}.xlsx")
        ws.inbox.mkdir(parents=True, exist_ok=True)
        ws.outbox.mkdir(parents=True, exist_ok=True)
        write_forms(forms, forms_folder(ws.period_outbox(scenario.period)))
        for name, content in fill(forms, files).items():
            write_atomic(ws.inbox / name, content)
        for f in files:
            stamp = f.arrival.timestamp()
            os.utime(ws.inbox / f.name, (stamp, stamp))
    return ws, plan, files


def _values_for(
    plan: Plan, entry: Entry, scenario: Scenario, rng: random.Random
) -> dict[str, object]:
    layers = [scenario.values.get(s, {}) for s in (ALL_FORMS, str(entry.kind), entry.code)]
    values: dict[str, object] = {}
    for f in plan.fields_for(entry):
        given = [layer[f.code] for layer in layers if f.code in layer]
        values[f.code] = _pick(given[-1], rng) if given else _by_type(f, rng)
    return values


def _by_type(f: Field, rng: random.Random) -> object:
    if f.type is FieldType.INT:
        return rng.randint(f.minimum or 0, min(f.maximum or 5, 5))
    if f.type is FieldType.YESNO:
        return YES
    if f.type is FieldType.STATUS:
        return rng.choice(STATUS_VALUES[:2])
    if f.type is FieldType.DATE:
        return None
    if f.task is not None:
        return "Đã phối hợp triển khai theo kế hoạch."
    return ""


def _pick(value: object, rng: random.Random) -> object:
    if isinstance(value, list):
        if len(value) == 2 and all(isinstance(v, int) for v in value):
            return rng.randint(int(value[0]), int(value[1]))
        return rng.choice(value) if value else None
    if value == "":
        return None
    return value


def _random_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = int((end - start).total_seconds())
    return datetime.fromtimestamp(start.timestamp() + rng.randint(0, span))


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(9, 0))
    raise WorkspaceError(f"Kịch bản chạy thử: '{value}' không phải ngày giờ.")
