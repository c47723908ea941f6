"""Settings read from the environment, shared by the API, the CLI and Celery workers."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_INSTANCE = Path(os.environ.get("THANGNGOEN_INSTANCE", Path.cwd() / "instance"))


class SettingsError(RuntimeError):
    """Raised when a production deployment is missing a setting it must not guess."""


MIN_SECRET_LENGTH = 32


def _strong(name: str, value: str) -> None:
    if len(value) < MIN_SECRET_LENGTH or len(set(value)) < 10:
        raise SettingsError(
            f"{name} is too weak: use at least {MIN_SECRET_LENGTH} random characters, "
            f"e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )


@dataclass
class Settings:
    database_url: str
    secret_key: str
    broker_url: str | None = None
    result_backend: str | None = None
    ratelimit_storage_uri: str = "memory://"
    embedded: bool = True
    card_secret_key: str | None = None  # "kid:secret,..." (the first signs); None: the login key signs (tests)
    proxy_fix_x_for: int = 0  # how many proxies in front set X-Forwarded-For; 0 trusts none
    instance_path: Path = field(default_factory=lambda: DEFAULT_INSTANCE)
    retention: Retention = field(default_factory=lambda: Retention())

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, instance_path: Path | None = None, check: bool = True) -> Settings:
        """Embedded default when DATABASE_URL is unset: a SQLite file and generated, persisted keys.

        Production (DATABASE_URL set) refuses to start on a guessable secret, a missing card key or
        per-process rate-limit counters. `check=False` only reads the database URL (migrations).
        """
        env = dict(os.environ if env is None else env)
        inst = Path(instance_path or env.get("THANGNGOEN_INSTANCE") or DEFAULT_INSTANCE)
        db_url = env.get("DATABASE_URL")
        embedded = not db_url
        if embedded:
            inst.mkdir(parents=True, exist_ok=True)
            db_url = f"sqlite:///{inst / 'thangngoen.sqlite3'}"
        elif db_url.startswith("postgres://"):
            db_url = "postgresql+psycopg://" + db_url[len("postgres://") :]
        elif db_url.startswith("postgresql://"):
            db_url = "postgresql+psycopg://" + db_url[len("postgresql://") :]
        secret = env.get("SECRET_KEY")
        card = env.get("CARD_SECRET_KEY") or None
        broker = env.get("CELERY_BROKER_URL") or None
        storage = env.get("RATELIMIT_STORAGE_URI") or (
            "memory://" if embedded else (broker if broker and broker.startswith("redis") else "memory://")
        )
        try:
            proxies = int(env.get("PROXY_FIX_X_FOR") or 0)
        except ValueError:
            raise SettingsError("PROXY_FIX_X_FOR must be a whole number of proxies (0 trusts none)") from None
        if embedded:
            secret = secret or _instance_secret(inst)
            card = card or _instance_secret(inst, "card_secret_key", prefix="1:")
        elif check:
            if not secret:
                raise SettingsError("SECRET_KEY must be set when DATABASE_URL is set (production)")
            _strong("SECRET_KEY", secret)
            if not card:
                raise SettingsError(
                    "CARD_SECRET_KEY must be set when DATABASE_URL is set (production): printed QR "
                    "cards are signed with it, not with SECRET_KEY; see the README, 'Keys'"
                )
            if storage.startswith("memory"):
                raise SettingsError(
                    "RATELIMIT_STORAGE_URI is per-process memory: every gunicorn worker would count "
                    "login attempts on its own. Set RATELIMIT_STORAGE_URI=redis://... (or use a "
                    "Redis CELERY_BROKER_URL)"
                )
        if card and check:
            from recycle.qrtoken import CardKeys

            try:
                keys = CardKeys.parse(card)
            except ValueError as exc:
                raise SettingsError(f"CARD_SECRET_KEY: {exc}") from None
            if not embedded:
                for kid, value in keys.keys.items():
                    _strong(f"CARD_SECRET_KEY (key id {kid})", value)
        return cls(
            database_url=db_url,
            secret_key=secret or "",
            broker_url=broker,
            result_backend=env.get("CELERY_RESULT_BACKEND") or None,
            ratelimit_storage_uri=storage,
            embedded=embedded,
            instance_path=inst,
            card_secret_key=card,
            proxy_fix_x_for=max(proxies, 0),
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
    def from_env(cls, env: dict[str, str]) -> Retention:
        def num(name: str, default: int) -> int:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            if not raw.isdigit() or int(raw) < 1:
                raise SettingsError(f"{name} must be a whole number of at least 1, not {raw!r}")
            return int(raw)

        return cls(
            num("RETENTION_TOKEN_DAYS", cls.token_days),
            num("RETENTION_AUDIT_YEARS", cls.audit_years),
            num("RETENTION_CLOSED_DAYS", cls.closed_days),
        )


def _instance_secret(inst: Path, name: str = "secret_key", prefix: str = "") -> str:
    """The embedded default keeps generated keys so tokens and QR cards survive a restart."""
    inst.mkdir(parents=True, exist_ok=True)
    path = inst / name
    if path.exists():
        return path.read_text().strip()
    key = prefix + secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
