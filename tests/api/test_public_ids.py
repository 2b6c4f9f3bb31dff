"""Opaque span ids: they round-trip, hide the log's order and depend on the key."""

from __future__ import annotations

from datetime import UTC, datetime

from api.public_ids import ID_CHARS, PublicIds, RowKey

AT = datetime(2025, 3, 1, 12, 30, 45, 123456, tzinfo=UTC)


def test_an_id_decodes_to_the_place_it_was_made_from() -> None:
    ids = PublicIds("secret", "span")
    for key in (RowKey(AT, 1, 0), RowKey(AT, 2**62, 2**31), RowKey(AT, 0, 0)):
        text = ids.encode(key)
        assert len(text) == ID_CHARS and text.isalnum() and text == text.lower()
        assert ids.decode(text) == key


def test_neighbouring_rows_get_unrelated_ids() -> None:
    ids = PublicIds("secret", "span")
    first, second = ids.encode(RowKey(AT, 41, 0)), ids.encode(RowKey(AT, 42, 0))

    same = sum(a == b for a, b in zip(first, second, strict=True))
    assert same < ID_CHARS // 2


def test_the_key_and_the_kind_change_every_id() -> None:
    key = RowKey(AT, 7, 3)
    span = PublicIds("secret", "span").encode(key)

    assert PublicIds("other", "span").encode(key) != span
    assert PublicIds("secret", "payload").encode(key) != span
    assert PublicIds("other", "span").decode(span) != key


def test_strings_that_are_not_ids_decode_to_nothing() -> None:
    ids = PublicIds("secret", "span")
    for text in ("", "abc", "!" * ID_CHARS, "a" * (ID_CHARS + 1), "1" * ID_CHARS):
        assert ids.decode(text) is None
