"""LINE Messaging API: the first real notice channel (line-bot-sdk v3), webhook signatures and account linking.

Configured from the environment so the API and every worker agree: `LINE_CHANNEL_ACCESS_TOKEN`,
`LINE_CHANNEL_SECRET`, and `LINE_API_BASE` (https://api.line.me by default; tests point it at a fake).

Account linking follows LINE's convention: the bot asks LINE for a link token for the chatting user and
sends them to our link page; a logged-in member hands the token to `start_link`, which stores a nonce of
ours (single-use, 10 minutes) and answers LINE's accountLink URL; LINE then posts an `accountLink`
webhook event with that nonce and the user's id, and `handle_events` binds the two.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from recycle.db import utcnow
from recycle.errors import InvalidInput
from recycle.notify.models import LineLinkNonce, Notice, NoticePreference
from recycle.notify.notices import PermanentSendError, TransientSendError, preference

log = logging.getLogger("thangngoen.line")
DEFAULT_API_BASE = "https://api.line.me"
ACCOUNT_LINK_URL = "https://access.line.me/dialog/bot/accountLink"
NONCE_LIFETIME = dt.timedelta(minutes=10)


@dataclass
class LineConfig:
    access_token: str
    channel_secret: str
    api_base: str = DEFAULT_API_BASE

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> LineConfig:
        env = dict(os.environ if env is None else env)
        return cls(
            env.get("LINE_CHANNEL_ACCESS_TOKEN", ""),
            env.get("LINE_CHANNEL_SECRET", ""),
            (env.get("LINE_API_BASE") or DEFAULT_API_BASE).rstrip("/"),
        )


def verify_signature(channel_secret: str, body: bytes, signature: str | None) -> bool:
    """X-Line-Signature is base64(HMAC-SHA256(channel secret, body)); no secret configured means nothing verifies."""
    if not channel_secret or not signature:
        return False
    from linebot.v3.webhook import SignatureValidator  # the SDK's check, a constant-time compare

    try:
        return SignatureValidator(channel_secret).validate(body.decode("utf-8"), signature)
    except UnicodeDecodeError:
        return False


def message_text(notice: Notice) -> str:
    title, body = (notice.title_en, notice.body_en) if notice.lang == "en" else (notice.title_th, notice.body_th)
    return f"{title}\n{body}".strip()[:5000]


class LineChannel:
    """Push one text message; X-Line-Retry-Key is the notice's own UUID, so a repeated push is delivered once."""

    name = "line"

    def __init__(self, config: LineConfig | None = None):
        self._config = config

    @property
    def config(self) -> LineConfig:
        return self._config or LineConfig.from_env()

    def send(self, notice: Notice, to: str | None) -> None:
        from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, PushMessageRequest, TextMessage
        from linebot.v3.messaging.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        cfg = self.config
        if not to:
            raise PermanentSendError("the member has no linked LINE account")
        if not cfg.access_token:
            raise TransientSendError("LINE_CHANNEL_ACCESS_TOKEN is not set")
        conf = Configuration(host=cfg.api_base, access_token=cfg.access_token)
        conf.retries = 0  # our outbox retries, with backoff; urllib3 must not retry behind its back
        request = PushMessageRequest(to=to, messages=[TextMessage(text=message_text(notice))])
        try:
            with ApiClient(conf) as client:
                MessagingApi(client).push_message_with_http_info(
                    request, x_line_retry_key=notice.retry_key, _request_timeout=(5, 15)
                )
        except ApiException as exc:
            if exc.status == 409:  # "already accepted" for this retry key: it was delivered by the earlier try
                log.info("LINE already accepted notice %s (retry key %s)", notice.id, notice.retry_key)
                return
            if exc.status == 429 or (exc.status or 0) >= 500:
                raise TransientSendError(f"LINE answered {exc.status}") from None
            raise PermanentSendError(f"LINE refused the message ({exc.status}): {(exc.body or b'')[:200]!r}") from None
        except HTTPError as exc:
            raise TransientSendError(f"LINE unreachable: {type(exc).__name__}") from None


def start_link(session: Session, tenant_id: int, household_id: int, link_token: str, now: dt.datetime | None = None) -> str:
    """The member (logged in) brings LINE's link token: store our nonce, answer where to send the browser."""
    token = (link_token or "").strip()
    if not 8 <= len(token) <= 200 or not token.replace("-", "").replace("_", "").isalnum():
        raise InvalidInput.field("link_token", "the link token LINE gave the bot")
    nonce = secrets.token_urlsafe(32)
    session.add(
        LineLinkNonce(nonce=nonce, tenant_id=tenant_id, household_id=household_id, expires_at=(now or utcnow()) + NONCE_LIFETIME)
    )
    session.flush()
    return f"{ACCOUNT_LINK_URL}?{urlencode({'linkToken': token, 'nonce': nonce})}"


@dataclass
class WebhookOutcome:
    linked: int = 0
    refused: int = 0
    unfollowed: int = 0


def handle_events(session: Session, payload: dict[str, Any], now: dt.datetime | None = None) -> WebhookOutcome:
    """Act on a verified webhook body: accountLink binds (once per nonce, before it expires); unfollow opts out."""
    now = now or utcnow()
    out = WebhookOutcome()
    for ev in payload.get("events") or []:
        if not isinstance(ev, dict):
            continue
        user_id = str((ev.get("source") or {}).get("userId") or "")[:64]
        if ev.get("type") == "accountLink":
            link = ev.get("link") or {}
            if link.get("result") == "ok" and user_id and _bind(session, str(link.get("nonce") or ""), user_id, now):
                out.linked += 1
            else:
                out.refused += 1
        elif ev.get("type") == "unfollow" and user_id:  # the member blocked the official account: stop pushing
            out.unfollowed += session.execute(
                update(NoticePreference).where(NoticePreference.line_user_id == user_id).values(opt_in=False, updated_at=now)
            ).rowcount
    return out


def _bind(session: Session, nonce: str, user_id: str, now: dt.datetime) -> bool:
    row = session.scalar(select(LineLinkNonce).where(LineLinkNonce.nonce == nonce[:64]).with_for_update())
    if row is None or row.used_at is not None or row.expires_at <= now:
        log.warning("account link refused: %s nonce", "unknown" if row is None else "used" if row.used_at else "expired")
        return False
    row.used_at, row.line_user_id = now, user_id
    # One LINE account speaks for one household of a tenant: a re-link moves it.
    session.execute(
        update(NoticePreference)
        .where(
            NoticePreference.tenant_id == row.tenant_id,
            NoticePreference.line_user_id == user_id,
            NoticePreference.household_id != row.household_id,
        )
        .values(line_user_id=None, line_linked_at=None, opt_in=False, updated_at=now)
    )
    session.flush()
    pref = preference(session, row.tenant_id, row.household_id)
    if pref is None:
        pref = NoticePreference(tenant_id=row.tenant_id, household_id=row.household_id)
        session.add(pref)
    # Linking is the member's own act on their phone; it is their consent to LINE messages (PDPA), dated.
    pref.line_user_id, pref.line_linked_at, pref.opt_in, pref.opt_in_at, pref.updated_at = user_id, now, True, now, now
    session.flush()
    return True


def unlink(session: Session, tenant_id: int, household_id: int) -> None:
    pref = preference(session, tenant_id, household_id)
    if pref is not None:
        pref.line_user_id, pref.line_linked_at, pref.opt_in, pref.updated_at = None, None, False, utcnow()
