"""Reading NHS England's Organisation Data Service files.

read_practices() and read_pcns() check a whole file and raise OdsFileError naming the bad
lines or sheet before anything is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from groups.models import Practice
from icsvoice.errors import DomainError

ICB_NAMES_FILE = Path(__file__).resolve().parent.parent / "data" / "icb_names.csv"
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
