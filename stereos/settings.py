"""The one typed Settings object; nothing else reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path(".stereos")
MIB = 1024 * 1024
DEVELOPMENT = "development"
# Signs sessions only in development; any other environment must set
# STEREOS_JWT_SECRET, or the process refuses to start.
DEVELOPMENT_JWT_SECRET = "stereos-development-only-secret-do-not-deploy"
MIN_SECRET_CHARS = 32


class Settings(BaseSettings):
    """Runtime configuration, read once from the environment (prefix STEREOS_)."""

    model_config = SettingsConfigDict(env_prefix="STEREOS_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="PostgreSQL to use; unset means an embedded one in data_dir.",
    )
    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        description="Holds the embedded PostgreSQL, the lake and the marts.",
    )
    environment: str = Field(
        default="development",
        description="development or production; production refuses weak secrets.",
    )
    host: str = "127.0.0.1"
    port: int = 3000
    workers: int = Field(default=2, ge=1)
    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=8, ge=1)
    db_timeout_s: float = Field(
        default=5.0, description="Wait for a pooled connection before 503."
    )
    retry_after_s: int = Field(
        default=5, description="Retry-After sent with 503 answers."
    )
    max_body_bytes: int = Field(
        default=20 * MIB, description="Limit on an OTLP body after decompression."
    )
    max_inflight_requests: int = Field(
        default=64, ge=1, description="Per worker; past it ingest answers 503."
    )
    log_level: str = "INFO"
    lake_url: str | None = Field(
        default=None,
        description="Parquet lake: a folder or a pyarrow URL such as s3://bucket/"
        "prefix; unset means data_dir/lake.",
    )
    marts_path: Path | None = Field(
        default=None,
        description="The published DuckDB marts file; unset means "
        "data_dir/marts/stereos.duckdb.",
    )
    dagster_host: str = "127.0.0.1"
    dagster_port: int = Field(default=3001, description="The Dagster UI's port.")
    dagster_home: Path = Field(
        default=Path("dagster_home"),
        description="Folder of the Dagster instance (dagster.yaml).",
    )
    dagster_storage: Literal["local", "postgres"] = Field(
        default="local",
        description="Dagster run and event storage: files under dagster_home, or "
        "PostgreSQL (dagster_database_url, else DATABASE_URL).",
    )
    dagster_database_url: str | None = None
    refresh_interval_s: int = Field(
        default=10, ge=1, description="How often the pipeline looks at the log."
    )
    marts_memory_limit: str = Field(
        default="1GB", description="DuckDB memory limit while building the marts."
    )
    jwt_secret: SecretStr | None = Field(
        default=None,
        description="Signs session tokens; required outside development "
        f"(at least {MIN_SECRET_CHARS} characters).",
    )
    id_secret: SecretStr | None = Field(
        default=None,
        description="Keys the opaque span ids in API answers; unset means the "
        "session secret. Changing it changes every span id handed out.",
    )
    jwt_issuer: str = "stereos"
    jwt_audience: str = "stereos-api"
    session_ttl_s: int = Field(
        default=3600, ge=60, le=86400, description="Lifetime of a session token."
    )
    open_signup: bool = Field(
        default=False,
        description="Let POST /v1/onboarding create a new customer on every call.",
    )
    invite_ttl_s: int = Field(
        default=7 * 86400, ge=60, description="How long an invite code works."
    )

    @model_validator(mode="after")
    def _secret_outside_development(self) -> Settings:
        if self.environment == DEVELOPMENT:
            return self
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
        if len(secret) < MIN_SECRET_CHARS:
            raise ValueError(
                f"STEREOS_JWT_SECRET must be set to at least {MIN_SECRET_CHARS} "
                f"random characters when environment is {self.environment!r}"
            )
        return self

    @property
    def session_secret(self) -> str:
        """The key that signs session tokens."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        return DEVELOPMENT_JWT_SECRET

    @property
    def public_id_secret(self) -> str:
        """The key of opaque public ids (span and payload ids)."""
        if self.id_secret is not None:
            return self.id_secret.get_secret_value()
        return "public ids:" + self.session_secret

    @property
    def postgres_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def lake_location(self) -> str:
        return self.lake_url or str(self.data_dir / "lake")

    @property
    def marts_file(self) -> Path:
        return self.marts_path or self.data_dir / "marts" / "stereos.duckdb"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment on first use."""
    return Settings()
