"""Unified diffs (plain or git-style) read into files, hunks and line counts.

The parser never raises: text it cannot place is reported as a warning and the
caller shows the raw text. Warnings name line numbers, never diff content,
since diffs may hold source code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

FileStatus = Literal["added", "deleted", "modified", "renamed"]

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")
_GIT_HEADER = re.compile(r'^diff --git "?a/(.+?)"? "?b/(.+?)"?$')
_BINARY = re.compile(r"^Binary files (.+?) and (.+?) differ$")
_NULL_PATH = "/dev/null"
_HEADER_STARTS = ("diff --git ", "--- ", "Binary files ")
NO_NEWLINE = "\\"


@dataclass(slots=True)
class Hunk:
    """One `@@` block: where it sits in the old and new file, and its lines.

    Each line keeps its one-character prefix (" ", "-", "+" or "\\" for the
    "No newline at end of file" marker) and loses its line ending.
    """

    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    section: str
    lines: list[str] = field(default_factory=list)


@dataclass(slots=True)
class FileDiff:
    """The change to one file. A path is None on the side where it does not exist."""

    old_path: str | None
    new_path: str | None
    binary: bool = False
    renamed: bool = False
    added: int = 0
    removed: int = 0
    hunks: list[Hunk] = field(default_factory=list)
    # Raw text lines [first_line, end_line) that describe this file.
    first_line: int = 0
    end_line: int = 0
    created: bool = False
    deleted: bool = False

    @property
    def status(self) -> FileStatus:
        if self.created or self.old_path is None:
            return "added"
        if self.deleted or self.new_path is None:
            return "deleted"
        if self.renamed:
            return "renamed"
        return "modified"

    @property
    def path(self) -> str:
        """The file's name now, or its last name if it was deleted."""
        return self.new_path or self.old_path or ""


@dataclass(slots=True)
class ParsedDiff:
    """A whole diff: its files, total line counts and what could not be read."""

    files: list[FileDiff] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    line_count: int = 0

    @property
    def added(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def removed(self) -> int:
        return sum(f.removed for f in self.files)


def split_lines(text: str) -> list[str]:
    """Lines without their endings; CRLF and LF both end a line."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def parse(text: str) -> ParsedDiff:
    """Read a unified diff; anything unreadable becomes a warning, never an error."""
    lines = split_lines(text)
    out = ParsedDiff(line_count=len(lines))
    _Parser(lines, out).run()
    if not out.files and text.strip():
        out.warnings.append("no file header found: this is not a unified diff")
    return out


def _clean_path(raw: str) -> str | None:
    # A timestamp may follow the name after a tab (GNU diff).
    path = raw.split("\t", 1)[0].strip()
    if len(path) >= 2 and path[0] == path[-1] == '"':
        path = path[1:-1]
    if path == _NULL_PATH or not path:
        return None
    if path[:2] in ("a/", "b/"):
        return path[2:]
    return path


class _Parser:
    """A single pass over the lines, one file and one hunk at a time."""

    def __init__(self, lines: list[str], out: ParsedDiff) -> None:
        self.lines = lines
        self.out = out
        self.pos = 0
        self.file: FileDiff | None = None
        # A git header's file waits for its ---/+++ lines before a new one starts.
        self.awaiting_paths = False

    def run(self) -> None:
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            self.pos += 1
            self._header(line)
        self._close(len(self.lines))

    def _header(self, line: str) -> None:
        git = _GIT_HEADER.match(line)
        if git:
            self._start(_clean_path("a/" + git[1]), _clean_path("b/" + git[2]))
            self.awaiting_paths = True
            return
        if line.startswith("--- ") and self._next_starts("+++ "):
            self._paths(line[4:], self.lines[self.pos][4:])
            self.pos += 1
            return
        binary = _BINARY.match(line)
        if binary and (self.file is None or self.file.hunks or self.file.binary):
            # `diff -r` reports a binary file with this line alone.
            self._start(_clean_path(binary[1]), _clean_path(binary[2]))
            assert self.file is not None
            self.file.binary = True
            return
        hunk = _HUNK.match(line)
        if hunk and self.file is not None:
            self.awaiting_paths = False
            self._hunk(hunk)
            return
        if self.file is not None and self._file_detail(line, self.file):
            return
        if line.strip():
            self._warn(f"line {self.pos} is outside any file or hunk; skipped")

    def _next_starts(self, prefix: str) -> bool:
        return self.pos < len(self.lines) and self.lines[self.pos].startswith(prefix)

    def _start(self, old: str | None, new: str | None) -> None:
        begin = self.pos - 1  # the header line just read
        self._close(begin)
        self.file = FileDiff(old, new, first_line=begin)

    def _close(self, end: int) -> None:
        if self.file is not None:
            self.file.end_line = end
            self.out.files.append(self.file)
        self.file = None

    def _paths(self, old_raw: str, new_raw: str) -> None:
        old, new = _clean_path(old_raw), _clean_path(new_raw)
        if self.awaiting_paths and self.file is not None:
            self.awaiting_paths = False
            self.file.old_path = old
            self.file.new_path = new
        else:
            self._start(old, new)
        assert self.file is not None
        self.file.created = self.file.created or old is None
        self.file.deleted = self.file.deleted or new is None
        self.file.renamed = self.file.renamed or (
            old is not None and new is not None and old != new
        )

    def _file_detail(self, line: str, file: FileDiff) -> bool:
        """Git's extended header lines; True when `line` was one."""
        if line.startswith("rename from ") or line.startswith("copy from "):
            file.old_path, file.renamed = line.split(" ", 2)[2], True
        elif line.startswith("rename to ") or line.startswith("copy to "):
            file.new_path, file.renamed = line.split(" ", 2)[2], True
        elif line.startswith("new file mode"):
            file.created, file.old_path = True, None
        elif line.startswith("deleted file mode"):
            file.deleted, file.new_path = True, None
        elif _BINARY.match(line) or line == "GIT binary patch":
            file.binary = True
            self._skip_binary_body()
        elif not line.startswith(("index ", "similarity index", "dissimilarity index",
                                  "old mode", "new mode")):  # fmt: skip
            return False
        return True

    def _skip_binary_body(self) -> None:
        # A "GIT binary patch" body is base85 lines until a blank line or a header.
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            if line.startswith(_HEADER_STARTS) or _HUNK.match(line):
                return
            self.pos += 1

    def _hunk(self, match: re.Match[str]) -> None:
        assert self.file is not None
        hunk = Hunk(
            old_start=int(match[1]),
            old_lines=1 if match[2] is None else int(match[2]),
            new_start=int(match[3]),
            new_lines=1 if match[4] is None else int(match[4]),
            section=match[5],
        )
        self.file.hunks.append(hunk)
        old_left, new_left = hunk.old_lines, hunk.new_lines
        while self.pos < len(self.lines) and (old_left > 0 or new_left > 0):
            line = self.lines[self.pos]
            kind = line[:1]
            if kind == NO_NEWLINE:
                hunk.lines.append(line)
            elif kind == "-" and old_left > 0:
                old_left -= 1
                self.file.removed += 1
                hunk.lines.append(line)
            elif kind == "+" and new_left > 0:
                new_left -= 1
                self.file.added += 1
                hunk.lines.append(line)
            elif kind in (" ", "") and old_left > 0 and new_left > 0:
                # Some tools strip the space of an empty context line.
                old_left, new_left = old_left - 1, new_left - 1
                hunk.lines.append(" " + line[1:])
            else:
                break
            self.pos += 1
        if old_left > 0 or new_left > 0:
            self._warn(
                f"hunk at line {self.pos} ends early: {old_left} old and "
                f"{new_left} new lines missing"
            )
        if self._next_starts(NO_NEWLINE):
            hunk.lines.append(self.lines[self.pos])
            self.pos += 1

    def _warn(self, message: str) -> None:
        # One warning per problem kind is enough to tell a reader to look at raw.
        if len(self.out.warnings) < 20:
            self.out.warnings.append(message)


@dataclass(slots=True)
class DiffPage:
    """A slice of a large diff: whole files, unless one file alone is too long."""

    files: list[FileDiff]
    raw: str
    # More files follow (`next_file`), or a file's hunks or the raw text were cut.
    cut: bool
    next_file: int | None


def page(parsed: ParsedDiff, text: str, *, start: int, max_lines: int) -> DiffPage:
    """Files from index `start` on, as many as fit in `max_lines` raw lines.

    A file longer than `max_lines` on its own comes alone, its hunks shortened;
    text with no file in it is shown raw up to `max_lines` lines.
    """
    lines = split_lines(text)
    chosen: list[FileDiff] = []
    used = 0
    for file in parsed.files[start:]:
        size = max(file.end_line - file.first_line, 1)
        if chosen and used + size > max_lines:
            break
        chosen.append(file)
        used += size
    after = start + len(chosen)
    next_file = after if after < len(parsed.files) else None
    first = chosen[0].first_line if chosen and start else 0
    # Text without files is shown raw on the first page only.
    last = chosen[-1].end_line if chosen else (0 if start else len(lines))
    end = min(last, first + max_lines)
    cut = next_file is not None or end < last
    if len(chosen) == 1 and used > max_lines:
        chosen = [_shortened(chosen[0], max_lines)]
    return DiffPage(chosen, "\n".join(lines[first:end]), cut, next_file)


def _shortened(file: FileDiff, max_lines: int) -> FileDiff:
    hunks: list[Hunk] = []
    left = max_lines
    for hunk in file.hunks:
        if left <= 0:
            break
        kept = Hunk(
            hunk.old_start, hunk.old_lines, hunk.new_start, hunk.new_lines,
            hunk.section, hunk.lines[:left],
        )  # fmt: skip
        hunks.append(kept)
        left -= len(kept.lines) + 1
    return FileDiff(
        file.old_path, file.new_path, file.binary, file.renamed, file.added,
        file.removed, hunks, file.first_line, file.end_line, file.created,
        file.deleted,
    )  # fmt: skip
