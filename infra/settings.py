"""One `Settings` class for the whole service, read from `SUPERVISION_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.vocabulary import Severity

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


# The severities a finding may have, by which 临近提醒 is set.
SEVERITIES = tuple(severity.value for severity in Severity)


def normalise_url(url: str) -> str:
    """Accept SQLAlchemy-style `postgresql+psycopg://` URLs too."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    """Configuration; every field can be set as `SUPERVISION_<FIELD>` (see the README table)."""

    model_config = SettingsConfigDict(env_prefix="SUPERVISION_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; absent: an embedded PostgreSQL in DATA_DIR is started",
    )
    migration_database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of the tables' owner, which `supervision migrate` uses; "
        "the role of DATABASE_URL then gets only what the service needs (INSERT and SELECT on "
        "the log). Absent: migrations use DATABASE_URL (one role)",
    )
    data_dir: Path = Field(default=Path("./var"), description="embedded database and local files")
    bootstrap_admin_token: SecretStr | None = Field(
        default=None, description="a token that is an admin from start-up"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    hash_algorithm: Literal["sha256", "sm3"] = Field(
        default="sha256", description="hash of the audit chain, fixed when the log is created"
    )
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    read_wait_seconds: float = Field(
        default=5.0, ge=0, description="how long reads wait for min_position"
    )
    waiting_reads_per_account: int = Field(
        default=32,
        ge=1,
        le=10_000,
        description="reads with min_position one account may have waiting at once, per "
        "HTTP process (a wait holds no thread; more answer 429)",
    )
    db_connections: int = Field(
        default=4,
        ge=2,
        le=100,
        description="the most connections one process of the service opens to PostgreSQL: "
        "its pool and its one listening connection. `serve` is the HTTP process and its "
        "projection worker; each extra HTTP worker adds one process; a one-shot command "
        "opens at most 2",
    )
    group_commit: bool = Field(
        default=True,
        description="write commands that arrive together in one transaction (one fsync), "
        "each with its own version check and answer",
    )
    group_commit_max: int = Field(default=128, ge=1, le=10_000)
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="HTTP worker processes of `serve` (one per core uses them all); the "
        "projection runners and automatic checkpoints still run once, beside them",
    )
    projection_runners: Literal["worker", "in-process", "off"] = Field(
        default="worker",
        description="worker: a child process started and supervised by `serve`; "
        "in-process: threads of the API process; off: run `supervision projections run` "
        "yourself",
    )
    signing_key_file: Path | None = Field(
        default=None,
        description="Ed25519 private key (PEM, PKCS#8) that signs checkpoints; absent: "
        "DATA_DIR/signing-key.pem, generated at first start",
    )
    checkpoint_every_events: int = Field(
        default=10000, ge=0, description="a signed checkpoint every N new events (0: never)"
    )
    checkpoint_every_minutes: float = Field(
        default=60,
        ge=0,
        description="a signed checkpoint every T minutes when there are new events (0: never)",
    )
    log_level: LogLevel = "INFO"
    log_format: Literal["json", "text"] = "json"
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="origins allowed to call the API from a browser, comma-separated "
        "(absent: no CORS headers at all)",
    )
    write_rate_limit: int = Field(
        default=0,
        ge=0,
        description="commands (POST) a token may send per minute; more get 429 (0: no limit)",
    )

    import_max_file_mb: int = Field(
        default=10, ge=1, le=1024, description="an Excel file to import may be this large"
    )
    import_max_unpacked_mb: int = Field(
        default=20, ge=1, le=4096, description="… and unpack to this much at most"
    )
    import_max_rows: int = Field(
        default=5000, ge=1, le=1_000_000, description="rows under an imported list's header"
    )
    import_max_columns: int = Field(default=50, ge=1, le=16384, description="columns of a row")
    import_max_merged_cells: int = Field(
        default=100_000, ge=0, le=10**8, description="cells a sheet's merged ranges cover"
    )

    # Evidence files and issued documents (issue 17, ADR 033).
    file_store: Literal["local", "s3"] = Field(
        default="local",
        description="where evidence files and issued documents are kept: local (DATA_DIR/files) "
        "or s3 (an S3-compatible bucket such as MinIO)",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="the S3-compatible endpoint (e.g. http://minio:9000)"
    )
    s3_bucket: str = Field(default="supervision-files", description="the bucket of the files")
    s3_access_key: str = "minioadmin"
    s3_secret_key: SecretStr = SecretStr("minioadmin")
    s3_region: str = "us-east-1"
    upload_max_file_mb: int = Field(
        default=20, ge=1, le=4096, description="an evidence file may be this large"
    )
    upload_max_request_mb: int = Field(
        default=100, ge=1, le=16384, description="one upload request may carry this much"
    )
    upload_max_files: int = Field(default=20, ge=1, le=1000, description="files one upload carries")
    upload_max_pixels: int = Field(
        default=60_000_000, ge=1, description="pixels of an uploaded image (decompression bombs)"
    )
    upload_max_unpacked_mb: int = Field(
        default=100, ge=1, le=16384, description="an uploaded Word or Excel file unpacks to this"
    )
    monthly_bulletin: bool = Field(
        default=True,
        description="the projection worker issues the county's 情况通报 of the month before "
        "on the first working day of each month (false: only by hand)",
    )
    files_grace_hours: float = Field(
        default=24,
        ge=0,
        description="an uploaded file no event cites is collected after this long",
    )

    # Notifications (issue 15 item 7, ADR 026): the channels the dispatcher delivers on.
    smtp_host: str | None = Field(
        default=None, description="mail server of the e-mail channel (absent: e-mail waits)"
    )
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = Field(default="supervision@localhost", description="the mails' From")
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="HMAC-SHA256 key that signs webhook deliveries (absent: webhooks wait)",
    )
    audit_public_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="the checkpoint keys the service's own verification pins (base64, hex or "
        "files; comma-separated): with them, a log no checkpoint of theirs covers fails too; "
        "absent: the service's own signing key, without that demand",
    )
    audit_witness_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="the public keys of the witnesses whose co-signatures the service's own "
        "verification checks (base64, hex or files; comma-separated)",
    )
    audit_witnesses_required: int = Field(
        default=0,
        ge=0,
        description="how many of those witnesses must have co-signed a checkpoint on the chain "
        "for the service's own verification to pass (0: none demanded)",
    )
    public_url: str | None = Field(
        default=None,
        description="the console's address as people reach it; notifications link to it",
    )
    dispatch_every_seconds: float = Field(
        default=5, gt=0, description="how often the dispatcher looks for notifications to send"
    )
    delivery_retry_seconds: float = Field(
        default=30, gt=0, description="first wait after a failed delivery (doubling each time)"
    )
    delivery_retry_max_seconds: float = Field(
        default=3600, gt=0, description="the longest wait between two tries of a delivery"
    )
    # The reminder rules' numbers, in working days (domain/reminders.py Policy).
    remind_acknowledge_within: int = Field(
        default=2, ge=1, le=60, description="签收催办 when an order is not signed for within N"
    )
    remind_near_before: dict[str, int] = Field(
        default_factory=lambda: {"serious": 5, "major": 3, "minor": 2},
        description='临近提醒 N days before the deadline, by severity (JSON: {"serious": 5, …}; '
        "serious, major or minor, each a whole number from 1 to 60; one left out: 3)",
    )
    remind_overdue_every: int = Field(
        default=3, ge=1, le=60, description="逾期催办 every N after the deadline"
    )
    remind_escalate_after: int = Field(
        default=3, ge=1, le=60, description="提级督办提醒 once N 催办 have been recorded"
    )
    remind_every_minutes: float = Field(
        default=60,
        ge=0,
        description="how often the projection worker runs the reminder rules (0: only "
        "`supervision reminders run`)",
    )

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def connection_string(cls, value: str | None) -> str | None:
        """A PostgreSQL URL (postgresql://…, postgresql+psycopg://…) or a libpq `key=value`
        string, read here, so a typo stops the start with one line that names it."""
        if value:
            try:
                conninfo_to_dict(normalise_url(value))
            except psycopg.ProgrammingError as error:
                raise ValueError(
                    f"not a PostgreSQL URL or conninfo ({str(error).strip()})"
                ) from None
        return value

    @field_validator("remind_near_before", mode="before")
    @classmethod
    def near_by_severity(cls, value: Any) -> Any:
        """Known severities, each a whole number of working days from 1 to 60 (a number
        below 1 would never fire; a severity misspelt would be silently ignored)."""
        if not isinstance(value, dict):
            return value  # the type's own error
        for severity, days in value.items():
            if severity not in SEVERITIES:
                raise ValueError(f"unknown severity {severity!r} (known: {', '.join(SEVERITIES)})")
            if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 60:
                raise ValueError(
                    f"{severity}: {days!r} is not a whole number of working days from 1 to 60"
                )
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def level_in_capitals(cls, value: Any) -> Any:
        """`debug` as well as `DEBUG`."""
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("cors_origins", "audit_public_keys", "audit_witness_keys", mode="before")
    @classmethod
    def split_origins(cls, value: Any) -> Any:
        """`https://a.example, https://b.example` as well as a list."""
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value
