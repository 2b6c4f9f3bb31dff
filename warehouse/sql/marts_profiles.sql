-- Profiles over the last 30 days (window_start .. window_end of marts_meta)
-- and all time, rebuilt whole on every run from counted_usage (a view, so
-- each statement reads only the columns it needs). Sessions are counted in
-- two steps (one row per key and session, then rows per key), which is much
-- faster than count(DISTINCT ...) inside the big groupings.
CREATE OR REPLACE TEMP VIEW windowed AS
SELECT u.*, u.day BETWEEN m.window_start AND m.window_end AS recent
FROM counted_usage u, (SELECT window_start, window_end FROM marts_meta) m;

CREATE OR REPLACE TEMP MACRO top3(names, weights) AS
    list_slice(list_transform(
        list_sort(list_zip(weights, names), 'DESC'), lambda x: x[2]), 1, 3);

CREATE OR REPLACE TABLE user_profiles AS
WITH sessions AS (
    SELECT customer_id, user_id,
           count(*) FILTER (WHERE recent) AS sessions_30d, count(*) AS sessions
    FROM (SELECT customer_id, user_id, session_id, bool_or(recent) AS recent
          FROM windowed WHERE session_id IS NOT NULL AND user_id IS NOT NULL
          GROUP BY ALL)
    GROUP BY ALL
), models AS (
    SELECT customer_id, user_id, model, sum(llm_calls) AS calls
    FROM windowed WHERE model IS NOT NULL AND user_id IS NOT NULL
    GROUP BY ALL HAVING sum(llm_calls) > 0
), tools AS (
    SELECT customer_id, user_id, tool, sum(llm_calls + tool_calls) AS uses
    FROM windowed WHERE user_id IS NOT NULL GROUP BY ALL
    HAVING sum(llm_calls + tool_calls) > 0
)
SELECT w.customer_id, w.user_id,
       arg_max(w.team_id, w.last_seen_at) AS team_id,
       {recent},
       {all_time},
       (SELECT top3(list(model), list(calls)) FROM models m
        WHERE m.customer_id = w.customer_id AND m.user_id = w.user_id) AS top_models,
       (SELECT top3(list(tool), list(uses)) FROM tools t
        WHERE t.customer_id = w.customer_id AND t.user_id = w.user_id) AS top_tools,
       min(w.first_seen_at) AS first_seen_at,
       max(w.last_seen_at) AS last_seen_at
FROM windowed w
LEFT JOIN sessions s ON s.customer_id = w.customer_id AND s.user_id = w.user_id
WHERE w.user_id IS NOT NULL
GROUP BY w.customer_id, w.user_id
ORDER BY w.customer_id, w.user_id;

CREATE OR REPLACE TEMP TABLE recent_users AS
SELECT customer_id, team_id, user_id,
       sum(llm_calls) AS calls, sum(input_tokens + output_tokens) AS tokens
FROM windowed WHERE recent AND user_id IS NOT NULL
GROUP BY ALL HAVING sum(llm_calls + tool_calls + spans) > 0;

CREATE OR REPLACE TABLE team_profiles AS
WITH sessions AS (
    SELECT customer_id, team_id,
           count(*) FILTER (WHERE recent) AS sessions_30d, count(*) AS sessions
    FROM (SELECT customer_id, team_id, session_id, bool_or(recent) AS recent
          FROM windowed WHERE session_id IS NOT NULL AND team_id IS NOT NULL
          GROUP BY ALL)
    GROUP BY ALL
), models AS (
    SELECT customer_id, team_id, model, sum(llm_calls) AS calls
    FROM windowed WHERE model IS NOT NULL AND team_id IS NOT NULL
    GROUP BY ALL HAVING sum(llm_calls) > 0
), tools AS (
    SELECT customer_id, team_id, tool, sum(llm_calls + tool_calls) AS uses
    FROM windowed WHERE team_id IS NOT NULL GROUP BY ALL
    HAVING sum(llm_calls + tool_calls) > 0
), leader AS (
    SELECT customer_id, team_id,
           arg_max(user_id, (calls, tokens, user_id)) AS most_active_user_id_30d,
           count(*) AS active_users_30d
    FROM recent_users GROUP BY ALL
)
SELECT w.customer_id, w.team_id,
       {recent},
       {all_time},
       any_value(l.most_active_user_id_30d) AS most_active_user_id_30d,
       coalesce(any_value(l.active_users_30d), 0) AS active_users_30d,
       (SELECT top3(list(model), list(calls)) FROM models m
        WHERE m.customer_id = w.customer_id AND m.team_id = w.team_id) AS top_models,
       (SELECT top3(list(tool), list(uses)) FROM tools t
        WHERE t.customer_id = w.customer_id AND t.team_id = w.team_id) AS top_tools,
       min(w.first_seen_at) AS first_seen_at,
       max(w.last_seen_at) AS last_seen_at
FROM windowed w
LEFT JOIN leader l ON l.customer_id = w.customer_id AND l.team_id = w.team_id
LEFT JOIN sessions s ON s.customer_id = w.customer_id AND s.team_id = w.team_id
WHERE w.team_id IS NOT NULL
GROUP BY w.customer_id, w.team_id
ORDER BY w.customer_id, w.team_id;

CREATE OR REPLACE TABLE tool_profiles AS
WITH sessions AS (
    SELECT customer_id, tool, vendor, model,
           count(*) FILTER (WHERE recent) AS sessions_30d, count(*) AS sessions
    FROM (SELECT customer_id, tool, vendor, model, session_id, bool_or(recent) AS recent
          FROM windowed WHERE session_id IS NOT NULL GROUP BY ALL)
    GROUP BY ALL
)
SELECT w.customer_id, w.tool, w.vendor, w.model,
       {recent},
       {all_time},
       count(DISTINCT w.user_id) FILTER (WHERE w.recent) AS users_30d,
       min(w.first_seen_at) AS first_seen_at,
       max(w.last_seen_at) AS last_seen_at
FROM windowed w
LEFT JOIN sessions s
  ON s.customer_id = w.customer_id AND s.tool = w.tool
 AND s.vendor IS NOT DISTINCT FROM w.vendor AND s.model IS NOT DISTINCT FROM w.model
GROUP BY w.customer_id, w.tool, w.vendor, w.model
ORDER BY w.customer_id, w.tool, w.vendor, w.model;

CREATE OR REPLACE TABLE dashboard AS
WITH sessions AS (
    SELECT customer_id,
           count(*) FILTER (WHERE recent) AS sessions_30d, count(*) AS sessions
    FROM (SELECT customer_id, session_id, bool_or(recent) AS recent
          FROM windowed WHERE session_id IS NOT NULL GROUP BY ALL)
    GROUP BY ALL
), leader AS (
    SELECT customer_id,
           arg_max(user_id, (calls, tokens, user_id)) AS most_active_user_id_30d,
           count(DISTINCT user_id) AS active_users_30d
    FROM (SELECT customer_id, user_id, sum(calls) AS calls, sum(tokens) AS tokens
          FROM recent_users GROUP BY ALL)
    GROUP BY ALL
)
SELECT w.customer_id,
       {recent},
       any_value(l.most_active_user_id_30d) AS most_active_user_id_30d,
       coalesce(any_value(l.active_users_30d), 0) AS active_users_30d,
       min(w.first_seen_at) AS first_seen_at,
       max(w.last_seen_at) AS last_seen_at
FROM windowed w
LEFT JOIN leader l ON l.customer_id = w.customer_id
LEFT JOIN sessions s ON s.customer_id = w.customer_id
GROUP BY w.customer_id
ORDER BY w.customer_id;
