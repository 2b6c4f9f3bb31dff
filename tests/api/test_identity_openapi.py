"""openapi.yaml is generated from the app, valid, and written for API users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate

from api.openapi import document

CHECKED_IN = Path(__file__).resolve().parents[2] / "openapi.yaml"


def test_checked_in_openapi_matches_the_code() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == document(), (
        "openapi.yaml is stale: run `stereos openapi` and commit the result"
    )


def test_openapi_is_a_valid_3_1_document() -> None:
    spec: dict[str, Any] = yaml.safe_load(CHECKED_IN.read_text(encoding="utf-8"))

    validate(spec)

    assert spec["openapi"].startswith("3.1")


def test_every_json_route_is_documented_and_needs_a_bearer() -> None:
    spec: dict[str, Any] = yaml.safe_load(document())
    public = {
        "/v1/onboarding",
        "/v1/onboarding/status",
        "/v1/auth/login",
        "/v1/auth/accept-invite",
        "/v1/traces",
        "/v1/metrics",
        "/v1/logs",
    }

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description"), f"{method} {path} has no docstring"
            if path.startswith("/v1/") and path not in public:
                assert operation.get("security") == [{"HTTPBearer": []}], path
