"""Bounds an uploaded spreadsheet must keep before anything reads it, so a small hostile file cannot take
a worker's memory or time: a zip bomb, a sheet whose two cells far apart make a huge grid, one shared
string repeated in every cell, a CSV of one endless line.

check(path) looks at the file by its first bytes, the way the readers do, and raises ValidationError
with a message for the user when the file is past a limit; the readers (roster/read.py, roster/lists.py)
call it before python-calamine or csv sees the bytes. The limits are passed down from the page or command
that reads the file (`Limits.from_config(app.config)`), else the defaults.

- .xlsx: the zip's own records are read, never extracted. The central directory's size and the member
  count come first; then each member is inflated a block at a time into nothing, counting what it
  really gives (never trusting the sizes the zip declares): each member's size and the total against
  XLSX_MAX_UNCOMPRESSED_MB, each large member's compression ratio against XLSX_MAX_RATIO. Every member
  is scanned as it streams by: the largest cell address on each sheet (rows x columns, the grid
  calamine builds) against SHEET_MAX_ROWS and SHEET_MAX_CELLS, the longest text after a tag against
  Excel's own cell limit, and the longest shared string times the cells that use shared strings.
- .xls: the file's size against XLS_MAX_MB (BIFF is not compressed: what calamine holds follows it).
- CSV: bytes, rows, cells (separators) and the longest line, counted a block at a time.
"""

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

from flask_babel import gettext as _

from ..core.errors import ValidationError
from .files import signature

BLOCK = 1 << 20
MB = 1024 * 1024
RATIO_FROM = MB  # members smaller than this may compress as well as they like
# Excel keeps at most 32,767 characters in a cell (96 KB of Chinese in UTF-8): text between two tags,
# or a CSV line, longer than WINDOW may be refused, longer than twice WINDOW is.
WINDOW = 128 * 1024
CENTRAL_ENTRY = 46  # the fixed part of a central directory entry
ENTRY_ROOM = 1024  # bytes of central directory allowed per member (names, extra fields)
EOCD = struct.Struct("<4s4H2LH")
LOCAL = struct.Struct("<4s5H3L2H")
# Cell addresses and tags as Excel writes them; a block with any other spacing or quoting is first
# brought to this form (_plain), so an odd but valid spelling is counted all the same.
_ROW_OF_REF = re.compile(rb' r="[$A-Za-z]{0,6}([0-9]{1,20})"')  # a row's number, or a cell's row
_COLUMN_OF_REF = re.compile(rb' r="\$?([A-Za-z]{1,4})')
CELL_TAGS = (b"<c ", b"<c>", b"<c/")
ODD = (b"\t", b"\n", b"\r", b"'", b" =", b"= ")
_ODD_TO_PLAIN = bytes.maketrans(b"\t\n\r'", b'   "')
_SPACE_BEFORE = re.compile(rb" +=")
_SPACE_AFTER = re.compile(rb"= +")
_SI_END = re.compile(rb"si\s*>")  # in <si> and </si>, spaced or not
_SI_TAG = re.compile(rb"[<:]si[\s>]")
_TAG = re.compile(rb"!|/?[A-Za-z_][\w.:-]{0,100}(?:\s[^<>]{0,900})?/?>")
HEAD = 1024  # bytes kept of a run, to tell a tag from a picture
UTF16 = (b"\xff\xfe<\x00", b"\xfe\xff\x00<", b"<\x00?\x00", b"\x00<\x00?")
OVERLAP = 64  # the longest pattern above fits in this many bytes


@dataclass(frozen=True)
class Limits:
    max_members: int = 1000
    max_uncompressed_mb: int = 100
    max_ratio: int = 100
    max_rows: int = 200_000
    max_cells: int = 2_000_000
    xls_max_mb: int = 20

    @classmethod
    def from_config(cls, config):
        names = {
            "max_members": "XLSX_MAX_MEMBERS",
            "max_uncompressed_mb": "XLSX_MAX_UNCOMPRESSED_MB",
            "max_ratio": "XLSX_MAX_RATIO",
            "max_rows": "SHEET_MAX_ROWS",
            "max_cells": "SHEET_MAX_CELLS",
            "xls_max_mb": "XLS_MAX_MB",
        }
        default = cls()
        return cls(**{key: int(config.get(name) or getattr(default, key)) for key, name in names.items()})


def check(path, limits=None, unreadable=None):
    """Raise ValidationError({"file": message}) when the file at path is past a limit; return its kind.
    unreadable() gives the message for a "workbook" that is no zip at all (the reader's own words)."""
    limits = limits or Limits()
    with open(path, "rb") as file:
        head = file.read(8)
        kind = signature(head) or "csv"
        file.seek(0)
        if kind == "xlsx":
            _check_zip(file, limits, unreadable or _damaged_message)
        elif kind == "xls":
            file.seek(0, 2)
            if file.tell() > limits.xls_max_mb * MB:
                _refuse(
                    _(
                        "The .xls file is larger than %(mb)d MB: it was not read. Save it as .xlsx and upload that.",
                        mb=limits.xls_max_mb,
                    )
                )
            file.seek(0)
            _check_xls(file.read(), limits)
        else:
            _check_csv(file, limits)
    return kind


def _refuse(message):
    raise ValidationError({"file": message})


def _too_big(limits):
    _refuse(
        _(
            "The workbook unpacks to more than %(mb)d MB, or packs its contents suspiciously tight: "
            "it was not read. Save it again from Excel, or split it into several files.",
            mb=limits.max_uncompressed_mb,
        )
    )


def _damaged_message():
    return _("The workbook is damaged or not a real .xlsx file: it was not read. Save it again from Excel.")


def _damaged():
    _refuse(_damaged_message())


def _too_many_cells(limits):
    _refuse(
        _(
            "A sheet is larger than %(rows)d rows or %(cells)d cells, counting from A1 to its last used "
            "cell: it was not read. Delete the empty rows and columns after the data, or split the file.",
            rows=limits.max_rows,
            cells=limits.max_cells,
        )
    )


# .xlsx ---------------------------------------------------------------------------------------------


def _end_record(file, unreadable):
    """(member count, central directory size) from the zip's end record; refuses a file without one."""
    file.seek(0, 2)
    size = file.tell()
    tail_size = min(size, EOCD.size + 65535)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < EOCD.size:
        _refuse(unreadable())
    fields = EOCD.unpack_from(tail, at)
    return fields[4], fields[5], fields[6]  # entries in all, directory size, directory offset


def _check_zip(file, limits, unreadable):
    entries, directory_size, _offset = _end_record(file, unreadable)
    # A zip64 file says 0xFFFF here; the directory's size still bounds how many members it can name.
    if entries > limits.max_members or directory_size > limits.max_members * (CENTRAL_ENTRY + ENTRY_ROOM):
        _too_many_members(limits)
    file.seek(0)
    try:
        members = zipfile.ZipFile(file).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, struct.error):
        _refuse(unreadable())
    if len(members) > limits.max_members:
        _too_many_members(limits)
    budget = limits.max_uncompressed_mb * MB
    declared = 0
    for member in members:
        declared += member.file_size
        if member.file_size > budget or declared > budget:
            _too_big(limits)
    scan = _WorkbookScan()
    total = 0
    for member in members:
        total += _inflate(file, member, budget - total, limits, scan)
    if scan.cells > limits.max_cells:
        _too_many_cells(limits)
    if scan.shared_refs * scan.longest_si > budget:
        _too_big(limits)


def _too_many_members(limits):
    _refuse(
        _("The workbook holds more than %(n)d parts: it was not read. Save it again from Excel.", n=limits.max_members)
    )


def _inflate(file, member, room, limits, scan):
    """The member's real size, inflated a block at a time into nothing (at most room bytes) and scanned."""
    file.seek(member.header_offset)
    header = file.read(LOCAL.size)
    if len(header) < LOCAL.size or header[:4] != b"PK\x03\x04":
        _damaged()
    fields = LOCAL.unpack(header)
    file.seek(member.header_offset + LOCAL.size + fields[9] + fields[10])  # past the name and extra field
    if member.compress_type == 0:  # stored
        inflater = None
    elif member.compress_type == 8:  # deflated: the only method Excel writes
        inflater = zlib.decompressobj(-15)
    else:
        _damaged()
    left = member.compress_size
    size = 0
    sheet = _MemberScan(scan)
    while left > 0:
        data = file.read(min(BLOCK, left))
        if not data:
            break
        left -= len(data)
        while True:
            if inflater is None:
                out, data = data, b""
            else:
                try:
                    out = inflater.decompress(data, BLOCK)
                except zlib.error:
                    _damaged()
                data = inflater.unconsumed_tail
            size += len(out)
            if size > room:
                _too_big(limits)
            if size > member.file_size:
                _damaged()  # more than the zip says: a doctored header
            if size >= RATIO_FROM and size > limits.max_ratio * max(member.compress_size, 1):
                _too_big(limits)  # packed too tight: a bomb
            sheet.feed(out)
            if not data and len(out) < BLOCK:
                break
        if inflater is not None and inflater.eof:
            break
    rows = sheet.close()
    if size < member.file_size:
        _damaged()  # shorter than it says: a broken or doctored zip
    if rows > limits.max_rows:
        _too_many_cells(limits)
    return size


class _WorkbookScan:
    """What the members say, summed over the workbook."""

    def __init__(self):
        self.cells = 0  # sum over the members of (last row x last column)
        self.shared_refs = 0  # cells of type "s" (a shared string)
        self.longest_si = 0  # bytes of the longest shared string item, markup included


class _MemberScan:
    """One member streamed through, whatever its name or first bytes (calamine reads as a sheet whatever
    the workbook's relations point at, and skips junk before the first tag): text runs, cell addresses,
    shared strings. Each block is searched with the last bytes of the one before, so nothing is missed
    across a boundary (what is seen twice there is a maximum, or a count that only grows: on the safe
    side); nothing is kept but counts.

    calamine builds a sheet's grid from its first to its last cell, and places a cell without an address
    after the one before it: such cells count as if they were all in one row. A shared string is measured
    from one "si>" to the next, markup included: never less than its text. Text is what follows a tag;
    the bytes of a picture, where no tag starts, are not text."""

    def __init__(self, scan):
        self.scan, self.tail = scan, b""
        self.started = False
        self.run, self.run_head = 0, None  # bytes since the last "<", and the first of them
        self.si_run, self.si_seen, self.si_longest = 0, False, 0  # bytes since the last "si>"
        self.rows = self.row_tags = self.columns = self.cell_tags = self.addressed = 0

    def feed(self, data):
        if not data:
            return
        if not self.started:
            self.started = True
            if data[:4] in UTF16:  # Excel writes UTF-8; the scan below reads nothing else
                _damaged()
        self._runs(data)
        buffer = self.tail + data
        odd = any(mark in buffer for mark in ODD)
        self._shared_strings(data, odd)
        if odd:
            buffer = _plain(buffer)
        rows = _ROW_OF_REF.findall(buffer)
        if rows:  # a row's cells share its number: each number converted once
            self.rows = max(self.rows, max(map(int, set(rows))))
        columns = _COLUMN_OF_REF.findall(buffer)
        if columns:
            self.addressed += len(columns)
            self.columns = max(self.columns, max(map(_column, set(columns))))
        # "<row" also counts a <rowBreaks> or two: on the safe side.
        self.row_tags += buffer.count(b"<row")
        cells = buffer.count(b"<c ")
        if buffer.count(b"<c") != cells:  # some "<c" is not "<c ": count each spelling of a cell tag
            cells = sum(map(buffer.count, CELL_TAGS))
        self.cell_tags += cells
        if b":" in buffer and (b":row" in buffer or b":c" in buffer):  # tags with a namespace prefix
            self.row_tags += buffer.count(b":row")
            self.cell_tags += sum(buffer.count(b":" + tag[1:]) for tag in CELL_TAGS)
        self.scan.shared_refs += buffer.count(b't="s"')
        self.tail = buffer[-OVERLAP:]

    def _runs(self, data):
        """Refuse text longer than Excel allows: more than twice WINDOW bytes after a tag without the next
        "<". Each WINDOW-sized slice is looked at with one find(); only a slice without "<" (never in a
        workbook Excel wrote) has its runs measured."""
        first = data.find(b"<")
        if first < 0:
            self.run += len(data)
            if self.run_head is not None and len(self.run_head) < HEAD:
                self.run_head += data[: HEAD - len(self.run_head)]
        else:
            if self.run + first > 2 * WINDOW and _is_text(self.run_head):
                raise ValidationError({"file": _long_text()})
            if any(data.find(b"<", at, at + WINDOW) < 0 for at in range(first, len(data) - WINDOW, WINDOW)):
                pieces = data[first + 1 :].split(b"<")[:-1]
                if any(len(piece) > 2 * WINDOW and _is_text(piece) for piece in pieces):
                    raise ValidationError({"file": _long_text()})
            last = data.rfind(b"<")
            self.run, self.run_head = len(data) - last - 1, data[last + 1 : last + 1 + HEAD]
        if self.run > 2 * WINDOW and _is_text(self.run_head):
            raise ValidationError({"file": _long_text()})

    def _shared_strings(self, data, odd):
        pieces = _SI_END.split(data) if odd else data.split(b"si>")
        if len(pieces) == 1:
            self.si_run += len(data)
            return
        # "si>" in a picture's bytes by chance is no shared string: a tag must open somewhere.
        self.si_seen = self.si_seen or bool(_SI_TAG.search(data))
        self.si_longest = max(self.si_longest, self.si_run + len(pieces[0]), max(map(len, pieces[1:-1]), default=0))
        self.si_run = len(pieces[-1])

    def close(self):
        if self.si_seen:
            self.scan.longest_si = max(self.scan.longest_si, self.si_longest, self.si_run)
        # A tag split between two blocks may be missed by the counts: a cell or two a megabyte.
        if not self.row_tags:
            return 0  # not a sheet: calamine reads cells only inside rows
        rows = max(self.rows, self.row_tags)
        columns = max(self.columns, self.cell_tags - self.addressed, 1)
        self.scan.cells += rows * columns
        return rows


def _plain(buffer):
    """Attributes as Excel spells them: tabs and line breaks as spaces, single quotes as double ones, no
    spaces around "=". (Text is changed too, but only counted, never read.)"""
    buffer = buffer.translate(_ODD_TO_PLAIN)
    if b" =" in buffer:
        buffer = _SPACE_BEFORE.sub(b"=", buffer)
    if b"= " in buffer:
        buffer = _SPACE_AFTER.sub(b"=", buffer)
    return buffer


def _is_text(head):
    """Whether bytes that follow a "<" are a tag and the text after it (a CDATA section or a comment
    counts too), not a picture's bytes."""
    return head is not None and _TAG.match(head) is not None


def _longest_run(data, mark, run, message):
    """Refuse, with message(), a run of more than twice WINDOW bytes without mark; never one of less than
    WINDOW. run: the bytes without mark at the end of the blocks before; returns the same for the next.
    Looks for mark in each WINDOW-sized slice, a few find() calls a megabyte."""
    first = data.find(mark)
    if first < 0:
        run += len(data)
    elif run + first > 2 * WINDOW:
        run += first
    else:
        for start in range(0, len(data) - WINDOW + 1, WINDOW):
            if data.find(mark, start, start + WINDOW) < 0:
                raise ValidationError({"file": message()})
        run = len(data) - data.rfind(mark) - 1
    if run > 2 * WINDOW:
        raise ValidationError({"file": message()})
    return run


def _long_text():
    return _("A cell of the workbook holds more text than Excel allows (32,767 characters): it was not read.")


def _column(letters):
    number = 0
    for letter in letters.upper():  # bytes: each letter is its code
        number = number * 26 + letter - 64
    return number


# .xls ----------------------------------------------------------------------------------------------
# A compound file (CFB) holding a BIFF "Workbook" stream: the file is at most XLS_MAX_MB, so it is read
# whole; the stream's records are walked for each sheet's last cell, as calamine would place it.

CFB_FREE, CFB_END = 0xFFFFFFFF, 0xFFFFFFFE
BOF, EOF_RECORD = 0x0809, 0x000A
GLOBALS = 0x0005
# Records of one cell, row and column first: NUMBER, RK, LABELSST, LABEL, BLANK, BOOLERR, FORMULA, RSTRING.
CELL_RECORDS = frozenset((0x0203, 0x027E, 0x00FD, 0x0204, 0x0201, 0x0205, 0x0006, 0x00D6))
ROW_OF_CELLS = frozenset((0x00BD, 0x00BE))  # MULRK, MULBLANK: row, first column, ..., last column


class _BadCfb(Exception):
    pass


def _check_xls(data, limits):
    try:
        stream = _cfb_stream(data, ("workbook", "book"))
    except (_BadCfb, struct.error, IndexError):
        _damaged()
    cells, last_row, last_column, in_sheet, at = 0, -1, -1, False, 0
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        body = stream[at + 4 : at + 4 + length]
        at += 4 + length
        if kind in CELL_RECORDS and len(body) >= 4:
            row, column = struct.unpack_from("<HH", body)
        elif kind in ROW_OF_CELLS and len(body) >= 6:
            row, column = struct.unpack_from("<H", body)[0], struct.unpack_from("<H", body, len(body) - 2)[0]
        elif kind == BOF or kind == EOF_RECORD:
            if in_sheet and last_row >= 0:
                cells += (last_row + 1) * (last_column + 1)
            in_sheet = kind == BOF and len(body) >= 4 and struct.unpack_from("<H", body, 2)[0] != GLOBALS
            last_row = last_column = -1
            if cells > limits.max_cells:
                _too_many_cells(limits)
            continue
        else:
            continue
        last_row, last_column = max(last_row, row), max(last_column, column)
        if last_row >= limits.max_rows:
            _too_many_cells(limits)
    if in_sheet and last_row >= 0:
        cells += (last_row + 1) * (last_column + 1)
    if cells > limits.max_cells:
        _too_many_cells(limits)


def _cfb_stream(data, names):
    """The bytes of the first stream of the compound file named one of names (lower case)."""
    if data[:8] != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or len(data) < 512:
        raise _BadCfb
    sector_shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
    if sector_shift not in (9, 12) or mini_shift != 6:
        raise _BadCfb
    size = 1 << sector_shift
    sectors = (len(data) - 512) // size + 1

    def sector(number):
        if number >= sectors:
            raise _BadCfb
        return data[(number + 1) * size : (number + 2) * size]

    first_directory = struct.unpack_from("<L", data, 0x30)[0]
    mini_cutoff, first_mini_fat, _mini_fat_count, next_difat, difat_count = struct.unpack_from("<5L", data, 0x38)
    fat_sectors = [n for n in struct.unpack_from("<109L", data, 0x4C) if n < CFB_END]
    for _number in range(min(difat_count, sectors)):
        if next_difat >= CFB_END:
            break
        entries = struct.unpack(f"<{size // 4}L", sector(next_difat))
        fat_sectors += [n for n in entries[:-1] if n < CFB_END]
        next_difat = entries[-1]
    fat = []
    for number in fat_sectors[: sectors // (size // 4) + 1]:  # no more than the file has sectors
        fat += struct.unpack(f"<{size // 4}L", sector(number))

    def chain(start, table, read, limit):
        parts, seen = [], 0
        while start < CFB_END:
            seen += 1
            if seen > limit or start >= len(table):
                raise _BadCfb
            parts.append(read(start))
            start = table[start]
        return b"".join(parts)

    directory = chain(first_directory, fat, sector, sectors)
    entries = [directory[at : at + 128] for at in range(0, len(directory) - 127, 128)]
    if not entries:
        raise _BadCfb
    root_start, root_size = struct.unpack_from("<LL", entries[0], 116)
    for entry in entries:
        name_length = struct.unpack_from("<H", entry, 64)[0]
        name = entry[: max(name_length - 2, 0)].decode("utf-16-le", "replace").lower()
        if entry[66] != 2 or name not in names:
            continue
        start, length = struct.unpack_from("<LL", entry, 116)
        if length >= mini_cutoff:
            return chain(start, fat, sector, sectors)[:length]
        raw = chain(first_mini_fat, fat, sector, sectors)
        mini_fat = struct.unpack(f"<{len(raw) // 4}L", raw)
        mini_stream = chain(root_start, fat, sector, sectors)[:root_size]

        def mini_sector(number, stream=mini_stream):
            return stream[number * 64 : (number + 1) * 64]

        return chain(start, mini_fat, mini_sector, len(mini_stream) // 64 + 1)[:length]
    raise _BadCfb


# CSV -----------------------------------------------------------------------------------------------


def csv_unreadable():
    """The readers' message when csv itself gives up on a file that passed the check."""
    return _(
        "The CSV file could not be read (a cell longer than Excel allows, or a quote never closed): it was not read."
    )


def _check_csv(file, limits):
    size = rows = cells = 0
    line = 0  # bytes since the last line break
    while data := file.read(BLOCK):
        size += len(data)
        if size > limits.max_uncompressed_mb * MB:
            _refuse(
                _("The CSV file is larger than %(mb)d MB: split it into several files.", mb=limits.max_uncompressed_mb)
            )
        breaks = data.count(b"\n")
        line = _longest_run(
            data,
            b"\n",
            line,
            lambda: _("A line of the CSV file is longer than %(kb)d KB: it was not read.", kb=2 * WINDOW // 1024),
        )
        rows += breaks
        cells += breaks + data.count(b",") + data.count(b"\t")
        if rows > limits.max_rows or cells > limits.max_cells:
            _refuse(
                _(
                    "The CSV file has more than %(rows)d rows or %(cells)d cells: split it into several files.",
                    rows=limits.max_rows,
                    cells=limits.max_cells,
                )
            )
