"""Settings read from the environment, shared by the API, the CLI and Celery workers."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_INSTANCE = Path(os.environ.get("THANGNGOEN_INSTANCE", Path.cwd() / "instance"))


class SettingsError(RuntimeError):
    """Raised when a production deployment is missing a setting it must not guess."""


@dataclass
class Settings:
    database_url: str
    secret_key: str
    broker_url: str | None = None
    result_backend: str | None = None
    ratelimit_storage_uri: str = "memory://"
    embedded: bool = True
    instance_path: Path = field(default_factory=lambda: DEFAULT_INSTANCE)
    retention: "Retention" = field(default_factory=lambda: Retention())

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, instance_path: Path | None = None) -> "Settings":
        """Embedded default when DATABASE_URL is unset: a SQLite file and a generated, persisted key."""
        env = dict(os.environ if env is None else env)
        inst = Path(instance_path or env.get("THANGNGOEN_INSTANCE") or DEFAULT_INSTANCE)
        db_url = env.get("DATABASE_URL")
        embedded = not db_url
        if embedded:
            inst.mkdir(parents=True, exist_ok=True)
            db_url = f"sqlite:///{inst / 'thangngoen.sqlite3'}"
        elif db_url.startswith("postgres://"):
            db_url = "postgresql+psycopg://" + db_url[len("postgres://"):]
        elif db_url.startswith("postgresql://"):
            db_url = "postgresql+psycopg://" + db_url[len("postgresql://"):]
        secret = env.get("SECRET_KEY")
        if not secret:
            if not embedded:
                raise SettingsError("SECRET_KEY must be set when DATABASE_URL is set (production)")
            secret = _instance_secret(inst)
        broker = env.get("CELERY_BROKER_URL") or None
        return cls(
            database_url=db_url,
            secret_key=secret,
            broker_url=broker,
            result_backend=env.get("CELERY_RESULT_BACKEND") or None,
            ratelimit_storage_uri=env.get("RATELIMIT_STORAGE_URI") or ("memory://" if embedded else (broker if broker and broker.startswith("redis") else "memory://")),
            embedded=embedded,
            instance_path=inst,
            retention=Retention.from_env(env),
        )


@dataclass(frozen=True)
class Retention:
    """How long personal data is kept (PDPA s.37(3)); the beat task `recycle.apply_retention` applies it.

    - `token_days`: a revoked token's blocklist row, this many days after the token expired;
    - `audit_years`: audit entries (Thai accounting law keeps documents 5 years: the default);
    - `closed_days`: a closed membership's personal data is anonymised this many days after closing,
      once no money is owed (the ledger keeps its amounts)."""

    token_days: int = 30
    audit_years: int = 5
    closed_days: int = 365

    @classmethod
    def from_env(cls, env: dict[str, str]) -> "Retention":
        def num(name: str, default: int) -> int:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            if not raw.isdigit() or int(raw) < 1:
                raise SettingsError(f"{name} must be a whole number of at least 1, not {raw!r}")
            return int(raw)

        return cls(num("RETENTION_TOKEN_DAYS", cls.token_days), num("RETENTION_AUDIT_YEARS", cls.audit_years),
                   num("RETENTION_CLOSED_DAYS", cls.closed_days))


def _instance_secret(inst: Path) -> str:
    """The embedded default keeps one generated key so tokens and QR cards survive a restart."""
    inst.mkdir(parents=True, exist_ok=True)
    path = inst / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
