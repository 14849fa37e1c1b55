"""Every kind of file people mail around, end to end through `syncd sync`.

The team's canonical starts at generation 1 (the six tasks of ``scenario.ROWS``); copies then come
back as CSV in each local flavour Excel writes, as .xls and .ods saved by a real LibreOffice, as an
.xlsm carrying a VBA project, in the 1904 date system, with the tracker not on the first sheet, with
values that look like formulas, and mixed with hostile files. Each test reads the canonical back with
openpyxl (and its raw XML where that is the point) and checks what a person would see.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from builders import SOFFICE_TIMEOUT, copy_from_canonical, set_value, write_copy
from scenario import COLUMNS, ROWS, Team, at
from syncd.model import ROW_ID_COLUMN

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SYNCD_CORPUS", REPO.parent / "shared" / "corpus" / "real"))


@pytest.fixture
def team(tmp_path):
    t = Team(tmp_path)
    write_copy(t.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    t.sync()
    return t


def expected(changes: dict | None = None, added: list[dict] | None = None) -> dict[str, dict]:
    rows = {r[0]: dict(zip(COLUMNS, r)) for r in ROWS}
    for (tid, col), value in (changes or {}).items():
        rows[tid][col] = value
    for row in added or ():
        rows[row["ID"]] = dict.fromkeys(COLUMNS) | row
    return rows


def stamp(path: Path, when: dt.datetime) -> Path:
    """Set a file's modified time (a CSV carries no "last saved" of its own)."""
    ts = when.replace(tzinfo=dt.timezone.utc).timestamp()
    os.utime(path, (ts, ts))
    return path


# --- CSV, as Excel writes it -------------------------------------------------------------------


def excel_csv(canonical: Path, edits: dict, *, delimiter: str = ",", decimal_comma: bool = False,
              with_ids: bool = True, added: list[dict] = ()) -> str:
    """The canonical's Tasks sheet with ``edits`` typed in, as Excel's "Save as CSV" writes it:
    hidden columns included, dates as displayed (the canonical shows yyyy-mm-dd), numbers as shown
    (with a decimal comma in ``;`` locales), fields quoted only when needed, CRLF line ends."""
    ws = openpyxl.load_workbook(canonical)["Tasks"]
    header = [c.value for c in ws[1]]
    keep = [i for i, name in enumerate(header) if with_ids or name != ROW_ID_COLUMN]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([header[i] for i in keep])

    def shown(v):
        if v is None:
            return ""
        if isinstance(v, dt.datetime):
            return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ", timespec="minutes")
        if isinstance(v, float):
            return str(v).replace(".", ",") if decimal_comma else str(v)
        return str(v)

    for row in ws.iter_rows(min_row=2, values_only=True):
        values = dict(zip(header, row))
        for (tid, col), value in edits.items():
            if values["ID"] == tid:
                values[col] = value
        writer.writerow([shown(values[header[i]]) for i in keep])
    for row in added:
        writer.writerow([shown(row.get(header[i])) for i in keep])
    return out.getvalue()


def test_csv_copies_in_every_local_flavour_are_merged(team):
    inbox = team.inbox
    (inbox / "ann.csv").write_bytes(  # Excel's "CSV UTF-8": a BOM, then UTF-8
        excel_csv(team.canonical, {("T-1", "Owner"): "Zoë", ("T-3", "Task"): "Q3 budget review — draft"})
        .encode("utf-8-sig"))
    (inbox / "bob.csv").write_bytes(  # plain "CSV" on Western Windows: cp1252
        excel_csv(team.canonical, {("T-2", "Task"): "Book venue for launch (café, €)", ("T-6", "Budget"): 250})
        .encode("cp1252"))
    (inbox / "cleo.csv").write_bytes(  # a German or French Excel: ";" and a decimal comma
        excel_csv(team.canonical, {("T-2", "Budget"): 12000.5, ("T-4", "Owner"): "Dana"}, delimiter=";",
                  decimal_comma=True, with_ids=False).encode("utf-8"))
    (inbox / "dev.txt.tsv").write_bytes(  # "Unicode Text": UTF-16 with a BOM, tab separated
        excel_csv(team.canonical, {("T-5", "Status"): "Done", ("T-6", "Task"): "Write press release – FINAL"},
                  delimiter="\t").encode("utf-16"))
    for day, name in enumerate(["ann.csv", "bob.csv", "cleo.csv", "dev.txt.tsv"], start=2):
        stamp(inbox / name, at(day))

    report = team.sync_json()
    assert report["rejected"] == [] and report["conflicts"] == []
    assert sorted(c["file"] for c in report["copies"] if c["status"] == "taken") == [
        "ann.csv", "bob.csv", "cleo.csv", "dev.txt.tsv"]
    assert team.by_id() == expected({
        ("T-1", "Owner"): "Zoë", ("T-3", "Task"): "Q3 budget review — draft",
        ("T-2", "Task"): "Book venue for launch (café, €)", ("T-6", "Budget"): 250,
        ("T-2", "Budget"): 12000.5, ("T-4", "Owner"): "Dana",
        ("T-5", "Status"): "Done", ("T-6", "Task"): "Write press release – FINAL",
    })
    # the decimal comma became a number and the dates stayed dates: nothing turned into text
    assert isinstance(team.cell("T-2", "Budget").value, float)
    assert all(isinstance(team.cell(r[0], "Due").value, dt.datetime) for r in ROWS)


# --- .xls and .ods saved by LibreOffice ----------------------------------------------------------


def libreoffice_save_as(src: Path, dest: Path, filter_name: str) -> Path:
    """Open ``src`` in a real headless LibreOffice and save it as ``dest`` with ``filter_name``
    (e.g. "xls:MS Excel 97"), with a private profile. Skips the test without LibreOffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (Debian: apt-get install libreoffice-calc-nogui)")
    with tempfile.TemporaryDirectory(prefix="syncd-lo-") as tmp:
        profile, outdir = Path(tmp) / "profile", Path(tmp) / "out"
        outdir.mkdir()
        done = subprocess.run(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--convert-to",
             filter_name, "--outdir", str(outdir), str(src.resolve())],
            capture_output=True, text=True, timeout=SOFFICE_TIMEOUT, stdin=subprocess.DEVNULL)
        produced = outdir / (src.stem + dest.suffix)
        if not produced.exists():
            pytest.fail(f"LibreOffice did not convert {src.name} (exit {done.returncode}): {done.stderr}")
        shutil.move(str(produced), dest)
    return dest


@pytest.mark.libreoffice
def test_xls_and_ods_copies_saved_by_libreoffice_are_merged_against_their_generation(team, tmp_path):
    eve = copy_from_canonical(team.canonical, tmp_path / "eve.xlsx", author="Eve", modified=at(2),
                              edit=lambda ws: set_value(ws, "T-3", "Status", "In progress"))
    finn = copy_from_canonical(team.canonical, tmp_path / "finn.xlsx", author="Finn", modified=at(3),
                               edit=lambda ws: set_value(ws, "T-4", "Budget", 900))
    stamp(libreoffice_save_as(eve, team.inbox / "tracker eve.xls", "xls:MS Excel 97"), at(2))
    stamp(libreoffice_save_as(finn, team.inbox / "tracker finn.ods", "ods:calc8"), at(3))

    report = team.sync_json()
    taken = {c["file"]: c for c in report["copies"] if c["status"] == "taken"}
    assert set(taken) == {"tracker eve.xls", "tracker finn.ods"}
    # the hidden _syncd sheet and id column survived LibreOffice: each copy's base is known, not guessed
    assert all(c["base_generation"] == 1 and not c["base_inferred"] for c in taken.values())
    assert report["conflicts"] == []
    assert team.by_id() == expected({("T-3", "Status"): "In progress", ("T-4", "Budget"): 900})


# --- .xlsm: macros never run and never reach the canonical ---------------------------------------


def vba_project() -> bytes:
    """A real VBA project from the corpus when it is there, else an inert stand-in with the OLE
    signature (syncd must drop it either way without looking inside)."""
    real = CORPUS / "poi__SimpleMacro.xlsm"
    if real.exists():
        with zipfile.ZipFile(real) as zf:
            return zf.read("xl/vbaProject.bin")
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16384 - 8)


def as_macro_workbook(src: Path, dest: Path) -> Path:
    """Re-package an .xlsx the way Excel saves it as .xlsm: macro-enabled content type, the VBA
    project part and the workbook's relationship to it."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", b'<Default Extension="bin" '
                                    b'ContentType="application/vnd.ms-office.vbaProject"/></Types>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/'
                                    b'office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
            zout.writestr(info, data)
        zout.writestr("xl/vbaProject.bin", vba_project())
    return dest


def assert_no_macros(path: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        types = zf.read("[Content_Types].xml").lower()
        rels = b"".join(zf.read(n) for n in names if n.endswith(".rels")).lower()
    assert not [n for n in names if "vba" in n.lower() or n.lower().endswith(".bin")]
    assert b"macroenabled" not in types and b"vbaproject" not in types and b"vbaproject" not in rels


def test_macro_workbook_copy_is_merged_and_its_macros_are_left_behind(team, tmp_path):
    plain = copy_from_canonical(team.canonical, tmp_path / "ann.xlsx", author="Ann", modified=at(2),
                                edit=lambda ws: set_value(ws, "T-1", "Status", "Done"))
    macro = as_macro_workbook(plain, team.inbox / "tracker with buttons.xlsm")
    with zipfile.ZipFile(macro) as zf:
        assert "xl/vbaProject.bin" in zf.namelist()  # the copy really carries a macro project

    report = team.sync_json()
    assert [c["file"] for c in report["copies"] if c["status"] == "taken"] == ["tracker with buttons.xlsm"]
    assert team.by_id() == expected({("T-1", "Status"): "Done"})
    assert team.canonical.suffix == ".xlsx"
    assert_no_macros(team.canonical)


def test_macro_workbook_as_the_very_first_copy_gives_a_canonical_without_macros(tmp_path):
    team = Team(tmp_path)
    first = write_copy(tmp_path / "first.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    as_macro_workbook(first, team.inbox / "tracker.xlsm")
    team.sync()
    assert team.by_id() == expected()
    assert_no_macros(team.canonical)


# --- 1904 dates, sheet order ---------------------------------------------------------------------


def test_copy_saved_in_the_1904_date_system_keeps_every_date(team, tmp_path):
    wb = openpyxl.load_workbook(team.canonical)
    wb.epoch = CALENDAR_MAC_1904  # as an old Mac Excel workbook: every date serial is 1,462 days off
    set_value(wb["Tasks"], "T-1", "Due", dt.date(2026, 7, 3))
    wb.properties.lastModifiedBy = "Gus"
    path = team.inbox / "tracker mac.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        assert re.search(rb'date1904="(1|true)"', zf.read("xl/workbook.xml"))

    report = team.sync_json()
    assert report["changes"] == 1  # only the one date Gus changed; none shifted by four years
    assert team.by_id() == expected({("T-1", "Due"): dt.date(2026, 7, 3)})


def _with_notes_sheet_first(wb: openpyxl.Workbook) -> None:
    notes = wb.create_sheet("Read me", 0)
    for line in ["How to use this tracker", "Owner: one person per task", "Status: Not started, In progress, Done"]:
        notes.append([line])
    wb.active = 0


def test_copy_whose_tracker_is_not_the_first_sheet(team):
    wb = openpyxl.load_workbook(team.canonical)
    _with_notes_sheet_first(wb)
    set_value(wb["Tasks"], "T-2", "Owner", "Hana")
    wb.save(team.inbox / "hana.xlsx")

    report = team.sync_json()
    assert report["rejected"] == [] and report["archived"] == 0
    assert team.by_id() == expected({("T-2", "Owner"): "Hana"})


def test_without_a_configured_sheet_a_notes_sheet_put_first_is_not_taken_for_the_tracker(tmp_path):
    team = Team(tmp_path)
    team.config.write_text(team.config.read_text().replace('sheet = "Tasks"\n', ""))
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    team.sync()
    wb = openpyxl.load_workbook(team.canonical)
    _with_notes_sheet_first(wb)  # three lines of notes: a table of its own, to a machine
    set_value(wb["Tasks"], "T-2", "Owner", "Hana")
    wb.save(team.inbox / "hana.xlsx")

    report = team.sync_json()
    assert report["archived"] == 0 and report["columns_added"] == []
    assert team.by_id() == expected({("T-2", "Owner"): "Hana"})


def test_without_a_configured_sheet_the_tracker_is_found_behind_a_cover_sheet(tmp_path):
    team = Team(tmp_path)
    team.config.write_text(team.config.read_text().replace('sheet = "Tasks"\n', ""))
    first = write_copy(tmp_path / "first.xlsx", COLUMNS, ROWS)
    wb = openpyxl.load_workbook(first)
    cover = wb.create_sheet("Cover", 0)
    cover["B2"] = "Marketing tracker — Q3"
    wb.save(team.inbox / "tracker.xlsx")
    team.sync()
    assert team.by_id() == expected()


# --- values that look like formulas --------------------------------------------------------------


FORMULA_LOOKING = {
    ("T-1", "Task"): "=SUM(F2:F7)",
    ("T-2", "Owner"): "@Ann",
    ("T-3", "Status"): "+1 day",
    ("T-4", "Task"): "-urgent- Q4 budget review",
    ("T-5", "Task"): "=cmd|' /C calc'!A0",
}
FORMULA_ROW = {"ID": "T-7", "Task": '=HYPERLINK("http://example.com/x","Click me")', "Owner": "=1+1"}


def test_values_that_look_like_formulas_stay_text(team):
    path = team.inbox / "pasted.csv"
    path.write_text(excel_csv(team.canonical, FORMULA_LOOKING, added=[FORMULA_ROW]), encoding="utf-8")
    stamp(path, at(2))
    report = team.sync_json()
    assert report["rejected"] == []

    assert team.by_id() == expected(FORMULA_LOOKING, [FORMULA_ROW])
    ws = openpyxl.load_workbook(team.canonical)["Tasks"]
    typed = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert len(typed) == len(FORMULA_LOOKING) + 2
    assert all(c.data_type == "s" for c in typed)
    with zipfile.ZipFile(team.canonical) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not re.search(rb"<(\w+:)?f[ >/]", zf.read(name)), f"a formula element in {name}"


# --- hostile and broken files among good ones ----------------------------------------------------


def zip_bomb(dest: Path) -> Path:
    """A workbook whose sheet part inflates 1000:1 to 32 MiB, while the file is a few tens of kB."""
    base = write_copy(dest.with_suffix(".base.xlsx"), COLUMNS, ROWS)
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with zout.open(info.filename, "w", force_zip64=True) as f:
                    for _ in range(32):
                        f.write(b" " * (1 << 20))
            else:
                zout.writestr(info, zin.read(info))
    base.unlink()
    return dest


def long_cell_copy(canonical: Path, dest: Path) -> Path:
    """A copy of the canonical with 100,000 characters pasted into one cell (Excel would refuse at
    32,767; openpyxl would cut it, so the text goes into the sheet XML directly)."""
    copy_from_canonical(canonical, dest, edit=lambda ws: set_value(ws, "T-3", "Task", "PASTED"))
    with zipfile.ZipFile(dest) as zin:
        parts = [(info, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in parts:
            zout.writestr(info, data.replace(b"PASTED", b"lorem ipsum " * 8334))
    return dest


def refusal_lines(output: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^    ! (.+?): (.+)$", output, re.M)}


def test_hostile_copies_are_refused_one_line_each_while_the_others_sync(team):
    zip_bomb(team.inbox / "tracker (2).xlsx")
    long_cell_copy(team.canonical, team.inbox / "tracker pasted.xlsx")
    (team.inbox / "tracker.xls").write_bytes(b"Your attachment was removed by the mail filter.\r\n")
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-1", "Status", "Done"))

    result = team.sync()
    refused = refusal_lines(result.output)
    assert set(refused) == {"tracker (2).xlsx", "tracker pasted.xlsx", "tracker.xls"}
    assert "zip bomb" in refused["tracker (2).xlsx"]
    assert "more than 32,767 characters" in refused["tracker pasted.xlsx"]
    assert "not a spreadsheet" in refused["tracker.xls"]
    assert team.by_id() == expected({("T-1", "Status"): "Done"})  # the good copy went through
    assert "PASTED" not in str(team.by_id()) and "lorem" not in str(team.by_id())

    again = team.sync()  # a refused file is remembered by its content, not re-read every time
    assert "nothing new" in again.output and refusal_lines(again.output) == {}


def test_password_protected_copy_is_refused_while_the_others_sync(team):
    encrypted = CORPUS / "msoffcrypto__example_password.xlsx"
    if not encrypted.exists():
        pytest.skip(f"corpus file {encrypted} not present (set SYNCD_CORPUS)")
    shutil.copy(encrypted, team.inbox / "tracker locked.xlsx")
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-1", "Status", "Done"))
    result = team.sync()
    refused = refusal_lines(result.output)
    assert list(refused) == ["tracker locked.xlsx"]
    assert refused["tracker locked.xlsx"].startswith("password protected — ")
    assert "save an unprotected copy" in refused["tracker locked.xlsx"]
    assert team.by_id() == expected({("T-1", "Status"): "Done"})
