"""What of an uploaded XLSX openpyxl is given: an allow-list of parts, each bounded first.

openpyxl parses some parts whole as it opens a workbook, even read-only: the content types,
the workbook (its sheets and defined names), the workbook's relations, the shared strings,
the styles, each chartsheet with its drawings and charts, the document properties and the
external links; then the sheet as it is read. Each element costs it tens of microseconds
and hundreds of bytes: a 9 KB file whose styles.xml repeated `<xf/>` a million times cost
69 s and 605 MB, and defined names in the workbook as much (sixth red team).

So openpyxl is given a package of our own making, holding only the parts an import reads,
found as openpyxl finds them: the content types, the workbook part they name, its relations,
the styles (a cell's number format says it is a date), the shared strings and the first
worksheet. Each is bounded in bytes and in elements before anything parses it (the bounds
are PARTS; a part's elements are its start tags, counted in its bytes, which must be UTF-8
for that count to be true). Every other part (themes, document properties, other sheets,
chartsheets, drawings, comments, external links, pivot tables, macros) is left out, so
nothing openpyxl might do with it costs anything, and openpyxl is told not to follow
external links (`keep_links=False`), which it would otherwise look for.

The sheet's and the shared strings' elements are also bounded together
(PACKAGE_ELEMENTS_PER_CELL per cell of LOYALTY_MAX_IMPORT_CELLS): each within its own bound,
the two still added up to twice what a full sheet costs (eighth red team: 990,000 empty
rich-text runs split between the two, 32 KB zipped, cost 8.5 s).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.xml.constants import (
    ARC_CONTENT_TYPES,
    ARC_STYLE,
    SHARED_STRINGS,
    SHEET_MAIN_NS,
    XLSM,
    XLSX,
    XLTM,
    XLTX,
)
from openpyxl.xml.functions import fromstring

from core.errors import InvalidRequest

SAVE_AS = (
    'Save it from your spreadsheet as "CSV UTF-8" or "Excel Workbook (.xlsx)" and upload it again.'
)
BROKEN_XLSX = "The Excel file is damaged and cannot be read. " + SAVE_AS
NOT_UTF8_XLSX = (
    "The Excel file was written in an unusual text encoding (not UTF-8, which Excel and "
    "other spreadsheets use), so it cannot be read. " + SAVE_AS
)
NO_SHEET = "The Excel file has no sheet."
PART_TOO_LARGE = (
    "The Excel file holds more {what} than an import reads (at most {limit:,} entries, "
    "{megabytes:,} MB). {advice}"
)
CSV_INSTEAD = 'Save the sheet as "CSV UTF-8" and upload that instead.'
OR_CSV = 'or save the sheet as "CSV UTF-8" and upload that instead.'
PACKAGE_TOO_LARGE = (
    "The Excel file holds more than an import reads: its sheet and its text add up to more "
    "than {limit:,} entries. Save it again from your spreadsheet, split it into "
    "smaller files, " + OR_CSV
)
TOO_MUCH_BESIDES_CELLS = (
    "The Excel sheet holds more than {limit:,} entries besides its cells' values (merged "
    "cells, formatting rules, data validations, links or other content), more than an "
    "import reads. Copy the cells into a new workbook with Paste Special > Values, " + OR_CSV
)
NOT_AS_SPREADSHEETS_WRITE = (
    "The Excel file holds XML comments, CDATA sections or processing instructions in its "
    "sheet or text, which spreadsheets do not write. Save it again from your spreadsheet, " + OR_CSV
)
# openpyxl's names for a workbook's part, in the order it looks for them
# (openpyxl/reader/excel.py, _find_workbook_part).
WORKBOOK_TYPES = (XLTM, XLTX, XLSM, XLSX)
SHEETS = f"{{{SHEET_MAIN_NS}}}sheets"
RELATION_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# What the XML parser reads a member's text as: a byte order mark (UTF-32 first, whose
# little-endian mark starts with UTF-16's), else the encoding its declaration names.
UTF8_BOM = b"\xef\xbb\xbf"
OTHER_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff")
XML_DECLARATION = re.compile(rb"<\?xml\s[^>]*?encoding\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
SCAN_CHUNK = 1 << 20
MB = 1024 * 1024


@dataclass(frozen=True)
class Part:
    """A kind of part the import gives openpyxl, with its bounds and how a person is told."""

    what: str  # "formatting (...)": what the file holds too much of, in a person's words
    advice: str
    elements: int  # at most this many start tags; 0: per cell of LOYALTY_MAX_IMPORT_CELLS
    megabytes: int  # at most this many unpacked; 0: the upload's own limit
    # At most this many elements that are not a cell's content (CELL_CONTENT); 0: no such
    # bound (the part holds no cells).
    besides_cells: int = 0

    @property
    def per_cell(self) -> bool:
        """Whether the part is bounded by the cells an import reads (and, with the other
        such parts, by PACKAGE_ELEMENTS_PER_CELL)."""
        return self.elements == 0

    def element_limit(self) -> int:
        return self.elements or ELEMENTS_PER_CELL * settings.LOYALTY["MAX_IMPORT_CELLS"]

    def byte_limit(self) -> int:
        return self.megabytes * MB or settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def too_much_besides_cells(self) -> InvalidRequest:
        return InvalidRequest(TOO_MUCH_BESIDES_CELLS.format(limit=self.besides_cells))

    def too_large(self) -> InvalidRequest:
        return InvalidRequest(
            PART_TOO_LARGE.format(
                what=self.what,
                limit=self.element_limit(),
                megabytes=self.byte_limit() // MB,
                advice=self.advice,
            )
        )


# A cell is two or three elements (<c><v>, <c><is><t>, <c><f><v>), a shared string two
# (<si><t>); the rest is for rows, rich text and what a sheet holds besides its cells
# (merged cells, formatting rules), which openpyxl parses too as it reads the rows. A
# sheet of LOYALTY_MAX_IMPORT_CELLS cells is about 775,000 elements and 3.8 s of openpyxl.
ELEMENTS_PER_CELL = 4
# The bounds are far beyond what spreadsheets write (Excel's own limit is 64,000 cell
# formats, a few elements each), and cost openpyxl about a second at most (it takes some
# 14 us per style or defined name here).
PACKAGE_INDEX = Part(
    what="internal entries (its index of parts)",
    advice="It was not written by a spreadsheet as usual. " + CSV_INSTEAD,
    elements=10_000,
    megabytes=2,
)
WORKBOOK = Part(
    what="sheets and named ranges",
    advice="Delete the named ranges you do not need (Formulas > Name Manager), " + OR_CSV,
    elements=10_000,
    megabytes=4,
)
STYLES = Part(
    what="formatting (cell styles, fonts, borders, colours)",
    advice="Select the sheet and clear its formats (Home > Clear > Clear Formats), " + OR_CSV,
    elements=100_000,
    megabytes=16,
)
# What a sheet's cells and the shared strings are made of: rows, cells, values, formulas,
# texts and rich-text runs with their fonts (ECMA-376's CT_Row, CT_Cell, CT_Rst, CT_RPrElt).
CELL_CONTENT = (
    "row c v f is t r rPr rPh phoneticPr sst si "
    "rFont charset family b i strike outline shadow condense extend color sz u vertAlign scheme"
).split()
# A start tag (any prefix) of an element that is none of those. openpyxl makes an object
# of every merged cell, formatting rule, validation or link, 11 to 14 us each, and holds
# an unknown element inside a row or a shared string with the row (eighth red team's
# follow-up: 990,000 merged cells in a 62 KB file cost 10.6 s and 720 MB; 990,000 empty
# elements inside one row, 14 KB, 2.3 s and 300 MB), while each part stayed within its
# bound of elements per cell. A sheet's own settings are a few dozen elements; a link a
# row or a merged cell in each of many rows fits.
BESIDES_CELL_CONTENT = re.compile(
    rb"<(?![/!?])(?:[A-Za-z_][\w.-]*:)?(?!(?:%s)[\s/>])" % "|".join(CELL_CONTENT).encode()
)
BESIDES_CELLS = 100_000
# A comment, a CDATA section or a processing instruction (the XML declaration excepted):
# the parser joins the text on either side of one, so many of them made one cell's text of
# pieces each within the import's bound on a text (ninth red team: 600 CDATA sections of
# 100,000 characters, a 69 KB file, one 60 MB cell, 559 MB in its worker). Spreadsheets
# write none of them in a sheet or its shared strings.
NOT_AS_SPREADSHEETS_WRITE_XML = re.compile(rb"<!|<\?(?!xml[\s?])")
# The sheet and the shared strings together: a full sheet of shared strings is 4 elements a
# cell and one a row (<c><v>, <si><t>, <row>), with room for some rich text and formatting
# rules; about what openpyxl spends on the largest file an import reads, some 5 s.
PACKAGE_ELEMENTS_PER_CELL = 5
SHARED_TEXT = Part(
    what="text",
    advice="Split it into smaller files, " + OR_CSV,
    elements=0,
    megabytes=0,
    besides_cells=BESIDES_CELLS,
)
WORKSHEET = Part(
    what="sheet content (cells, merged cells, formatting rules)",
    advice="Split it into smaller files, " + OR_CSV,
    elements=0,
    megabytes=0,
    besides_cells=BESIDES_CELLS,
)


@dataclass(frozen=True)
class Parts:
    """The parts of an XLSX the import reads, each with its bounds; `sheet` and `strings`
    name the parts whose cells are counted (`strings` None where there are none)."""

    bounds: dict[str, Part]
    sheet: str
    strings: str | None


# A zip's end of central directory record (APPNOTE.TXT 4.3.16): its signature, then the
# disk numbers, the entries on this disk and in all, the directory's size and offset, the
# comment's length; at most a 65,535-byte comment after it. ZIP64's locator comes just
# before it.
END_OF_DIRECTORY = b"PK\x05\x06"
END_OF_DIRECTORY_FORMAT = "<4s4H2LH"
END_OF_DIRECTORY_SIZE = struct.calcsize(END_OF_DIRECTORY_FORMAT)
ZIP64_LOCATOR = b"PK\x06\x07"
# The most a workbook's central directory may hold: PACKAGE_INDEX's entries, each some 100
# bytes of record and name. Python's zipfile makes an object of every entry as it opens
# the file (tenth red team: a 61 MB upload of 1,300,000 entries peaked at 700 MB before
# anything said it was no workbook).
DIRECTORY_BYTES = 2 * MB


def check_directory(content: bytes) -> None:
    """InvalidRequest if the zip `content`'s central directory holds more than
    PACKAGE_INDEX's entries or DIRECTORY_BYTES, read as zipfile finds it (the last end of
    directory record in the file's last 65,557 bytes), before zipfile opens it; nothing
    where there is none (zipfile then refuses the file)."""
    at = content.rfind(END_OF_DIRECTORY, max(0, len(content) - END_OF_DIRECTORY_SIZE - 65_535))
    if at < 0 or len(content) - at < END_OF_DIRECTORY_SIZE:
        return  # no directory: zipfile refuses the file as no zip at all
    record = struct.unpack_from(END_OF_DIRECTORY_FORMAT, content, at)
    entries, size = record[4], record[5]
    if content.rfind(ZIP64_LOCATOR, max(0, at - 20), at) >= 0 or size == 0xFFFFFFFF:
        raise PACKAGE_INDEX.too_large()  # a ZIP64 directory: no workbook needs one
    if entries > PACKAGE_INDEX.element_limit() or size > DIRECTORY_BYTES:
        raise PACKAGE_INDEX.too_large()


def import_parts(archive: zipfile.ZipFile) -> Parts:
    """The parts of `archive` openpyxl reads for the import, found as openpyxl finds them;
    InvalidRequest in a person's words where a part parsed to find them is beyond its
    bounds. The sheet's and the shared strings' bounds are checked as their cells are
    counted (customers/import_file.py), and every part's again by `package`."""
    names = set(archive.namelist())
    manifest = Manifest.from_tree(_parsed(archive, ARC_CONTENT_TYPES, PACKAGE_INDEX))
    workbook = _workbook_part(manifest)
    relations = get_rels_path(workbook)
    if relations not in names:
        raise InvalidRequest(NO_SHEET)
    sheets = _parsed(archive, workbook, WORKBOOK).find(SHEETS)
    sheet_ids = [] if sheets is None else [element.get(RELATION_ID) for element in sheets]
    _check(archive, relations, PACKAGE_INDEX)
    targets = get_dependents(archive, relations).to_dict()
    sheet = _first_worksheet(sheet_ids, targets, names)
    found = manifest.find(SHARED_STRINGS)
    strings = found.PartName[1:] if found is not None else None
    bounds = {ARC_CONTENT_TYPES: PACKAGE_INDEX, workbook: WORKBOOK, relations: PACKAGE_INDEX}
    bounds[sheet] = WORKSHEET
    if ARC_STYLE in names:
        bounds[ARC_STYLE] = STYLES
    if strings is not None and strings in names:
        bounds[strings] = SHARED_TEXT
    else:
        strings = None  # openpyxl then fails on a cell naming one: a damaged file
    return Parts(bounds=bounds, sheet=sheet, strings=strings)


def package_element_limit() -> int:
    """The most elements the parts bounded per cell (the sheet and the shared strings) may
    hold together."""
    return PACKAGE_ELEMENTS_PER_CELL * settings.LOYALTY["MAX_IMPORT_CELLS"]


def package_too_large() -> InvalidRequest:
    return InvalidRequest(PACKAGE_TOO_LARGE.format(limit=package_element_limit()))


def package(archive: zipfile.ZipFile, parts: Parts) -> bytes:
    """A zip of `parts` alone, each within its bounds and those bounded per cell within
    the package's together (InvalidRequest where one is not): all that openpyxl is given."""
    limit = package_element_limit()
    together = 0
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as packed:
        for name, part in parts.bounds.items():
            _check_size(archive, name, part)
            with packed.open(name, "w") as target:
                for chunk in part_chunks(archive, name, part):
                    if part.per_cell:
                        together += element_count(chunk)
                        if together > limit:
                            raise package_too_large()
                    target.write(chunk)
    return out.getvalue()


def _workbook_part(manifest: Manifest) -> str:
    for content_type in WORKBOOK_TYPES:
        part = manifest.find(content_type)
        if part is not None:
            return part.PartName[1:]
    # Some applications name only a default content type (openpyxl reads them all the same).
    if any(default.ContentType in WORKBOOK_TYPES for default in manifest.Default):
        return "xl/workbook.xml"
    raise InvalidRequest(BROKEN_XLSX)


def _first_worksheet(sheet_ids: list[str | None], targets: dict, names: set[str]) -> str:
    """The part of openpyxl's first worksheet: the first sheet of the workbook whose part
    is in the file and not a chartsheet (openpyxl's read_worksheets skips those)."""
    for sheet_id in sheet_ids:
        relation = targets.get(sheet_id)
        if relation is None or relation.TargetMode == "External":
            continue
        if "chartsheet" not in relation.Type and relation.target in names:
            return relation.target
    raise InvalidRequest(NO_SHEET)


def _parsed(archive: zipfile.ZipFile, name: str, part: Part):
    """The part's XML tree, once it is known to be within its bounds."""
    _check(archive, name, part)
    try:
        return fromstring(archive.read(name))
    except Exception:  # the XML parser (and defusedxml) raise many kinds; all mean damaged
        raise InvalidRequest(BROKEN_XLSX) from None


def _check(archive: zipfile.ZipFile, name: str, part: Part) -> None:
    _check_size(archive, name, part)
    for _chunk in part_chunks(archive, name, part):
        pass


def _check_size(archive: zipfile.ZipFile, name: str, part: Part) -> None:
    """From the zip's declared size, which the zip reader never reads beyond."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise InvalidRequest(BROKEN_XLSX) from None
    if info.file_size > part.byte_limit():
        raise part.too_large()


def part_chunks(archive: zipfile.ZipFile, name: str, part: Part) -> Iterator[bytes]:
    """The part's bytes a chunk at a time, InvalidRequest if they are not UTF-8 to the XML
    parser or hold more elements than `part` allows."""
    limit = part.element_limit()
    elements = besides_cells = 0
    with archive.open(name) as member:
        first = True
        while chunk := member.read(SCAN_CHUNK):
            if first:
                _check_encoding(chunk)
                first = False
            if b"\x00" in chunk:
                # XML holds no NUL character: the text is UTF-16 or UTF-32 without a byte
                # order mark, in which none of the tags counted is found.
                raise InvalidRequest(NOT_UTF8_XLSX)
            elements += element_count(chunk)
            if elements > limit:
                raise part.too_large()
            if part.besides_cells:
                if NOT_AS_SPREADSHEETS_WRITE_XML.search(chunk):
                    raise InvalidRequest(NOT_AS_SPREADSHEETS_WRITE)
                # A tag split between two chunks may be missed: at most one per chunk.
                besides_cells += len(BESIDES_CELL_CONTENT.findall(chunk))
                if besides_cells > part.besides_cells:
                    raise part.too_much_besides_cells()
            yield chunk


def element_count(chunk: bytes) -> int:
    """The elements counted in a part's chunk: start tags, comments and declarations; an
    end tag split between two chunks counts once more. Either only over-counts."""
    return chunk.count(b"<") - chunk.count(b"</")


def _check_encoding(head: bytes) -> None:
    """InvalidRequest unless the member (`head`, its first bytes) is UTF-8 to the XML
    parser: the tags are looked for in its bytes, which in UTF-16 or UTF-32 (a byte order
    mark, or a declaration naming them) or any other encoding hold none of them, while
    openpyxl reads the part all the same. Excel and other spreadsheets write UTF-8."""
    if head.startswith(OTHER_BOMS):
        raise InvalidRequest(NOT_UTF8_XLSX)
    head = head.removeprefix(UTF8_BOM)
    if not head.startswith(b"<?xml"):
        return  # no declaration: UTF-8, as XML reads it
    declaration = XML_DECLARATION.match(head)
    if declaration is None:
        return  # a declaration naming no encoding: UTF-8
    encoding = declaration.group(1)
    encoding = declaration.group(2) if encoding is None else encoding
    if encoding.lower() != b"utf-8":
        raise InvalidRequest(NOT_UTF8_XLSX)
