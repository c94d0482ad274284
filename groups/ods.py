"""NHS England's Organisation Data Service files: read them, then bring the database in line.

read_practices() and read_pcns() check a whole file and raise OdsFileError naming the bad
lines before anything is written; ods_import() then applies both files in one transaction
and records one audit event. The import creates and updates; it never deletes.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from django.db import connection, models, transaction
from openpyxl import load_workbook

from groups.models import ICS, PCN, Place, Practice, PracticePCNMembership, today
from icsvoice import audit
from icsvoice.errors import DomainError
from icsvoice.models import User

ICB_NAMES_FILE = Path(__file__).resolve().parent / "data" / "icb_names.csv"
EPRACCUR_COLUMNS = 27
GP_PRACTICE_SETTING = "4"
WELSH_GROUPING = "W00"
WELSH_ICB = "Q99"
DETAILS_SHEET = "PCN Details"
PARTNERS_SHEET = "PCN Core Partner Details"
# Located by header text rather than position: later files rename the CCG columns.
DETAILS_COLUMNS = {
    "code": "PCN Code",
    "name": "PCN Name",
    "opened_on": "Open Date",
    "closed_on": "Close Date",
    "postcode": "Postcode",
}
PARTNER_COLUMNS = {
    "practice_code": "Partner Organisation Code",
    "pcn_code": "PCN Code",
    "starts_on": "Practice to PCN Relationship Start Date",
    "ends_on": "Practice to PCN Relationship End Date",
}
MAX_REPORTED_PROBLEMS = 20
EXAMPLES = 5
BATCH_SIZE = 1000
PRACTICE_FIELDS = [
    "name",
    "postcode",
    "status",
    "opened_on",
    "closed_on",
    "ics",
    "sub_icb_code",
    "place",
]
PCN_FIELDS = ["name", "postcode", "opened_on", "closed_on", "ics"]

_SIGNATURES = {
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a zip archive (an Excel workbook?)",
    b"\xd0\xcf\x11\xe0": "an old-style Office document",
}
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


class OdsFileError(DomainError):
    """A file is not in the ODS layout it was given as; nothing was imported."""


class _Problems:
    """Collects what is wrong with a file, so one message names every bad line."""

    def __init__(self, source: str, kind: str) -> None:
        self.source, self.kind = source, kind
        self.found: list[str] = []
        self.count = 0

    def add(self, where: str, problem: str) -> None:
        self.count += 1
        if len(self.found) < MAX_REPORTED_PROBLEMS:
            self.found.append(f"{where}: {problem}")

    def raise_if_any(self) -> None:
        if not self.count:
            return
        more = self.count - len(self.found)
        tail = f"; and {more} more problem{'s' if more > 1 else ''}" if more else ""
        raise OdsFileError(
            f"{self.source} is not a valid {self.kind}: {'; '.join(self.found)}{tail}."
        )


def _date(value: object) -> dt.date | None:
    """YYYYMMDD as text or a number, or a spreadsheet date; raises ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if len(text) != 8 or not text.isdigit():
        raise ValueError(text)
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _text(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def _too_long(problems: _Problems, where: str, label: str, value: str, limit: int) -> None:
    if len(value) > limit:
        problems.add(where, f"{label} has {len(value)} characters; at most {limit} fit")


# --- epraccur.csv ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PracticeRow:
    line: int
    code: str
    name: str
    national_grouping: str
    icb_code: str
    postcode: str
    opened_on: dt.date | None
    closed_on: dt.date | None
    status: str
    sub_icb_code: str
    prescribing_setting: str

    @property
    def is_gp_practice(self) -> bool:
        return self.prescribing_setting == GP_PRACTICE_SETTING

    @property
    def is_welsh(self) -> bool:
        return self.national_grouping == WELSH_GROUPING or self.icb_code == WELSH_ICB


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise OdsFileError(f"{path} does not exist.") from None
    except OSError as error:
        raise OdsFileError(f"{path} could not be read: {error.strerror}.") from None
    if not data.strip():
        raise OdsFileError(f"{path} is empty.")
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            raise OdsFileError(f"{path} is {kind}, not a CSV file.")
    if len(data.translate(None, _CONTROL_BYTES)) != len(data):
        first = min(i for b in _CONTROL_BYTES if (i := data.find(bytes([b]))) >= 0)
        line = data.count(b"\n", 0, first) + 1
        raise OdsFileError(f"{path} is not a text file (binary data on line {line}).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # older ODS files; every byte is a character


def read_practices(path: Path) -> list[PracticeRow]:
    """Every row of an epraccur.csv; raises OdsFileError naming the bad lines."""
    problems = _Problems(str(path), "ODS practice file (epraccur.csv layout)")
    rows: list[PracticeRow] = []
    first_seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.add(f"line {reader.line_num}", f"not readable as CSV ({error})")
            continue
        where = f"line {reader.line_num}"
        if not any(value.strip() for value in fields):
            continue
        if len(fields) != EPRACCUR_COLUMNS:
            problems.add(where, f"expected {EPRACCUR_COLUMNS} columns, found {len(fields)}")
            continue
        row = _practice_row(reader.line_num, [value.strip() for value in fields], problems)
        if row is None:
            continue
        if row.code in first_seen:
            problems.add(where, f"practice {row.code} is already on line {first_seen[row.code]}")
            continue
        first_seen[row.code] = row.line
        rows.append(row)
    problems.raise_if_any()
    if not rows:
        raise OdsFileError(f"{path} has no practices in it.")
    return rows


def _practice_row(line: int, fields: list[str], problems: _Problems) -> PracticeRow | None:
    where, before = f"line {line}", problems.count
    dates: list[dt.date | None] = []
    for column, label in ((11, "open date"), (12, "close date")):
        try:
            dates.append(_date(fields[column - 1]))
        except ValueError:
            value = _text(fields[column - 1])[:40]
            problems.add(where, f'{label} (column {column}) "{value}" is not a YYYYMMDD date')
    row = PracticeRow(
        line=line,
        code=fields[0].upper(),
        name=_text(fields[1]),
        national_grouping=fields[2].upper(),
        icb_code=fields[3].upper(),
        postcode=fields[9].upper(),
        opened_on=dates[0] if len(dates) == 2 else None,
        closed_on=dates[1] if len(dates) == 2 else None,
        status=fields[12].upper(),
        sub_icb_code=fields[14].upper(),
        prescribing_setting=fields[25],
    )
    if not row.code:
        problems.add(where, "no organisation code in column 1")
    if row.status not in Practice.Status.values:
        value = _text(fields[12])[:40]
        problems.add(where, f'status (column 13) "{value}" is not one of A, C, D or P')
    if row.is_gp_practice and not row.is_welsh:  # what is stored must fit the columns
        if not row.name:
            problems.add(where, "no practice name in column 2")
        if not row.icb_code:
            problems.add(where, "no ICB code in column 4")
        _too_long(problems, where, "practice code", row.code, 6)
        _too_long(problems, where, "practice name", row.name, 200)
        _too_long(problems, where, "ICB code", row.icb_code, 5)
        _too_long(problems, where, "postcode", row.postcode, 8)
        _too_long(problems, where, "sub-ICB location code", row.sub_icb_code, 5)
    return row if problems.count == before else None


# --- ePCN.xlsx ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PcnRow:
    row: int
    code: str
    name: str
    postcode: str
    opened_on: dt.date | None
    closed_on: dt.date | None


@dataclass(frozen=True, slots=True)
class MembershipRow:
    row: int
    practice_code: str
    pcn_code: str
    starts_on: dt.date
    ends_on: dt.date | None


@dataclass(frozen=True)
class PcnFile:
    pcns: list[PcnRow]
    memberships: list[MembershipRow]


def read_pcns(path: Path) -> PcnFile:
    """Both sheets of an ePCN.xlsx; raises OdsFileError naming the sheet and rows at fault."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise OdsFileError(f"{path} does not exist.") from None
    except OSError as error:
        raise OdsFileError(f"{path} could not be read: {error.strerror}.") from None
    with handle:
        if not handle.read(1):
            raise OdsFileError(f"{path} is empty.")
        handle.seek(0)
        try:
            # A file object, so the contents decide and not the name's extension.
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception:  # openpyxl raises a dozen kinds for files that are not workbooks
            raise OdsFileError(f"{path} is not an Excel workbook (.xlsx).") from None
        try:
            missing = [s for s in (DETAILS_SHEET, PARTNERS_SHEET) if s not in workbook.sheetnames]
            if missing:
                raise OdsFileError(
                    f'{path} has no sheet named "{missing[0]}" (its sheets are: '
                    f"{', '.join(workbook.sheetnames)}), so it is not an ePCN workbook."
                )
            problems = _Problems(str(path), "ePCN workbook")
            pcns = _read_pcn_details(workbook[DETAILS_SHEET], problems)
            if not pcns and not problems.count:
                problems.add(f'sheet "{DETAILS_SHEET}"', "there are no PCNs below the header")
            memberships = _read_partners(workbook[PARTNERS_SHEET], problems)
        finally:
            workbook.close()
    problems.raise_if_any()
    return PcnFile(pcns=pcns, memberships=memberships)


def _sheet_rows(
    sheet: Any, columns: dict[str, str], problems: _Problems
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(row number, where, {key: cell value}) for each non-blank row below the header."""
    rows = sheet.iter_rows(values_only=True)
    header = [_text(value).casefold() for value in next(rows, None) or ()]
    positions: dict[str, int] = {}
    for key, title in columns.items():
        found = [i for i, text in enumerate(header) if text.startswith(title.casefold())]
        if not found:
            problems.add(f'sheet "{sheet.title}", row 1', f'no "{title}" column in the header')
        else:
            positions[key] = found[0]
    if len(positions) < len(columns):
        return
    for number, values in enumerate(rows, start=2):
        if all(_text(value) == "" for value in values):
            continue
        yield (
            number,
            f'sheet "{sheet.title}", row {number}',
            {key: values[i] if i < len(values) else None for key, i in positions.items()},
        )


def _sheet_date(problems: _Problems, where: str, label: str, value: object) -> dt.date | None:
    try:
        return _date(value)
    except ValueError:
        problems.add(where, f'{label} "{_text(value)[:40]}" is not a YYYYMMDD date')
        return None


def _read_pcn_details(sheet: Any, problems: _Problems) -> list[PcnRow]:
    pcns: list[PcnRow] = []
    first_seen: dict[str, int] = {}
    for number, where, cells in _sheet_rows(sheet, DETAILS_COLUMNS, problems):
        before = problems.count
        code, name = _text(cells["code"]).upper(), _text(cells["name"])
        postcode = _text(cells["postcode"]).upper()
        opened_on = _sheet_date(problems, where, "open date", cells["opened_on"])
        closed_on = _sheet_date(problems, where, "close date", cells["closed_on"])
        if not code or not name:
            problems.add(where, "a PCN needs both a code and a name")
        if code in first_seen:
            problems.add(where, f"PCN {code} is already on row {first_seen[code]}")
        _too_long(problems, where, "PCN code", code, 6)
        _too_long(problems, where, "PCN name", name, 200)
        _too_long(problems, where, "postcode", postcode, 8)
        if problems.count == before:
            first_seen[code] = number
            pcns.append(PcnRow(number, code, name, postcode, opened_on, closed_on))
    return pcns


def _read_partners(sheet: Any, problems: _Problems) -> list[MembershipRow]:
    memberships: list[MembershipRow] = []
    first_seen: dict[tuple[str, str, dt.date], int] = {}
    for number, where, cells in _sheet_rows(sheet, PARTNER_COLUMNS, problems):
        before = problems.count
        practice_code = _text(cells["practice_code"]).upper()
        pcn_code = _text(cells["pcn_code"]).upper()
        starts_on = _sheet_date(problems, where, "start date", cells["starts_on"])
        ends_on = _sheet_date(problems, where, "end date", cells["ends_on"])
        if not practice_code or not pcn_code:
            problems.add(where, "a membership needs both a practice code and a PCN code")
        if starts_on is None and problems.count == before:
            problems.add(where, "no relationship start date")
        if problems.count > before or starts_on is None:
            continue
        key = (practice_code, pcn_code, starts_on)
        if key in first_seen:
            problems.add(where, f"repeats row {first_seen[key]}")
            continue
        first_seen[key] = number
        memberships.append(MembershipRow(number, practice_code, pcn_code, starts_on, ends_on))
    return memberships


# --- The import -----------------------------------------------------------------------------


@functools.cache
def icb_names() -> dict[str, str]:
    """ICB code to the short ICS name we show, from groups/data/icb_names.csv."""
    with ICB_NAMES_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


@dataclass
class ImportReport:
    practices_file: str
    pcns_file: str | None = None
    icss_in_file: int = 0
    icss_created: int = 0
    unnamed_icb_codes: list[str] = field(default_factory=list)
    practices_created: int = 0
    practices_updated: int = 0
    practices_unchanged: int = 0
    active_english_practices: int = 0
    practices_not_in_file: int = 0
    practices_not_in_file_examples: list[str] = field(default_factory=list)
    welsh_skipped: int = 0
    welsh_active_skipped: int = 0
    closed_before_icbs_skipped: int = 0
    not_gp_skipped: int = 0
    pcns_created: int = 0
    pcns_updated: int = 0
    pcns_unchanged: int = 0
    pcns_not_in_file: int = 0
    memberships_created: int = 0
    memberships_updated: int = 0
    memberships_unchanged: int = 0
    memberships_unknown_practice: int = 0
    unknown_practice_examples: list[str] = field(default_factory=list)
    memberships_unknown_pcn: int = 0
    elapsed_seconds: float = 0.0

    @property
    def created(self) -> int:
        return (
            self.icss_created
            + self.practices_created
            + self.pcns_created
            + self.memberships_created
        )

    @property
    def updated(self) -> int:
        return self.practices_updated + self.pcns_updated + self.memberships_updated

    def payload(self) -> dict[str, Any]:
        return {**asdict(self), "created": self.created, "updated": self.updated}

    def lines(self) -> list[str]:
        """What the command prints: one line per kind of thing, then the totals."""
        out = [f"ICSs: {self.icss_in_file:,} in the file, {self.icss_created:,} created."]
        if self.unnamed_icb_codes:
            out.append(
                "ICB codes with no name in groups/data/icb_names.csv, named 'ICB <code>': "
                + ", ".join(self.unnamed_icb_codes)
            )
        out.append(
            f"Practices: {self.practices_created:,} created, {self.practices_updated:,} "
            f"updated, {self.practices_unchanged:,} unchanged; "
            f"{self.active_english_practices:,} active English GP practices in the file."
        )
        out.append(
            f"Skipped: {self.welsh_skipped:,} Welsh GP practices "
            f"({self.welsh_active_skipped:,} active), {self.closed_before_icbs_skipped:,} "
            f"closed before the current ICBs, {self.not_gp_skipped:,} not GP practices "
            "(other prescribing settings)."
        )
        if self.practices_not_in_file:
            out.append(
                f"{self.practices_not_in_file:,} practices in the database are not English GP "
                "practices in this file; left as they are (e.g. "
                f"{', '.join(self.practices_not_in_file_examples)})."
            )
        if self.pcns_file is not None:
            out.append(
                f"PCNs: {self.pcns_created:,} created, {self.pcns_updated:,} updated, "
                f"{self.pcns_unchanged:,} unchanged."
            )
            if self.pcns_not_in_file:
                out.append(
                    f"{self.pcns_not_in_file:,} PCNs in the database are not in this file; "
                    "left as they are."
                )
            out.append(
                f"Memberships: {self.memberships_created:,} created, "
                f"{self.memberships_updated:,} updated, {self.memberships_unchanged:,} "
                "unchanged."
            )
            if self.memberships_unknown_practice:
                out.append(
                    f"{self.memberships_unknown_practice:,} memberships skipped because their "
                    "practice is not in the database (e.g. "
                    f"{', '.join(self.unknown_practice_examples)})."
                )
            if self.memberships_unknown_pcn:
                out.append(
                    f"{self.memberships_unknown_pcn:,} memberships skipped because their PCN "
                    "is not in the PCN Details sheet."
                )
        out.append(
            f"Done: {self.created:,} created, {self.updated:,} updated "
            f"in {self.elapsed_seconds:.1f} s."
        )
        return out


def ods_import(
    *,
    practices_path: Path | str,
    pcns_path: Path | str | None = None,
    actor: User | None = None,
) -> ImportReport:
    """Reads the files whole, then in one transaction creates and updates ICSs, practices,
    PCNs and memberships and records `ods.imported`. Deletes nothing. Raises OdsFileError,
    having written nothing, when a file is not in its ODS layout."""
    started = time.perf_counter()
    practice_rows = read_practices(Path(practices_path))
    pcn_file = read_pcns(Path(pcns_path)) if pcns_path is not None else None
    report = ImportReport(
        practices_file=Path(practices_path).name,
        pcns_file=Path(pcns_path).name if pcns_path is not None else None,
    )
    with transaction.atomic():
        practices = _import_practices(practice_rows, report)
        if pcn_file is not None:
            _import_pcns(pcn_file, practices, report)
        report.elapsed_seconds = round(time.perf_counter() - started, 2)
        audit.record(
            event="ods.imported",
            actor=actor,
            role="site_admin" if actor is not None else audit.SYSTEM_ROLE,
            payload=report.payload(),
        )
    report.elapsed_seconds = round(time.perf_counter() - started, 2)
    return report


# Rows to update, grouped by the fields that changed in them.
Changes = defaultdict[tuple[str, ...], list[Any]]


def _note_changes(obj: models.Model, values: dict[str, Any], changes: Changes) -> None:
    changed = tuple(name for name, value in values.items() if getattr(obj, name) != value)
    for name in changed:
        setattr(obj, name, values[name])
    if changed:
        changes[changed].append(obj)


def _save_changes(model: type[models.Model], changes: Changes) -> int:
    """One UPDATE per changed row, sent with executemany. bulk_update builds a CASE per field
    and row in Python: for 7,000 practices with eight changed fields it took 13 to 18 s on
    SQLite and PostgreSQL, where this takes under 1 s."""
    quote = connection.ops.quote_name
    fields_by_name = {f.attname: f for f in model._meta.concrete_fields}
    pk = model._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        for names, objs in changes.items():
            fields = [fields_by_name[name] for name in names]
            assignments = ", ".join(f"{quote(cast(str, f.column))} = %s" for f in fields)
            cursor.executemany(
                # Identifiers come from the model's metadata; every value is a parameter.
                f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608
                f"WHERE {quote(cast(str, pk.column))} = %s",
                [
                    [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
                    + [obj.pk]
                    for obj in objs
                ],
            )
    return sum(len(objs) for objs in changes.values())


def _ensure_icss(codes: set[str], report: ImportReport) -> dict[str, int]:
    """ICS id by ICB code, creating the missing ones. Existing names are left alone."""
    names = icb_names()
    ids = dict(ICS.objects.filter(code__in=codes).values_list("code", "pk"))
    new = sorted(codes - ids.keys())
    ICS.objects.bulk_create([ICS(code=code, name=names.get(code, f"ICB {code}")) for code in new])
    ids.update(ICS.objects.filter(code__in=new).values_list("code", "pk"))
    report.icss_in_file = len(codes)
    report.icss_created = len(new)
    report.unnamed_icb_codes = [code for code in new if code not in names]
    return ids


def _import_practices(rows: list[PracticeRow], report: ImportReport) -> dict[str, tuple[int, int]]:
    """Returns (id, ICS id) by code for every practice in the database afterwards."""
    english = [r for r in rows if r.is_gp_practice and not r.is_welsh]
    welsh = [r for r in rows if r.is_gp_practice and r.is_welsh]
    # Closed practices keep the area-team code they closed under (Q71...), which is not an
    # ICB: only codes that open practices carry today are ICSs.
    icb_codes = {r.icb_code for r in english if r.status != Practice.Status.CLOSED}
    wanted = [r for r in english if r.icb_code in icb_codes]
    report.not_gp_skipped = sum(not r.is_gp_practice for r in rows)
    report.welsh_skipped = len(welsh)
    report.welsh_active_skipped = sum(r.status == Practice.Status.ACTIVE for r in welsh)
    report.closed_before_icbs_skipped = len(english) - len(wanted)
    report.active_english_practices = sum(r.status == Practice.Status.ACTIVE for r in wanted)

    ics_ids = _ensure_icss(icb_codes, report)
    place_by_sub_icb: dict[tuple[int, str], int] = {}
    place_ics: dict[int, tuple[int, str]] = {}
    for place_id, ics_id, code in Place.objects.order_by("-pk").values_list("pk", "ics", "code"):
        place_ics[place_id] = (ics_id, code)
        if code:
            place_by_sub_icb[(ics_id, code.upper())] = place_id  # the oldest wins

    existing = {p.code: p for p in Practice.objects.only("code", *PRACTICE_FIELDS)}
    to_create: list[Practice] = []
    changed: Changes = defaultdict(list)
    for row in wanted:
        ics_id = ics_ids[row.icb_code]
        values: dict[str, Any] = {
            "name": row.name,
            "postcode": row.postcode,
            "status": row.status,
            "opened_on": row.opened_on,
            "closed_on": row.closed_on,
            "ics_id": ics_id,
            "sub_icb_code": row.sub_icb_code,
            "place_id": place_by_sub_icb.get((ics_id, row.sub_icb_code)),
        }
        practice = existing.get(row.code)
        if practice is None:
            to_create.append(Practice(code=row.code, **values))
            continue
        # A place without a sub-ICB code was chosen by the ICS, not by an import: keep it.
        kept_place = practice.place_id
        if values["place_id"] is None and kept_place and place_ics[kept_place] == (ics_id, ""):
            values["place_id"] = practice.place_id
        _note_changes(practice, values, changed)
    Practice.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    report.practices_created = len(to_create)
    report.practices_updated = _save_changes(Practice, changed)
    report.practices_unchanged = len(wanted) - len(to_create) - report.practices_updated
    absent = sorted(existing.keys() - {r.code for r in wanted})
    report.practices_not_in_file = len(absent)
    report.practices_not_in_file_examples = absent[:EXAMPLES]
    return {
        code: (pk, ics_id) for code, pk, ics_id in Practice.objects.values_list("code", "pk", "ics")
    }


def _majority_ics(counts: Counter[int]) -> int | None:
    """The ICS most members belong to; a tie goes to the lower id, so reruns agree."""
    if not counts:
        return None
    return min(counts, key=lambda ics_id: (-counts[ics_id], ics_id))


def _import_pcns(
    pcn_file: PcnFile, practices: dict[str, tuple[int, int]], report: ImportReport
) -> None:
    on = today()
    current: defaultdict[str, Counter[int]] = defaultdict(Counter)
    ever: defaultdict[str, Counter[int]] = defaultdict(Counter)
    for m in pcn_file.memberships:
        if m.practice_code in practices:
            member_ics = practices[m.practice_code][1]
            ever[m.pcn_code][member_ics] += 1
            if m.starts_on <= on and (m.ends_on is None or m.ends_on >= on):
                current[m.pcn_code][member_ics] += 1

    existing = {p.code: p for p in PCN.objects.only("code", *PCN_FIELDS)}
    to_create: list[PCN] = []
    changed: Changes = defaultdict(list)
    for row in pcn_file.pcns:
        ics_id = _majority_ics(current[row.code] or ever[row.code])
        values: dict[str, Any] = {
            "name": row.name,
            "postcode": row.postcode,
            "opened_on": row.opened_on,
            "closed_on": row.closed_on,
            "ics_id": ics_id,
        }
        pcn = existing.get(row.code)
        if pcn is None:
            to_create.append(PCN(code=row.code, **values))
            continue
        if ics_id is None:  # no member practice known: keep the ICS it already has
            values["ics_id"] = pcn.ics_id
        _note_changes(pcn, values, changed)
    PCN.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    report.pcns_created = len(to_create)
    report.pcns_updated = _save_changes(PCN, changed)
    report.pcns_unchanged = len(pcn_file.pcns) - len(to_create) - report.pcns_updated
    report.pcns_not_in_file = len(existing.keys() - {row.code for row in pcn_file.pcns})
    _import_memberships(pcn_file, practices, report)


def _import_memberships(
    pcn_file: PcnFile, practices: dict[str, tuple[int, int]], report: ImportReport
) -> None:
    pcn_ids = dict(PCN.objects.values_list("code", "pk"))
    existing = {
        (m.practice_id, m.pcn_id, m.starts_on): m
        for m in PracticePCNMembership.objects.only("practice", "pcn", "starts_on", "ends_on")
    }
    to_create: list[PracticePCNMembership] = []
    changed: Changes = defaultdict(list)
    unknown_practices: list[str] = []
    for row in pcn_file.memberships:
        if row.practice_code not in practices:
            unknown_practices.append(row.practice_code)
            continue
        if row.pcn_code not in pcn_ids:
            report.memberships_unknown_pcn += 1
            continue
        practice_id, pcn_id = practices[row.practice_code][0], pcn_ids[row.pcn_code]
        membership = existing.get((practice_id, pcn_id, row.starts_on))
        if membership is None:
            to_create.append(
                PracticePCNMembership(
                    practice_id=practice_id,
                    pcn_id=pcn_id,
                    starts_on=row.starts_on,
                    ends_on=row.ends_on,
                )
            )
        else:
            _note_changes(membership, {"ends_on": row.ends_on}, changed)
    PracticePCNMembership.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    report.memberships_created = len(to_create)
    report.memberships_updated = _save_changes(PracticePCNMembership, changed)
    skipped = len(unknown_practices) + report.memberships_unknown_pcn
    report.memberships_unchanged = (
        len(pcn_file.memberships) - len(to_create) - report.memberships_updated - skipped
    )
    report.memberships_unknown_practice = len(unknown_practices)
    report.unknown_practice_examples = sorted(set(unknown_practices))[:EXAMPLES]
