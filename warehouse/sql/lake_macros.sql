-- Lines a unified diff adds (sign '+') or removes (sign '-'). File headers
-- ("+++ b/path", "--- a/path") are not changes.
-- TODO: a changed line whose own text starts with "++ " (or "-- ") looks like a
-- header here; count by hunk lengths if that ever matters in real diffs.
CREATE OR REPLACE TEMP MACRO diff_lines(d, sign) AS
    CASE WHEN d IS NULL THEN 0 ELSE
        len(list_filter(
            string_split(d, chr(10)),
            lambda x: starts_with(x, sign) AND NOT starts_with(x, repeat(sign, 3) || ' ')
        ))::INTEGER
    END;
