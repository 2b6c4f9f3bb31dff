"""Finding a tool span's code change in its diff or, failing that, its attributes."""

from __future__ import annotations

import json

from ingest.code_changes import find_change

DIFF = "--- a/app.py\n+++ b/app.py\n@@ -1 +1,2 @@\n-print(1)\n+print(2)\n+print(3)\n"


def test_the_diff_column_comes_first() -> None:
    attrs = {"tool.output.diff": DIFF, "tool_parameters": '{"file_path": "x"}'}

    change = find_change(DIFF, attrs)

    assert change is not None and change.source == "tool.output.diff"
    assert change.text == DIFF and change.parsed.files[0].path == "app.py"


def test_no_change_anywhere_is_none() -> None:
    assert find_change(None, {"gen_ai.tool.name": "Read", "file_path": "a"}) is None
    assert find_change("  ", {}) is None
    assert find_change(None, {"tool_parameters": "not json"}) is None


def test_claude_code_edit_parameters_become_a_diff() -> None:
    params = {
        "file_path": "/repo/a.py",
        "old_string": "x = 1\ny = 2",
        "new_string": "x = 1\ny = 3",
    }
    change = find_change(None, {"tool_parameters": json.dumps(params)})

    assert change is not None and change.source == "tool_parameters (edit)"
    (file,) = change.parsed.files
    assert file.path == "/repo/a.py" and (file.added, file.removed) == (1, 1)
    assert "-y = 2" in change.text and "+y = 3" in change.text
    assert any("line numbers" in w for w in change.parsed.warnings)


def test_flattened_arguments_and_multi_edit() -> None:
    attrs = {
        "gen_ai.tool.call.arguments.file_path": "b.py",
        "gen_ai.tool.call.arguments.edits": [
            {"old_string": "a", "new_string": "b"},
            {"old_string": "c\nd", "new_string": "e"},
        ],
    }

    change = find_change(None, attrs)

    assert change is not None
    (file,) = change.parsed.files
    assert (file.added, file.removed, len(file.hunks)) == (2, 3, 2)


def test_whole_file_write_counts_every_line_added() -> None:
    args = json.dumps({"file_path": "n.txt", "content": "a\nb\nc\n"})

    change = find_change(None, {"gen_ai.tool.call.arguments": args})

    assert change is not None and change.parsed.added == 3
    assert any("whole file" in w for w in change.parsed.warnings)


def test_apply_patch_envelope() -> None:
    patch = (
        "*** Begin Patch\n*** Update File: src/a.py\n*** Move to: src/b.py\n"
        "@@ def f():\n     x = 1\n-    return x\n+    return x + 1\n"
        "*** Add File: new.txt\n+hello\n+world\n*** Delete File: old.txt\n"
        "*** End Patch\n"
    )

    change = find_change(None, {"arguments": json.dumps({"input": patch})})

    assert change is not None and change.source == "arguments.input"
    moved, added, deleted = change.parsed.files
    assert (moved.old_path, moved.new_path, moved.renamed) == (
        "src/a.py",
        "src/b.py",
        True,
    )
    assert (moved.added, moved.removed) == (1, 1)
    assert moved.hunks[0].section == "def f():"
    assert (added.status, added.added) == ("added", 2)
    assert deleted.status == "deleted"


def test_gemini_diff_stat_gives_counts_without_text() -> None:
    stat = json.dumps(
        {"ai_added_lines": 7, "ai_removed_lines": 2, "user_added_lines": 1}
    )

    change = find_change(None, {"diff_stat": stat, "path": "src/x.ts"})

    assert change is not None and change.text == ""
    assert (change.parsed.added, change.parsed.removed) == (7, 2)
    assert change.parsed.files[0].path == "src/x.ts"
