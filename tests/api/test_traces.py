"""Traces, spans and diffs read back over HTTP after real senders wrote them."""

from __future__ import annotations

import psycopg
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

from tests.api.spans_otlp import get, hex_id, post, span
from tests.factories import make_tenant
from tests.fix_server import LiveServer

DIFF = (
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n"
    "@@ -1 +1,2 @@\n-print(1)\n+print(2)\n+print(3)\n"
    "diff --git a/old.txt b/new.txt\nsimilarity index 100%\n"
    "rename from old.txt\nrename to new.txt\n"
)


def _sdk_trace(live: LiveServer, token: str, email: str) -> None:
    exporter = OTLPSpanExporter(
        endpoint=f"{live.url}/v1/traces", headers={"Authorization": f"Bearer {token}"}
    )
    provider = TracerProvider(resource=Resource.create({"service.name": "agent"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test-agent")
    root = tracer.start_as_current_span("invoke_agent", attributes={"user.id": email})
    # The tool spans are children of the chat span, itself a child of the root.
    with root, tracer.start_as_current_span("chat claude-sonnet-4") as llm:
        llm.set_attributes({
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "claude-sonnet-4", "user.id": email,
            "gen_ai.usage.input_tokens": 1200, "gen_ai.usage.output_tokens": 300,
        })  # fmt: skip
        with tracer.start_as_current_span("execute_tool Edit") as tool:
            tool.set_attributes({
                "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "Edit",
                "tool.output.diff": DIFF, "user.id": email,
            })  # fmt: skip
        with tracer.start_as_current_span("execute_tool Bash") as bash:
            bash.set_attribute("gen_ai.operation.name", "execute_tool")
            bash.set_attribute("gen_ai.tool.name", "Bash")
            bash.set_status(Status(StatusCode.ERROR, "exit 1"))
    provider.shutdown()


def test_an_sdk_trace_reads_back_as_a_tree_with_its_diff(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    _sdk_trace(live, tenant.token, tenant.email)

    listed = get(live.url, tenant.token, "/v1/traces")
    assert listed.status_code == 200, listed.text
    (row,) = listed.json()["items"]
    assert row["root_span_name"] == "invoke_agent" and row["span_count"] == 4
    assert (row["input_tokens"], row["output_tokens"], row["total_tokens"]) == (
        1200, 300, 1500,
    )  # fmt: skip
    assert (row["error_count"], row["diff_count"]) == (1, 1)
    assert row["user_id"] == str(tenant.user_id)
    assert row["team_id"] == str(tenant.team_id)

    tree = get(live.url, tenant.token, f"/v1/traces/{row['trace_id']}").json()
    shape = [(s["name"], s["depth"], s["orphan"]) for s in tree["spans"]]
    assert shape == [
        ("invoke_agent", 0, False),
        ("chat claude-sonnet-4", 1, False),
        ("execute_tool Edit", 2, False),
        ("execute_tool Bash", 2, False),
    ]
    edit = tree["spans"][2]
    assert edit["span_class"] == "tool" and edit["tool_name"] == "Edit"
    assert edit["has_diff"] and edit["attributes"]["gen_ai.tool.name"] == "Edit"
    assert tree["spans"][3]["status"] == "error"
    assert edit["parent_span_id"] == tree["spans"][1]["span_id"]

    full = get(live.url, tenant.token, f"/v1/spans/{edit['id']}").json()
    assert full["resource"]["service.name"] == "agent"
    assert full["payload_id"] and full["payload_id"] != edit["id"]
    assert (full["events"], full["links"]) == ([], [])

    diff = get(live.url, tenant.token, f"/v1/spans/{edit['id']}/diff").json()
    assert diff["source"] == "tool.output.diff" and diff["raw"] == DIFF.rstrip("\n")
    assert (diff["added"], diff["removed"], diff["file_count"]) == (2, 1, 2)
    app, moved = diff["files"]
    assert app["hunks"][0]["lines"] == ["-print(1)", "+print(2)", "+print(3)"]
    assert (moved["old_path"], moved["new_path"], moved["renamed"]) == (
        "old.txt", "new.txt", True,
    )  # fmt: skip
    assert diff["warnings"] == [] and not diff["cut"]

    no_change = get(live.url, tenant.token, f"/v1/spans/{tree['spans'][0]['id']}/diff")
    assert no_change.status_code == 404
    assert "made no code change" in no_change.json()["error"]["message"]


def test_openrouter_broadcast_shape_with_opaque_trace_ids(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    trace = "gen-1760000000-AbCdEf123"
    usage = {
        "gen_ai.request.model": "openai/gpt-4o", "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 20, "gen_ai.usage.total_cost": 0.25,
        "gen_ai.response.id": trace, "user.id": tenant.email,
    }  # fmt: skip
    post(live.url, tenant.token, [
        span(trace, "root-1", "LLM Generation", attrs=usage),
        span(trace, "child-1", "generation", parent="root-1", start_ms=1, attrs=usage),
        span(trace, "child-2", "provider attempt 1", parent="child-1", start_ms=2),
    ], service="openrouter")  # fmt: skip

    (row,) = get(live.url, tenant.token, "/v1/traces").json()["items"]
    assert row["trace_id"] == trace and row["root_span_name"] == "LLM Generation"
    # The children repeat the root's usage; it counts once.
    assert (row["input_tokens"], row["cost_usd"]) == (100, 0.25)

    tree = get(live.url, tenant.token, f"/v1/traces/{trace}").json()
    assert [(s["span_id"], s["depth"]) for s in tree["spans"]] == [
        ("root-1", 0), ("child-1", 1), ("child-2", 2),
    ]  # fmt: skip


def test_a_span_whose_parent_never_arrived_is_shown_at_the_root(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    trace = hex_id(7)
    post(live.url, tenant.token, [
        span(trace, hex_id(1, 8), "root"),
        span(trace, hex_id(2, 8), "child", parent=hex_id(1, 8), start_ms=1),
        span(trace, hex_id(3, 8), "lost", parent=hex_id(99, 8), start_ms=2),
        span(trace, hex_id(4, 8), "lost child", parent=hex_id(3, 8), start_ms=3),
    ])  # fmt: skip

    tree = get(live.url, tenant.token, f"/v1/traces/{trace}").json()

    assert [(s["name"], s["depth"], s["orphan"]) for s in tree["spans"]] == [
        ("root", 0, False), ("child", 1, False),
        ("lost", 0, True), ("lost child", 1, False),
    ]  # fmt: skip


def test_a_retried_export_counts_each_span_once(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    spans = [span(hex_id(5), hex_id(1, 8), "root"), span(hex_id(5), hex_id(2, 8), "c",
             parent=hex_id(1, 8))]  # fmt: skip
    post(live.url, tenant.token, spans)
    post(live.url, tenant.token, spans)

    (row,) = get(live.url, tenant.token, "/v1/traces").json()["items"]
    tree = get(live.url, tenant.token, f"/v1/traces/{hex_id(5)}").json()

    assert row["span_count"] == 2 and tree["span_count"] == 2


def test_pages_and_filters(live: LiveServer, db: psycopg.Connection) -> None:
    tenant = make_tenant(db)
    spans = []
    for n in range(7):
        model = "gpt-4o" if n % 2 else "claude-sonnet-4"
        attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": model}
        spans.append(span(hex_id(100 + n), hex_id(1, 8), f"run {n}", start_ms=n * 1000))
        spans.append(span(hex_id(100 + n), hex_id(2, 8), "llm", parent=hex_id(1, 8),
                          start_ms=n * 1000 + 5, error=n == 3,
                          attrs=attrs))  # fmt: skip
    post(live.url, tenant.token, spans)

    seen, cursor = [], None
    while True:
        answer = get(live.url, tenant.token, "/v1/traces", limit=3, cursor=cursor)
        seen += [row["root_span_name"] for row in answer.json()["items"]]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"run {n}" for n in reversed(range(7))]

    def names(**params: object) -> list[str]:
        items = get(live.url, tenant.token, "/v1/traces", **params).json()["items"]
        return [row["root_span_name"] for row in items]

    assert names(model="gpt-4o") == ["run 5", "run 3", "run 1"]
    assert names(has_error="true") == ["run 3"]
    assert names(has_error="false", model="gpt-4o") == ["run 5", "run 1"]
    assert names(**{"from": "2025-10-09T08:53:23Z", "to": "2025-10-09T08:53:25Z"}) == [
        "run 4", "run 3",
    ]  # fmt: skip
    assert names(service="elsewhere") == []
    bad = get(live.url, tenant.token, "/v1/traces", cursor="not-a-cursor")
    assert bad.status_code == 422
    assert get(live.url, tenant.token, "/v1/traces", limit=500).status_code == 422
    assert get(live.url, tenant.token, "/v1/traces/nope").status_code == 404


def test_diff_list_malformed_and_large_diffs(
    live: LiveServer, db: psycopg.Connection
) -> None:
    tenant = make_tenant(db)
    big = "--- /dev/null\n+++ b/src/big.py\n@@ -0,0 +1,300 @@\n" + "".join(
        f"+line {n}\n" for n in range(300)
    )
    tool = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "Edit"}
    edit = {**tool, "tool_parameters": '{"file_path": "docs/a.md", "old_string": '
            '"a", "new_string": "b"}'}  # fmt: skip
    post(live.url, tenant.token, [
        span(hex_id(1), hex_id(1, 8), "big", attrs={**tool, "tool.output.diff": big}),
        span(hex_id(2), hex_id(1, 8), "junk", start_ms=1,
             attrs={**tool, "tool.output.diff": "--- a\n+++ b\n@@ garbage\n"}),
        span(hex_id(3), hex_id(1, 8), "edit", start_ms=2, attrs=edit),
        span(hex_id(4), hex_id(1, 8), "read", start_ms=3,
             attrs={**tool, "tool_parameters": '{"file_path": "x"}'}),
    ])  # fmt: skip

    items = get(live.url, tenant.token, "/v1/diffs").json()["items"]
    assert [(i["files"], i["added"], i["removed"]) for i in items] == [
        (["docs/a.md"], 1, 1), (["b"], 0, 0), (["src/big.py"], 300, 0),
    ]  # fmt: skip
    assert items[0]["tool_name"] == "Edit"
    src = get(live.url, tenant.token, "/v1/diffs", path="src/").json()["items"]
    assert [i["files"] for i in src] == [["src/big.py"]]
    paged = get(live.url, tenant.token, "/v1/diffs", limit=1)
    assert len(paged.json()["items"]) == 1 and paged.json()["next_cursor"]

    page = get(
        live.url, tenant.token, f"/v1/spans/{items[2]['span_id']}/diff", lines=50
    )
    diff = page.json()
    assert diff["cut"] and len(diff["files"][0]["hunks"][0]["lines"]) == 50
    assert diff["added"] == 300 and len(diff["raw"].splitlines()) == 50

    junk = get(live.url, tenant.token, f"/v1/spans/{items[1]['span_id']}/diff")
    assert junk.status_code == 200 and junk.json()["raw"] == "--- a\n+++ b\n@@ garbage"
    assert junk.json()["warnings"]
