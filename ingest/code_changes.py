"""The code change a tool span made, from whichever place its sender put it.

SENDERS.md section 5: `tool.output.diff` first (the normaliser keeps it, or a
patch found in the tool's payload, as the span's `diff`); failing that an edit
tool's arguments (`file_path` with `old_string`/`new_string`, a list of
`edits`, or a whole-file `content`), an apply_patch style patch, and last
Gemini's `diff_stat`, which has line counts and no text.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ingest.diffs import FileDiff, ParsedDiff, parse, split_lines

Attrs = Mapping[str, Any]

EXPLICIT_KEY = "tool.output.diff"
# Where edit tools put their arguments; a JSON object may arrive as a string
# or flattened into dotted keys (see ingest.attributes).
ARGUMENT_KEYS = (
    "tool_parameters",
    "tool.parameters",
    "gen_ai.tool.call.arguments",
    "arguments",
    "input.value",
    "tool.input",
)
DIFF_STAT_KEY = "diff_stat"
# Flattened argument members worth a look: the read side asks SQL for spans
# carrying any of these keys (or a `diff`), then decides here.
CANDIDATE_KEYS = (
    *ARGUMENT_KEYS,
    DIFF_STAT_KEY,
    *(f"{key}.{member}" for key in ARGUMENT_KEYS for member in ("file_path", "patch")),
)
_PATCH_BEGIN = "*** Begin Patch"
_SYNTHESISED = (
    "rebuilt from the edit tool's old and new text: line numbers count from "
    "the start of the edited text, not of the file"
)


@dataclass(frozen=True, slots=True)
class CodeChange:
    """A change and where it was found. `text` is empty when only counts are known."""

    source: str
    text: str
    parsed: ParsedDiff


def find_change(diff: str | None, attributes: Attrs) -> CodeChange | None:
    """The span's code change, or None when it made none that we can see.

    TODO: the daily marts should count lines added and removed with this too;
    until the rollup reads it, only /v1/diffs adds them up. Log records (Claude
    Code `tool_result`, Gemini `file_operation`) carry changes as well and are
    not searched yet.
    """
    if diff is not None and diff.strip():
        source = "tool.output.diff" if EXPLICIT_KEY in attributes else "tool payload"
        return _unified(source, diff)
    for key in ARGUMENT_KEYS:
        args = _object(attributes, key)
        change = _from_arguments(key, args) if args is not None else None
        if change is not None:
            return change
    return _from_diff_stat(attributes)


def _unified(source: str, text: str) -> CodeChange:
    if text.lstrip().startswith(_PATCH_BEGIN):
        return _apply_patch(source, text)
    return CodeChange(source, text, parse(text))


def _object(attributes: Attrs, key: str) -> Mapping[str, Any] | None:
    value = attributes.get(key)
    if isinstance(value, str):
        if value.lstrip().startswith(_PATCH_BEGIN):
            return {"patch": value}
        value = _json(value)
    if isinstance(value, Mapping):
        return value
    prefix = key + "."
    flat = {k[len(prefix) :]: v for k, v in attributes.items() if k.startswith(prefix)}
    return flat or None


def _json(text: str) -> object:
    if not text.lstrip().startswith("{"):
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _from_arguments(key: str, args: Mapping[str, Any]) -> CodeChange | None:
    for member in ("patch", "diff", "input"):
        text = args.get(member)
        if isinstance(text, str) and text.strip():
            change = _unified(f"{key}.{member}", text)
            if change.parsed.files:
                return change
    path = _text(args.get("file_path")) or _text(args.get("path"))
    if path is None:
        return None
    edits = _edits(args)
    if edits:
        return _synthesised(f"{key} (edit)", path, edits)
    content = args.get("content")
    if isinstance(content, str):
        return _whole_file(f"{key} (write)", path, content)
    return None


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _edits(args: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs = [args, *(e for e in _list(args.get("edits")) if isinstance(e, Mapping))]
    out = []
    for pair in pairs:
        old, new = pair.get("old_string"), pair.get("new_string")
        if isinstance(old, str) and isinstance(new, str) and old != new:
            out.append((old, new))
    return out


def _list(value: object) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return []
    return value if isinstance(value, list) else []


def _synthesised(
    source: str, path: str, edits: Iterable[tuple[str, str]]
) -> CodeChange:
    out = [f"--- a/{path}", f"+++ b/{path}"]
    for old, new in edits:
        hunk = difflib.unified_diff(
            split_lines(old), split_lines(new), lineterm="", n=3
        )
        out.extend(line for line in hunk if not line.startswith(("---", "+++")))
    text = "\n".join(out) + "\n"
    parsed = parse(text)
    parsed.warnings.append(_SYNTHESISED)
    return CodeChange(source, text, parsed)


def _whole_file(source: str, path: str, content: str) -> CodeChange:
    lines = split_lines(content)
    header = [f"--- a/{path}", f"+++ b/{path}", f"@@ -0,0 +1,{len(lines)} @@"]
    text = "\n".join(header + ["+" + line for line in lines]) + "\n"
    parsed = parse(text)
    parsed.warnings.append(
        "the tool wrote the whole file; its previous content is not in the telemetry"
    )
    return CodeChange(source, text, parsed)


def _apply_patch(source: str, patch: str) -> CodeChange:
    """An apply_patch envelope (`*** Update File: ...`) rewritten as a unified diff."""
    out: list[str] = []
    body: list[str] = []
    for line in split_lines(patch):
        if line.startswith("*** "):
            out.extend(_patch_hunks(body))
            body = []
            out.extend(_patch_header(line, out))
        elif line.startswith("@@") or line[:1] in (" ", "-", "+", ""):
            body.append(line)
    out.extend(_patch_hunks(body))
    text = "\n".join(out) + "\n" if out else ""
    parsed = parse(text)
    parsed.warnings.append("an apply_patch envelope: hunks carry no line numbers")
    return CodeChange(source, text, parsed)


def _patch_header(line: str, out: list[str]) -> list[str]:
    verb, _, path = line[4:].partition(": ")
    path = path.strip()
    if verb == "Update File":
        return [f"--- a/{path}", f"+++ b/{path}"]
    if verb == "Add File":
        return ["--- /dev/null", f"+++ b/{path}"]
    if verb == "Delete File":
        return [f"--- a/{path}", "+++ /dev/null"]
    if verb == "Move to" and out and out[-1].startswith("+++ "):
        out[-1] = f"+++ b/{path}"
    return []


def _patch_hunks(body: list[str]) -> list[str]:
    out: list[str] = []
    chunk: list[str] = []
    section = ""
    for line in [*body, "@@"]:
        if line.startswith("@@"):
            if chunk:
                old = sum(1 for x in chunk if x[:1] in (" ", "-", ""))
                new = sum(1 for x in chunk if x[:1] in (" ", "+", ""))
                out.append(f"@@ -{min(old, 1)},{old} +{min(new, 1)},{new} @@{section}")
                out.extend(chunk)
            chunk, section = [], line[2:].rstrip("@").rstrip()
            section = f" {section.strip()}" if section.strip() else ""
        else:
            chunk.append(line)
    return out


def _from_diff_stat(attributes: Attrs) -> CodeChange | None:
    stat = _object(attributes, DIFF_STAT_KEY)
    if stat is None:
        return None
    added, removed = (
        _count(stat.get("ai_added_lines")),
        _count(stat.get("ai_removed_lines")),
    )
    if added is None and removed is None:
        return None
    path = _text(attributes.get("file_path")) or _text(attributes.get("path")) or ""
    file = FileDiff(path or None, path or None, added=added or 0, removed=removed or 0)
    parsed = ParsedDiff(files=[file])
    parsed.warnings.append("only line counts were sent (diff_stat); no text")
    return CodeChange(DIFF_STAT_KEY, "", parsed)


def _count(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
