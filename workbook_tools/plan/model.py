"""The plan as plain data: what the plan workbook holds, once read and checked.

Nothing here names a field, unit or indicator of a particular year's plan:
those come from the plan workbook. The only conventions in code are generic:
roster kinds (village / unit), field types, the three roles a unit may hold
in a plan task (lead, advise, support) and the two fields each task gives to
the units that hold one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from enum import StrEnum
from fractions import Fraction

from workbook_tools.errors import UnknownPeriodError
from workbook_tools.numbers import target_text
from workbook_tools.plan.relative import RelativeTarget
from workbook_tools.problems import Problem
from workbook_tools.values import ALLOWED_VALUES, DEFAULT_DECIMALS, Value

# The value types are the plan's words too: re-exported for the plan's readers.
from workbook_tools.values import NO as NO
from workbook_tools.values import STATUS_VALUES as STATUS_VALUES
from workbook_tools.values import YES as YES
from workbook_tools.values import YESNO_VALUES as YESNO_VALUES
from workbook_tools.values import FieldType as FieldType


class Kind(StrEnum):
    """What a roster entry is. The values are what the plan workbook holds."""

    VILLAGE = "thon"
    UNIT = "donvi"


KIND_LABELS = {Kind.VILLAGE: "Thôn", Kind.UNIT: "Đơn vị"}

#: What the village-level group of the roster is called unless the plan says
#: (a ward's roster has "tổ dân phố", the south's "ấp"): setting ``village_label``.
DEFAULT_VILLAGE_LABEL = "thôn"

#: A form selector naming every roster entry (fields sheet, column "Biểu mẫu").
ALL_FORMS = "tatca"

#: The rules sheet's selector for a rule on the commune as a whole, across forms
#: ("the villages' tip-offs passed on are no more than the police received"): its
#: formulas read COUNT and SUM over the roster; it is checked once, at the merge.
COMMUNE_FORMS = "xa"


FIELD_TYPE_LABELS = {
    FieldType.INT: "số nguyên ≥ 0",
    FieldType.YESNO: "Có/Không",
    FieldType.STATUS: "Hoàn thành/Đang thực hiện/Chưa thực hiện",
    FieldType.TEXT: "chữ",
    FieldType.DATE: "ngày (dd/mm/yyyy)",
    FieldType.DECIMAL: "số thập phân ≥ 0",
    FieldType.MONEY: "số tiền (đồng) ≥ 0",
    FieldType.CHOICE: "một trong các lựa chọn của trường",
}

#: Constants the plan's formulas may name (rules and indicators alike): the
#: months of the period being reported, the plan's year, and the period's own
#: dates, so that one rule serves every period (a quarter, a half-year).
MONTHS_CONSTANT = "SO_THANG"
YEAR_CONSTANT = "NAM"
START_CONSTANT = "KY_BAT_DAU"  # the period's first day
END_CONSTANT = "KY_KET_THUC"  # the period's last day
UNIT_DEADLINE_CONSTANT = "HAN_NOP"  # villages and units report by this day
COMMUNE_DEADLINE_CONSTANT = "HAN_XA"  # the commune reports by this day
#: Each constant and the type of its value (the formulas are checked with it).
CONSTANT_TYPES: dict[str, FieldType] = {
    MONTHS_CONSTANT: FieldType.INT,
    YEAR_CONSTANT: FieldType.INT,
    START_CONSTANT: FieldType.DATE,
    END_CONSTANT: FieldType.DATE,
    UNIT_DEADLINE_CONSTANT: FieldType.DATE,
    COMMUNE_DEADLINE_CONSTANT: FieldType.DATE,
}
CONSTANTS = tuple(CONSTANT_TYPES)

#: Each plan task gives the units that lead, advise or support it these two fields.
TASK_STATUS_FIELD = "nv_{task}_tinh_trang"
TASK_RESULT_FIELD = "nv_{task}_ket_qua"

#: What the tasks sheet's lead column holds when the commune's People's
#: Committee itself leads a task ("Cơ quan chủ trì: UBND xã"). The commune is
#: no reporting unit: the task's advising and supporting units report on it.
COMMUNE_LEAD = "UBND xã"


class TaskRole(StrEnum):
    """The roles the plan gives a unit in a task, in the plan's own words."""

    LEAD = "chu_tri"  # "Đơn vị chủ trì"
    ADVISE = "tham_muu"  # "Bộ phận tham mưu": advises the UBND xã, which leads
    SUPPORT = "phoi_hop"  # "Bộ phận phối hợp"


TASK_ROLE_LABELS = {
    TaskRole.LEAD: "Chủ trì",
    TaskRole.ADVISE: "Tham mưu",
    TaskRole.SUPPORT: "Phối hợp",
}


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Comparator(StrEnum):
    AT_LEAST = ">="
    AT_MOST = "<="


#: How a comparator is shown to the officer.
COMPARATOR_SIGNS = {Comparator.AT_LEAST: "≥", Comparator.AT_MOST: "≤"}


#: Việt Nam's time (UTC+7, no daylight saving since 1975): the plan's time zone unless it says.
DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"

#: The checks against the peers and the past (settings outlier_k, outlier_min,
#: change_factor), unless the plan says: a village's figure is far from the other
#: villages' when it is more than OUTLIER_K robust deviations (MAD × 1.4826) from
#: their median and more than OUTLIER_MIN from it; far from its own previous period
#: when CHANGE_FACTOR times more or less than it, and more than OUTLIER_MIN apart.
DEFAULT_OUTLIER_K = Fraction(7, 2)
DEFAULT_OUTLIER_MIN = 10
DEFAULT_CHANGE_FACTOR = Fraction(5)


@dataclass(frozen=True, slots=True)
class Settings:
    """The plan's identity and the names printed on forms and reports."""

    plan_id: str  # stable id written into every form, e.g. "PCMD-TienNong-2024"
    version: str  # form version; bump when fields change
    year: int
    commune: str  # "Tiến Nông"
    district: str  # may be empty since the 2025 reform
    province: str
    report_to: str  # the body the consolidated report goes to
    plan_number: str  # "…/KH-UBND"
    plan_date: date | None
    plan_title: str
    report_title: str  # "Báo cáo kết quả thực hiện công tác …"
    signer_title: str  # "CHỦ TỊCH"
    signer_name: str
    #: The IANA time zone in which the units' deadline is a day: on time and late are
    #: judged there, not in the computer's. Optional in the workbook (older plans).
    time_zone: str = DEFAULT_TIME_ZONE
    #: What the roster's villages are called ("thôn", "tổ dân phố", "ấp"), lower case:
    #: every label the tool writes follows it ("8 tổ dân phố"). Optional (older plans).
    village_label: str = DEFAULT_VILLAGE_LABEL
    #: The "Lưu:" line under the report's receivers ("VT, VHXH"); empty: "VT" alone.
    archive: str = ""
    #: How far from the peers and from its own past a figure is asked about ("cần xác
    #: minh"): see DEFAULT_OUTLIER_K. Optional (older plans).
    outlier_k: Fraction = DEFAULT_OUTLIER_K
    outlier_min: int = DEFAULT_OUTLIER_MIN
    change_factor: Fraction = DEFAULT_CHANGE_FACTOR
    #: The commune's mail address forms are sent from (``wbt send``) and replies come
    #: to; the mail server's user name unless ``--user`` says another. Optional.
    sender_email: str = ""

    def kind_label(self, kind: Kind) -> str:
        """How a roster kind is named as a heading: "Tổ dân phố", "Đơn vị"."""
        if kind is Kind.VILLAGE:
            word = self.village_label or DEFAULT_VILLAGE_LABEL
            return word[:1].upper() + word[1:]
        return KIND_LABELS[kind]

    def kind_word(self, kind: Kind) -> str:
        """How a roster kind is named inside a sentence: "tổ dân phố", "đơn vị"."""
        if kind is Kind.VILLAGE:
            return self.village_label or DEFAULT_VILLAGE_LABEL
        return KIND_LABELS[kind].lower()

    @property
    def roster_words(self) -> str:
        """The roster's entries as a sentence names them: "thôn, đơn vị", "tổ dân phố, đơn vị"."""
        return f"{self.kind_word(Kind.VILLAGE)}, {self.kind_word(Kind.UNIT)}"

    @property
    def archive_line(self) -> str:
        """The report's "Lưu:" line: the office (VT) and where the plan says."""
        kept = self.archive.strip().removeprefix("Lưu:").strip().rstrip(".")
        return f"Lưu: {kept}." if kept else "Lưu: VT."


@dataclass(frozen=True, slots=True)
class Period:
    code: str  # "6T-2024"
    name: str  # "Báo cáo 6 tháng đầu năm 2024"
    months: int
    start: date
    end: date
    unit_deadline: date  # villages and units report by this day
    commune_deadline: date  # the commune sends its consolidated report by this day


@dataclass(frozen=True, slots=True)
class RosterEntry:
    code: str
    kind: Kind
    name: str
    contact: str = ""
    email: str = ""  # one address, or several separated by ';' or ','
    phone: str = ""

    @property
    def addresses(self) -> tuple[str, ...]:
        """The entry's mail addresses that are well formed (:func:`email_addresses`)."""
        return email_addresses(self.email)[0]


@dataclass(frozen=True, slots=True)
class Task:
    """A task of the plan (section II), with who leads, advises and supports it.

    ``lead`` is None when the UBND xã itself leads (:data:`COMMUNE_LEAD`): it has
    no form, and the advising and supporting units report the task. A unit holds
    one role in a task.
    """

    code: str  # "1a"
    section: str  # "II.1.a"
    title: str  # short title
    text: str  # the plan's own words
    lead: str | None  # roster code; None: the UBND xã
    support: tuple[str, ...]  # roster codes
    timeframe: str  # "Thường xuyên trong năm", "Quý I/2024"
    advisors: tuple[str, ...] = ()  # roster codes ("Bộ phận tham mưu")

    @property
    def status_field(self) -> str:
        return TASK_STATUS_FIELD.format(task=self.code)

    @property
    def result_field(self) -> str:
        return TASK_RESULT_FIELD.format(task=self.code)

    @property
    def units(self) -> tuple[str, ...]:
        """The units that report the task: the lead, the advisors, the supporters."""
        lead = () if self.lead is None else (self.lead,)
        return (*lead, *self.advisors, *self.support)

    def role_of(self, unit_code: str) -> TaskRole | None:
        """The role ``unit_code`` holds in the task; None if it holds none."""
        if unit_code == self.lead:
            return TaskRole.LEAD
        if unit_code in self.advisors:
            return TaskRole.ADVISE
        if unit_code in self.support:
            return TaskRole.SUPPORT
        return None

    def involves(self, unit_code: str) -> bool:
        return self.role_of(unit_code) is not None


@dataclass(frozen=True, slots=True)
class Field:
    """One input of a form. ``forms`` selects who gets it: ``tatca``, a kind or roster codes."""

    code: str
    forms: tuple[str, ...]
    section: str  # heading the field is grouped under on the form
    label: str
    type: FieldType
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    help: str = ""
    task: str | None = None  # set on the fields a plan task generates
    decimals: int | None = None  # ``decimal``: digits after the comma (None: DEFAULT_DECIMALS)
    choices: tuple[str, ...] = ()  # ``choice``: the values it takes, in dropdown order
    #: The figure adds up over the year ("Cộng dồn"): a later period of the year that
    #: covers an earlier one reports at least as much (a number field only).
    cumulative: bool = False

    @property
    def allowed(self) -> tuple[str, ...] | None:
        """The only values a yes/no, status or choice field takes; None for the other types."""
        if self.type is FieldType.CHOICE:
            return self.choices
        return ALLOWED_VALUES.get(self.type)

    @property
    def places(self) -> int:
        """Digits after the decimal comma: a decimal field's own, 0 for any other number."""
        if self.type is not FieldType.DECIMAL:
            return 0
        return DEFAULT_DECIMALS if self.decimals is None else self.decimals

    def applies_to(self, entry: RosterEntry) -> bool:
        return any(s in (ALL_FORMS, entry.kind, entry.code) for s in self.forms)


@dataclass(frozen=True, slots=True)
class Rule:
    """A condition a form's values must keep: ``check`` must hold whenever ``when`` does."""

    code: str
    forms: tuple[str, ...]
    severity: Severity
    check: str  # expression
    when: str | None  # expression, or None for always
    message: str  # Vietnamese, says how to fix
    fields: tuple[str, ...] = ()  # the fields the expressions name (cells to mark)

    def applies_to(self, entry: RosterEntry) -> bool:
        return not self.is_commune and any(
            s in (ALL_FORMS, entry.kind, entry.code) for s in self.forms
        )

    @property
    def is_commune(self) -> bool:
        """A rule on the commune as a whole (:data:`COMMUNE_FORMS`), not on one form."""
        return COMMUNE_FORMS in self.forms


@dataclass(frozen=True, slots=True)
class Indicator:
    """A target of the plan: ``numerator / denominator`` against ``target``."""

    code: str
    section: str  # "II.1.1"
    text: str
    numerator: str  # expression
    denominator: str | None  # expression; None: a count with no ratio
    target: Fraction | None  # exact, e.g. Fraction(95, 100); None: no target
    comparator: Comparator = Comparator.AT_LEAST
    unit_label: str = ""  # what the numerator counts ("thôn", "tin", "cơ sở")
    #: A target against an earlier report ("tăng ít nhất 10 % so với cùng kỳ"),
    #: instead of ``target`` (then None).
    relative: RelativeTarget | None = None

    @property
    def is_count(self) -> bool:
        """No denominator: the numerator itself is judged ("≥ 12 buổi"), not a ratio."""
        return self.denominator is None

    @property
    def target_shown(self) -> str:
        """The target as the officer wrote it: "≥ 95%", "≥ 110%", "≥ 12 buổi", "tăng ít nhất
        10% so với cùng kỳ năm trước"; "" if none."""
        if self.relative is not None:
            return self.relative.shown
        if self.target is None:
            return ""
        sign = COMPARATOR_SIGNS[self.comparator]
        if not self.is_count:
            return f"{sign} {target_text(self.target)}"
        english = f"{float(self.target):,.6f}".rstrip("0").rstrip(".")  # 1,500.5
        shown = english.replace(",", " ").replace(".", ",").replace(" ", ".")  # 1.500,5
        return f"{sign} {shown}" + (f" {self.unit_label}" if self.unit_label else "")


@dataclass(frozen=True)
class Plan:
    settings: Settings
    periods: tuple[Period, ...]
    roster: tuple[RosterEntry, ...]
    tasks: tuple[Task, ...]
    fields: tuple[Field, ...]  # the fields sheet, without the task fields
    rules: tuple[Rule, ...]
    indicators: tuple[Indicator, ...]
    source: str = ""  # where it was read from, for messages
    #: What ``wbt plan check`` warns of but does not stop a run for (a village with no
    #: email address): problem records of the catalogue.
    warnings: tuple[Problem, ...] = dataclass_field(default=(), compare=False)
    _by_code: dict[str, RosterEntry] = dataclass_field(
        default_factory=dict, repr=False, compare=False
    )
    # Each form's fields and rules, worked out once per kind of form (see
    # form_key): a run asks for them for every returned file. Not init
    # fields, so dataclasses.replace() starts a new plan with empty caches.
    _fields_of: dict[tuple[Kind, str], tuple[Field, ...]] = dataclass_field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _rules_of: dict[tuple[Kind, str], tuple[Rule, ...]] = dataclass_field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _named: frozenset[str] = dataclass_field(
        default=frozenset(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._by_code.update({e.code: e for e in self.roster})
        # The roster codes a field, rule or task names: only those entries'
        # forms differ from the others of their kind.
        named = {s for f in self.fields for s in f.forms}
        named.update(s for r in self.rules for s in r.forms)
        named.update(c for t in self.tasks for c in t.units)
        object.__setattr__(self, "_named", frozenset(named))

    def form_key(self, entry: RosterEntry) -> tuple[Kind, str]:
        """Entries with the same key have the same form: fields, rules and tasks."""
        return entry.kind, entry.code if entry.code in self._named else ""

    # --- look-ups -------------------------------------------------------------
    def period(self, code: str) -> Period:
        """The period ``code`` names, whatever its case and the spaces around it
        (" 6t-2024 " is 6T-2024); :class:`UnknownPeriodError` if the plan has none."""
        key = code.strip().casefold()
        for p in self.periods:
            if p.code.casefold() == key:
                return p
        raise UnknownPeriodError(code, [p.code for p in self.periods])

    def entry(self, code: str) -> RosterEntry:
        return self._by_code[code]

    @property
    def villages(self) -> tuple[RosterEntry, ...]:
        return tuple(e for e in self.roster if e.kind is Kind.VILLAGE)

    @property
    def units(self) -> tuple[RosterEntry, ...]:
        return tuple(e for e in self.roster if e.kind is Kind.UNIT)

    def task_fields(self, task: Task) -> tuple[Field, Field]:
        heading = f"Nhiệm vụ {task.section}: {task.title}"
        return (
            Field(
                code=task.status_field,
                forms=task.units,
                section=heading,
                label="Tình trạng thực hiện",
                type=FieldType.STATUS,
                task=task.code,
                help="Chọn Hoàn thành, Đang thực hiện hoặc Chưa thực hiện.",
            ),
            Field(
                code=task.result_field,
                forms=task.units,
                section=heading,
                label="Kết quả đã thực hiện (nêu cụ thể)",
                type=FieldType.TEXT,
                task=task.code,
                max_length=2000,
                help="Ghi ngắn gọn những việc đã làm, số liệu kèm theo.",
            ),
        )

    @property
    def all_fields(self) -> tuple[Field, ...]:
        """Every field of every form: the fields sheet, then each task's two fields."""
        out = list(self.fields)
        for task in self.tasks:
            out.extend(self.task_fields(task))
        return tuple(out)

    def field(self, code: str) -> Field:
        for f in self.all_fields:
            if f.code == code:
                return f
        raise KeyError(code)

    def fields_for(self, entry: RosterEntry) -> tuple[Field, ...]:
        """The fields of ``entry``'s form, in form order (task fields only for units)."""
        key = self.form_key(entry)
        found = self._fields_of.get(key)
        if found is None:
            found = self._fields_of[key] = self._fields_for(entry)
        return found

    def _fields_for(self, entry: RosterEntry) -> tuple[Field, ...]:
        own = [f for f in self.fields if f.applies_to(entry)]
        if entry.kind is Kind.UNIT:
            for task in self.tasks:
                if task.involves(entry.code):
                    own.extend(self.task_fields(task))
        return tuple(own)

    def tasks_for(self, entry: RosterEntry) -> tuple[Task, ...]:
        if entry.kind is not Kind.UNIT:
            return ()
        return tuple(t for t in self.tasks if t.involves(entry.code))

    @property
    def commune_rules(self) -> tuple[Rule, ...]:
        """The rules on the commune as a whole, checked at the merge over the roster."""
        return tuple(r for r in self.rules if r.is_commune)

    def rules_for(self, entry: RosterEntry) -> tuple[Rule, ...]:
        key = self.form_key(entry)
        found = self._rules_of.get(key)
        if found is None:
            codes = {f.code for f in self.fields_for(entry)}
            found = self._rules_of[key] = tuple(
                r for r in self.rules if r.applies_to(entry) and set(r.fields) <= codes
            )
        return found


def constants(plan: Plan, period: Period) -> dict[str, Value]:
    """The value of each of :data:`CONSTANTS` while ``period`` is reported."""
    return {
        MONTHS_CONSTANT: period.months,
        YEAR_CONSTANT: plan.settings.year,
        START_CONSTANT: period.start,
        END_CONSTANT: period.end,
        UNIT_DEADLINE_CONSTANT: period.unit_deadline,
        COMMUNE_DEADLINE_CONSTANT: period.commune_deadline,
    }


#: A mail address as the roster gives it: something@domain.tld, no space, no second "@".
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]+@{_LABEL}(?:\.{_LABEL})+$")


def email_addresses(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The well-formed addresses in a roster's email cell, and the malformed parts.

    Several addresses are separated by ';' or ',' (and spaces); a "Name <a@b.vn>" part
    gives its address. Letters with accents are not taken: mail programs in use refuse
    them in addresses.
    """
    good: list[str] = []
    bad: list[str] = []
    for part in re.split(r"[;,]", text):
        part = part.strip()
        if not part:
            continue
        inner = re.search(r"<([^<>]*)>\s*$", part)
        address = (inner.group(1) if inner else part).strip().strip(".")
        if _EMAIL.match(address) and ".." not in address:
            good.append(address)
        else:
            bad.append(part)
    return tuple(good), tuple(bad)


def codes(entries: Iterable[RosterEntry]) -> list[str]:
    return [e.code for e in entries]
