"""import_ods: NHS England's practice and PCN files into ICSs, practices, PCNs and memberships.

The practice fixture is a small epraccur.csv in the real layout (tests/groups/data); the PCN
workbook is written here with openpyxl in the real ePCN.xlsx layout, formulas included.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from groups import ods
from groups.models import ICS, PCN, Place, Practice, PracticePCNMembership
from groups.ods import importer as ods_importer
from icsvoice.models import AuditEvent
from tests import factories

PRACTICES = Path(__file__).resolve().parent / "data" / "epraccur.csv"
# epraccur.csv columns, counted from 1 as the specification does.
COLUMN = {
    "name": 2,
    "grouping": 3,
    "icb": 4,
    "postcode": 10,
    "opened": 11,
    "closed": 12,
    "status": 13,
    "sub_icb": 15,
    "setting": 26,
}
DETAILS_HEADER = [
    "PCN Code",
    "PCN Name",
    "Current Clinical Commissioning Group Code",
    "Clinical Commissioning Group Name",
    "Open Date (YYYYMMDD)",
    "Close Date",
    "Address Line 1",
    "Address Line 2",
    "Address Line 3",
    "Address Line 4",
    "Address Line 5",
    "Postcode",
]
PARTNERS_HEADER = [
    "Partner Organisation Code",
    "Partner Name",
    "Practice Parent CCG Code",
    "Practice Parent CCG Name",
    "PCN Code",
    "PCN Name",
    "PCN Parent CCG Code",
    "PCN Parent CCG Name",
    "Practice to PCN Relationship Start Date",
    "Practice to PCN Relationship End Date",
    "Practice CCG and PCN CCG match?",
]
PCNS = [
    ("U00001", "RIVERSIDE PCN", "16C", 20191001, None, "TS1 1AA"),
    ("U00002", "BAYVIEW PCN", "00Q", 20191001, None, "FY1 1AA"),
    ("U00003", "FAR AWAY PCN", "00Q", 20191201, None, "LA1 1AA"),
]
# practice, PCN, start, end
MEMBERS = [
    ("A00001", "U00001", 20191001, None),
    ("A00002", "U00001", 20191001, None),
    ("A00003", "U00001", 20191001, None),
    ("W00001", "U00001", 20191001, None),  # Welsh: never imported
    ("P00001", "U00002", 20191001, None),
    ("P00002", "U00002", 20191001, None),
    ("Z99999", "U00003", 20191201, None),  # not a practice we know
]


# --- Files in the real layouts --------------------------------------------------------------


def practice_rows() -> list[list[str]]:
    with PRACTICES.open(encoding="latin-1", newline="") as handle:
        return list(csv.reader(handle))


def change(rows: list[list[str]], code: str, **values: str) -> list[list[str]]:
    """The same rows, with the practice `code` given new values by column name."""
    for row in rows:
        if row[0] == code:
            for name, value in values.items():
                row[COLUMN[name] - 1] = value
            return rows
    raise AssertionError(f"no practice {code} in the fixture")


def without(rows: list[list[str]], code: str) -> list[list[str]]:
    return [row for row in rows if row[0] != code]


def write_practices(path: Path, rows: list[list[str]], encoding: str = "latin-1") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return path


def write_pcns(
    path: Path,
    pcns: list[tuple] = PCNS,
    members: list[tuple] = MEMBERS,
    details_header: list[str] = DETAILS_HEADER,
    sheets: tuple[str, ...] = ("PCN Details", "PCN Core Partner Details"),
) -> Path:
    workbook = Workbook()
    details = workbook.active
    details.title = sheets[0]
    details.append(details_header)
    for code, name, ccg, opened, closed, postcode in pcns:
        details.append(
            [
                code,
                name,
                ccg,
                f"NHS {ccg} CCG",
                opened,
                closed,
                "1 HIGH STREET",
                *[None] * 4,
                postcode,
            ]
        )
    if len(sheets) > 1:
        partners = workbook.create_sheet(sheets[1])
        partners.append(PARTNERS_HEADER)
        for row, (practice, pcn, starts, ends) in enumerate(members, start=2):
            name_formula = f"=VLOOKUP(E{row},'PCN Details'!A:B,2,FALSE)"
            partners.append(
                [
                    *(practice, f"PRACTICE {practice}", "16C", "NHS 16C CCG"),
                    *(pcn, name_formula, "16C", "NHS 16C CCG"),
                    *(starts, ends, f"=G{row}=C{row}"),
                ]
            )
    workbook.save(path)
    return path


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return (
        write_practices(tmp_path / "epraccur.csv", practice_rows()),
        write_pcns(tmp_path / "ePCN.xlsx"),
    )


def state() -> dict[str, object]:
    """Everything the import may touch, to compare before and after."""
    return {
        "icss": list(ICS.objects.order_by("code").values_list("code", "name")),
        "places": list(Place.objects.order_by("pk").values_list("pk", "ics", "name", "code")),
        "practices": list(
            Practice.objects.order_by("code").values_list(
                "code",
                "name",
                "postcode",
                "status",
                "opened_on",
                "closed_on",
                "ics__code",
                "sub_icb_code",
                "place",
            )
        ),
        "pcns": list(
            PCN.objects.order_by("code").values_list(
                "code", "name", "postcode", "opened_on", "closed_on", "ics__code"
            )
        ),
        "memberships": list(
            PracticePCNMembership.objects.order_by("practice__code", "pcn__code").values_list(
                "practice__code", "pcn__code", "starts_on", "ends_on"
            )
        ),
        "audit_events": AuditEvent.objects.count(),
    }


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_ods", *args, stdout=out)
    return out.getvalue()


# --- A first import -------------------------------------------------------------------------


def test_first_import_creates_icss_practices_pcns_and_memberships(db, files):
    practices, pcns = files

    output = run("--practices", str(practices), "--pcns", str(pcns))

    assert dict(ICS.objects.values_list("code", "name")) == {
        "QHM": "North East and North Cumbria",
        "QE1": "Lancashire and South Cumbria",
    }
    riverside = Practice.objects.get(code="A00001")
    assert riverside.name == "RIVERSIDE SURGERY"
    assert riverside.postcode == "TS1 1AA"
    assert riverside.status == Practice.Status.ACTIVE
    assert riverside.opened_on == dt.date(1974, 4, 1)
    assert riverside.closed_on is None
    assert riverside.ics.code == "QHM"
    assert riverside.sub_icb_code == "16C"
    assert Practice.objects.get(code="P00002").status == Practice.Status.DORMANT
    assert set(Practice.objects.values_list("code", flat=True)) == {
        "A00001",
        "A00002",
        "A00003",
        "P00001",
        "P00002",
    }
    assert dict(PCN.objects.values_list("code", "ics__code")) == {
        "U00001": "QHM",
        "U00002": "QE1",
        "U00003": None,  # its only member practice is unknown
    }
    riverside_pcn = PCN.objects.get(code="U00001")
    assert riverside_pcn.name == "RIVERSIDE PCN"  # from PCN Details, not the formula
    assert riverside_pcn.opened_on == dt.date(2019, 10, 1)
    assert riverside_pcn.postcode == "TS1 1AA"
    assert sorted(riverside_pcn.practices.values_list("code", flat=True)) == [
        "A00001",
        "A00002",
        "A00003",
    ]
    assert PracticePCNMembership.objects.count() == 5
    assert "Practices: 5 created, 0 updated, 0 unchanged; 3 active English GP" in output
    assert "Memberships: 5 created, 0 updated, 0 unchanged." in output
    assert "in the file, 2 created" in output


def test_welsh_practices_non_gp_settings_and_old_closed_practices_are_skipped_and_counted(
    db, files
):
    practices, _ = files

    report = ods.ods_import(practices_path=practices)

    assert not Practice.objects.filter(code__in=["W00001", "W00002"]).exists()
    assert not Practice.objects.filter(code__in=["Y00001", "Y00002"]).exists()
    assert not Practice.objects.filter(code="A00004").exists()
    # Neither Wales (Q99), a 2013 area team (Q74) nor a walk-in centre's code is an ICS.
    assert set(ICS.objects.values_list("code", flat=True)) == {"QHM", "QE1"}
    assert (report.welsh_skipped, report.welsh_active_skipped) == (2, 1)
    assert report.closed_before_icbs_skipped == 1
    assert report.not_gp_skipped == 2
    assert "Skipped: 2 Welsh GP practices (1 active), 1 closed before the current ICBs" in (
        "\n".join(report.lines())
    )


def test_a_closed_practice_in_a_current_icb_is_imported_as_closed(db, files):
    practices, _ = files

    ods.ods_import(practices_path=practices)

    old_mill = Practice.objects.get(code="A00003")
    assert old_mill.status == Practice.Status.CLOSED
    assert old_mill.closed_on == dt.date(2023, 3, 31)
    assert old_mill.ics.code == "QHM"


def test_a_latin1_file_keeps_its_accents(db, tmp_path):
    rows = change(practice_rows(), "A00001", name="CAFÉ ROAD SURGERY")
    path = write_practices(tmp_path / "epraccur.csv", rows, encoding="latin-1")

    ods.ods_import(practices_path=path)

    assert Practice.objects.get(code="A00001").name == "CAFÉ ROAD SURGERY"


def test_an_icb_without_a_name_on_file_is_named_by_its_code_and_reported(db, tmp_path):
    rows = change(practice_rows(), "A00002", icb="QZY")
    path = write_practices(tmp_path / "epraccur.csv", rows)

    report = ods.ods_import(practices_path=path)

    assert ICS.objects.get(code="QZY").name == "ICB QZY"
    assert report.unnamed_icb_codes == ["QZY"]
    assert "named 'ICB <code>': QZY" in "\n".join(report.lines())


def test_an_existing_ics_keeps_the_name_someone_gave_it(db, files):
    practices, _ = files
    factories.ICSFactory(code="QHM", name="North East & Cumbria")

    report = ods.ods_import(practices_path=practices)

    assert ICS.objects.get(code="QHM").name == "North East & Cumbria"
    assert report.icss_created == 1


# --- Running again --------------------------------------------------------------------------


def test_a_second_run_with_the_same_files_changes_nothing(db, files):
    practices, pcns = files
    run("--practices", str(practices), "--pcns", str(pcns))
    before = state()

    output = run("--practices", str(practices), "--pcns", str(pcns))

    after = state()
    assert after.pop("audit_events") == before.pop("audit_events") + 1  # the run is recorded
    assert after == before
    assert "Done: 0 created, 0 updated" in output
    assert "Practices: 0 created, 0 updated, 5 unchanged" in output
    assert "PCNs: 0 created, 0 updated, 3 unchanged." in output
    assert "Memberships: 0 created, 0 updated, 5 unchanged." in output


def test_changes_in_the_file_update_practices_and_nothing_is_deleted(db, files, tmp_path):
    practices, _ = files
    ods.ods_import(practices_path=practices)
    rows = practice_rows()
    change(rows, "A00001", name="RIVERSIDE MEDICAL GROUP", postcode="TS1 9ZZ")
    change(rows, "A00002", status="C", closed="20250331")
    change(rows, "P00001", icb="QHM", sub_icb="16C")
    rows = without(rows, "A00003")
    rows.append(list(rows[0]))
    rows[-1][0], rows[-1][1] = "A00005", "NEW TOWN SURGERY"
    changed = write_practices(tmp_path / "epraccur-2.csv", rows)

    report = ods.ods_import(practices_path=changed)

    riverside = Practice.objects.get(code="A00001")
    assert (riverside.name, riverside.postcode) == ("RIVERSIDE MEDICAL GROUP", "TS1 9ZZ")
    hilltop = Practice.objects.get(code="A00002")
    assert (hilltop.status, hilltop.closed_on) == (Practice.Status.CLOSED, dt.date(2025, 3, 31))
    bayview = Practice.objects.get(code="P00001")
    assert (bayview.ics.code, bayview.sub_icb_code) == ("QHM", "16C")
    assert Practice.objects.get(code="A00005").name == "NEW TOWN SURGERY"
    assert Practice.objects.filter(code="A00003").exists()  # absent from the file: kept
    assert (report.practices_created, report.practices_updated) == (1, 3)
    assert report.practices_unchanged == 1  # P00002
    assert (report.practices_not_in_file, report.practices_not_in_file_examples) == (
        1,
        ["A00003"],
    )
    assert "1 practices in the database are not English GP practices in this file" in (
        "\n".join(report.lines())
    )


def test_a_membership_end_date_that_changed_is_updated(db, files, tmp_path):
    practices, pcns = files
    ods.ods_import(practices_path=practices, pcns_path=pcns)
    members = [
        (p, pcn, start, 20250331 if p == "A00002" else end) for p, pcn, start, end in MEMBERS
    ]
    members.append(("A00002", "U00002", 20250401, None))
    later = write_pcns(tmp_path / "ePCN-2.xlsx", members=members)

    report = ods.ods_import(practices_path=practices, pcns_path=later)

    assert (report.memberships_created, report.memberships_updated) == (1, 1)
    assert PracticePCNMembership.objects.get(
        practice__code="A00002", pcn__code="U00001"
    ).ends_on == dt.date(2025, 3, 31)
    assert list(
        PracticePCNMembership.objects.current(dt.date(2025, 6, 1))
        .filter(practice__code="A00002")
        .values_list("pcn__code", flat=True)
    ) == ["U00002"]


# --- Places, PCNs' ICS and unknown practices ------------------------------------------------


def test_a_practice_joins_the_place_whose_code_is_its_sub_icb_location(db, files, tmp_path):
    practices, _ = files
    qhm = factories.ICSFactory(code="QHM", name="North East and North Cumbria")
    stockton = factories.PlaceFactory(ics=qhm, name="Stockton", code="16C")
    chosen = factories.PlaceFactory(ics=qhm, name="Tees Valley", code="")
    factories.PlaceFactory(ics=factories.ICSFactory(code="QE1"), name="Wrong ICS", code="00K")
    places_before = Place.objects.count()

    ods.ods_import(practices_path=practices)

    assert Practice.objects.get(code="A00001").place == stockton
    assert Practice.objects.get(code="A00002").place is None  # 00K is a place in QE1 only
    assert Place.objects.count() == places_before  # the import makes no places

    Practice.objects.filter(code="A00002").update(place=chosen)  # an ICS's own choice
    rows = change(practice_rows(), "A00001", sub_icb="00K")
    ods.ods_import(practices_path=write_practices(tmp_path / "moved.csv", rows))

    assert Practice.objects.get(code="A00001").place is None  # left Stockton's code
    assert Practice.objects.get(code="A00002").place == chosen


def test_a_pcns_ics_is_the_one_most_of_its_practices_belong_to(db, files, tmp_path):
    practices, _ = files
    members = [
        ("A00001", "U00001", 20191001, None),
        ("P00001", "U00001", 20191001, None),
        ("P00002", "U00001", 20191001, None),
        ("A00002", "U00002", 20191001, None),
    ]

    ods.ods_import(
        practices_path=practices, pcns_path=write_pcns(tmp_path / "e.xlsx", members=members)
    )

    assert PCN.objects.get(code="U00001").ics.code == "QE1"
    assert PCN.objects.get(code="U00002").ics.code == "QHM"


def test_memberships_of_unknown_practices_are_reported_not_fatal(db, files):
    practices, pcns = files

    output = run("--practices", str(practices), "--pcns", str(pcns))

    assert not PracticePCNMembership.objects.filter(pcn__code="U00003").exists()
    assert (
        "2 memberships skipped because their practice is not in the database "
        "(e.g. W00001, Z99999)." in output
    )


# --- The audit trail and atomicity ----------------------------------------------------------


def test_the_import_writes_one_audit_event_with_its_counts(db, files):
    practices, pcns = files

    ods.ods_import(practices_path=practices, pcns_path=pcns)

    event = AuditEvent.objects.get(event="ods.imported")
    assert event.role == "system"
    assert event.actor is None
    assert event.payload["practices_file"] == "epraccur.csv"
    assert event.payload["practices_created"] == 5
    assert event.payload["memberships_unknown_practice"] == 2
    assert event.payload["created"] == 2 + 5 + 3 + 5


def test_an_import_by_a_person_is_recorded_as_theirs(db, files):
    practices, _ = files
    admin = factories.UserFactory(email="admin@example.nhs.uk")

    ods.ods_import(practices_path=practices, actor=admin)

    event = AuditEvent.objects.get(event="ods.imported")
    assert (event.actor, event.role) == (admin, "site_admin")


def test_an_error_part_way_through_changes_nothing(db, files, monkeypatch):
    practices, pcns = files
    before = state()

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ods_importer, "_import_memberships", fail)
    with pytest.raises(RuntimeError):
        ods.ods_import(practices_path=practices, pcns_path=pcns)

    assert state() == before


# --- Bad input ------------------------------------------------------------------------------


def _truncate_line_3(path: Path) -> None:
    rows = practice_rows()
    rows[2] = rows[2][:26]
    write_practices(path, rows)


def _bad_open_date_line_2(path: Path) -> None:
    write_practices(path, change(practice_rows(), "A00002", opened="20201301"))


def _bad_status_line_5(path: Path) -> None:
    write_practices(path, change(practice_rows(), "P00001", status="X"))


def _long_postcode_line_1(path: Path) -> None:
    write_practices(path, change(practice_rows(), "A00001", postcode="TS1 1AA TS1 1AB"))


def _pdf(path: Path) -> None:
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 4 >>\nstream\n\x00\x01")


def _workbook(path: Path) -> None:
    write_pcns(path)


def _binary(path: Path) -> None:
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")


def _utf16(path: Path) -> None:
    path.write_bytes(PRACTICES.read_text(encoding="latin-1").encode("utf-16"))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _missing(path: Path) -> None:
    path.unlink(missing_ok=True)


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (_truncate_line_3, "line 3: expected 27 columns, found 26"),
        (_bad_open_date_line_2, 'line 2: open date (column 11) "20201301" is not a YYYYMMDD'),
        (_bad_status_line_5, 'line 5: status (column 13) "X" is not one of A, C, D or P'),
        (_long_postcode_line_1, "line 1: postcode has 15 characters; at most 8 fit"),
        (_pdf, "is a PDF document, not a CSV file"),
        (_workbook, "is a zip archive (an Excel workbook?), not a CSV file"),
        (_binary, "is not a text file (binary data on line 2)"),
        (_utf16, "is not a text file (binary data on line 1)"),
        (_empty, "is empty"),
        (_missing, "does not exist"),
    ],
    ids=lambda value: value.__name__.lstrip("_") if callable(value) else "refused",
)
def test_a_bad_practice_file_is_refused_by_name_and_line_and_changes_nothing(
    db, files, tmp_path, spoil, expected
):
    practices, pcns = files
    ods.ods_import(practices_path=practices, pcns_path=pcns)
    bad = tmp_path / "bad-epraccur.csv"
    write_practices(bad, change(practice_rows(), "A00001", name="SOMETHING NEW"))
    spoil(bad)
    before = state()

    with pytest.raises(CommandError) as refused:
        run("--practices", str(bad), "--pcns", str(pcns))

    message = str(refused.value)
    assert str(bad) in message
    assert expected in message
    assert message.endswith("Nothing was imported.")
    assert "\n" not in message
    assert state() == before


def test_every_bad_line_is_named_up_to_twenty(db, tmp_path):
    rows = practice_rows() * 3
    for number, row in enumerate(rows, start=1):
        row[0] = f"A{number:05d}"
        row[10] = "2020-04-01"
    bad = write_practices(tmp_path / "epraccur.csv", rows)

    with pytest.raises(ods.OdsFileError) as refused:
        ods.ods_import(practices_path=bad)

    message = refused.value.message
    assert message.count("is not a YYYYMMDD date") == 20
    assert "line 1: " in message
    assert "line 20: " in message
    assert "line 21: " not in message
    assert message.endswith("; and 10 more problems.")
    assert not Practice.objects.exists()
    assert not AuditEvent.objects.exists()


def _csv_as_workbook(path: Path) -> None:
    path.write_bytes(PRACTICES.read_bytes())


def _no_partner_sheet(path: Path) -> None:
    write_pcns(path, sheets=("PCN Details",))


def _headers_only(path: Path) -> None:
    write_pcns(path, pcns=[], members=[])


def _no_pcn_code_header(path: Path) -> None:
    write_pcns(path, details_header=["Code", *DETAILS_HEADER[1:]])


def _bad_start_date_row_3(path: Path) -> None:
    members = list(MEMBERS)
    members[1] = ("A00002", "U00001", 20191301, None)
    write_pcns(path, members=members)


def _bad_open_date_row_4(path: Path) -> None:
    pcns = list(PCNS)
    pcns[2] = ("U00003", "FAR AWAY PCN", "00Q", "1 Dec 2019", None, "LA1 1AA")
    write_pcns(path, pcns=pcns)


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (_csv_as_workbook, "is not an Excel workbook (.xlsx)"),
        (_empty, "is empty"),
        (_missing, "does not exist"),
        (_no_partner_sheet, 'has no sheet named "PCN Core Partner Details"'),
        (_headers_only, 'sheet "PCN Details": there are no PCNs below the header'),
        (_no_pcn_code_header, 'sheet "PCN Details", row 1: no "PCN Code" column in the header'),
        (
            _bad_start_date_row_3,
            'sheet "PCN Core Partner Details", row 3: start date "20191301" is not a YYYYMMDD',
        ),
        (_bad_open_date_row_4, 'sheet "PCN Details", row 4: open date "1 Dec 2019" is not'),
    ],
    ids=lambda value: value.__name__.lstrip("_") if callable(value) else "refused",
)
def test_a_bad_pcn_workbook_is_refused_by_name_and_sheet_and_changes_nothing(
    db, files, tmp_path, spoil, expected
):
    practices, pcns = files
    ods.ods_import(practices_path=practices, pcns_path=pcns)
    changed = write_practices(
        tmp_path / "epraccur-2.csv", change(practice_rows(), "A00001", name="SOMETHING NEW")
    )
    bad = tmp_path / "bad-ePCN.xlsx"
    spoil(bad)
    before = state()

    with pytest.raises(CommandError) as refused:
        run("--practices", str(changed), "--pcns", str(bad))

    message = str(refused.value)
    assert str(bad) in message
    assert expected in message
    assert "\n" not in message
    assert state() == before


# --- The real files -------------------------------------------------------------------------


@pytest.mark.shared_data
def test_the_real_ods_files_import_in_under_thirty_seconds(db, shared_ods):
    practices, pcns = shared_ods / "epraccur.csv", shared_ods / "ePCN.xlsx"

    report = ods.ods_import(practices_path=practices, pcns_path=pcns)

    assert report.active_english_practices == 6253
    assert Practice.objects.filter(status=Practice.Status.ACTIVE).count() == 6253
    assert ICS.objects.count() == 42
    assert not ICS.objects.filter(name__startswith="ICB ").exists()
    assert report.welsh_active_skipped == 398
    assert PCN.objects.count() == 1250
    assert not PCN.objects.filter(ics__isnull=True).exists()
    assert report.memberships_created + report.memberships_unknown_practice == 6757
    assert report.elapsed_seconds < 30

    again = ods.ods_import(practices_path=practices, pcns_path=pcns)

    assert (again.created, again.updated) == (0, 0)
