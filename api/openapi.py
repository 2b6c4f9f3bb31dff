"""The API's OpenAPI document as YAML, the form checked in as openapi.yaml."""

from __future__ import annotations

import yaml

from api.app import create_app
from stereos.settings import Settings

# No connection is made: building the app only declares its routes.
UNUSED_DATABASE = "postgresql://unused/openapi"


def document() -> str:
    """The OpenAPI 3.1 document of the app, as stable YAML."""
    settings = Settings(environment="development")
    app = create_app(settings, database_url=UNUSED_DATABASE)
    return yaml.safe_dump(app.openapi(), sort_keys=False, allow_unicode=True)
