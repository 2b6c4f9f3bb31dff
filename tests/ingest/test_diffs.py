"""Unified diffs read into files, hunks and counts, and served in pages."""

from __future__ import annotations

from ingest.diffs import page, parse

MULTI = """\
diff --git a/src/app.py b/src/app.py
index 83db48f..bf269f4 100644
--- a/src/app.py
+++ b/src/app.py
@@ -1,3 +1,4 @@ def main():
 import os
-print(1)
+print(2)
+print(3)
 os.exit(0)
@@ -10,2 +11,2 @@
-a
+b
 c
diff --git a/README.md b/README.md
--- a/README.md
+++ b/README.md
@@ -1 +1 @@
-# Old
+# New
"""


def test_multi_file_diff_counts_each_file_and_hunk() -> None:
    parsed = parse(MULTI)

    assert parsed.warnings == []
    app, readme = parsed.files
    assert (app.old_path, app.new_path, app.status) == (
        "src/app.py",
        "src/app.py",
        "modified",
    )
    assert (app.added, app.removed) == (3, 2)
    assert [
        (h.old_start, h.old_lines, h.new_start, h.new_lines) for h in app.hunks
    ] == [
        (1, 3, 1, 4),
        (10, 2, 11, 2),
    ]
    assert app.hunks[0].section == "def main():"
    assert app.hunks[0].lines == [" import os", "-print(1)", "+print(2)", "+print(3)",
                                  " os.exit(0)"]  # fmt: skip
    assert (readme.path, readme.added, readme.removed) == ("README.md", 1, 1)
    assert (parsed.added, parsed.removed) == (4, 3)


def test_plain_unified_diff_without_git_header() -> None:
    text = "--- old/a.txt\t2024-01-01 10:00:00\n+++ new/a.txt\n@@ -1 +1 @@\n-x\n+y\n"

    (file,) = parse(text).files

    assert (file.old_path, file.new_path) == ("old/a.txt", "new/a.txt")
    assert file.renamed and (file.added, file.removed) == (1, 1)


def test_rename_with_and_without_content_change() -> None:
    text = (
        "diff --git a/old.py b/new.py\nsimilarity index 100%\n"
        "rename from old.py\nrename to new.py\n"
        "diff --git a/x.py b/y.py\nsimilarity index 80%\nrename from x.py\n"
        "rename to y.py\n--- a/x.py\n+++ b/y.py\n@@ -1 +1 @@\n-1\n+2\n"
    )

    pure, edited = parse(text).files

    assert (pure.old_path, pure.new_path, pure.renamed, pure.status) == (
        "old.py",
        "new.py",
        True,
        "renamed",
    )
    assert (pure.added, pure.removed, pure.hunks) == (0, 0, [])
    assert (edited.old_path, edited.new_path, edited.renamed) == ("x.py", "y.py", True)
    assert (edited.added, edited.removed) == (1, 1)


def test_deleted_and_created_files() -> None:
    text = (
        "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n"
        "--- a/gone.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n"
        "diff --git a/new.py b/new.py\nnew file mode 100644\n"
        "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+hello\n"
    )

    gone, new = parse(text).files

    assert (gone.status, gone.old_path, gone.new_path, gone.removed) == (
        "deleted",
        "gone.py",
        None,
        2,
    )
    assert (new.status, new.old_path, new.new_path, new.added) == (
        "added",
        None,
        "new.py",
        1,
    )
    assert not gone.renamed and not new.renamed


def test_binary_markers() -> None:
    text = (
        "diff --git a/logo.png b/logo.png\nindex 1..2 100644\n"
        "Binary files a/logo.png and b/logo.png differ\n"
        "diff --git a/font.woff b/font.woff\nGIT binary patch\nliteral 12\n"
        "zcmZ?wbhEHbRA5kGXkcLY|NqP^\n\nliteral 0\nHcmV?d00001\n\n"
        "Binary files /dev/null and b/icon.ico differ\n"
    )

    parsed = parse(text)

    logo, font, icon = parsed.files
    assert logo.binary and logo.path == "logo.png" and logo.hunks == []
    assert font.binary and font.path == "font.woff"
    assert icon.binary and icon.status == "added" and icon.path == "icon.ico"
    assert parsed.warnings == []


def test_no_newline_marker_is_kept_but_not_counted() -> None:
    text = (
        "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-old\n\\ No newline at end of file\n"
        "+new\n\\ No newline at end of file\n"
    )

    (file,) = parse(text).files

    assert (file.added, file.removed) == (1, 1)
    assert file.hunks[0].lines == [
        "-old",
        "\\ No newline at end of file",
        "+new",
        "\\ No newline at end of file",
    ]


def test_diff_text_without_a_final_newline() -> None:
    (file,) = parse("--- a/f\n+++ b/f\n@@ -1 +1 @@\n-old\n+new").files

    assert (file.added, file.removed) == (1, 1)


def test_crlf_line_endings() -> None:
    text = MULTI.replace("\n", "\r\n")

    parsed = parse(text)

    assert parsed.warnings == []
    assert [f.path for f in parsed.files] == ["src/app.py", "README.md"]
    assert parsed.files[0].hunks[0].lines[1] == "-print(1)"
    assert (parsed.added, parsed.removed) == (4, 3)


def test_empty_diff_has_no_files_and_no_warning() -> None:
    for text in ("", "\n", "  \n"):
        parsed = parse(text)
        assert parsed.files == [] and parsed.warnings == []


def test_garbage_text_gives_a_warning_not_an_error() -> None:
    parsed = parse("this is not a diff\n@@ nor is this\n\x00\xff binary junk")

    assert parsed.files == []
    assert parsed.warnings[-1] == "no file header found: this is not a unified diff"
    assert all("junk" not in w for w in parsed.warnings)


def test_a_removed_line_that_looks_like_a_header_stays_in_its_hunk() -> None:
    text = "--- a/f\n+++ b/f\n@@ -1,2 +1 @@\n--- a/x\n-+++ b/x\n+y\n"

    (file,) = parse(text).files

    assert (file.removed, file.added) == (2, 1)


def test_a_short_hunk_is_a_warning() -> None:
    text = (
        "--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n-a\n+b\n"
        "diff --git a/g b/g\n--- a/g\n+++ b/g\n@@ -1 +1 @@\n-c\n+d\n"
    )

    parsed = parse(text)

    assert [f.path for f in parsed.files] == ["f", "g"]
    assert any("ends early" in w for w in parsed.warnings)


def test_a_large_diff_comes_in_pages_of_whole_files() -> None:
    one = "--- a/f{n}\n+++ b/f{n}\n@@ -1 +1 @@\n-a\n+b\n"
    text = "".join(one.format(n=n) for n in range(10))
    parsed = parse(text)

    first = page(parsed, text, start=0, max_lines=12)
    second = page(parsed, text, start=8, max_lines=12)

    assert [f.path for f in first.files] == ["f0", "f1"]
    assert first.cut and first.next_file == 2
    assert first.raw.splitlines()[0] == "--- a/f0" and len(first.raw.splitlines()) == 10
    assert [f.path for f in second.files] == ["f8", "f9"]
    assert not second.cut and second.next_file is None


def test_one_file_longer_than_a_page_is_shortened() -> None:
    body = "".join(f"+line {n}\n" for n in range(100))
    text = f"--- /dev/null\n+++ b/big\n@@ -0,0 +1,100 @@\n{body}"
    parsed = parse(text)

    shown = page(parsed, text, start=0, max_lines=20)

    assert shown.cut and shown.next_file is None
    (file,) = shown.files
    assert len(file.hunks[0].lines) == 20 and file.added == 100
    assert len(shown.raw.splitlines()) == 20
