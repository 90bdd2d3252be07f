"""Who may use the panel: office staff, client users bound to one NIP, and API tokens.

Two roles: "biuro" (office staff: every company, approvals, history) and "klient" (a client's
user: one company, approved data only). What is stored and how:

- Passwords: `hashlib.scrypt` with a random 16-byte salt, kept as
  "scrypt$<n>$<r>$<p>$<salt>$<hash>" so the cost can rise later without breaking old hashes.
  The default cost (n=2**15, r=8, p=3, 32 MiB) is one of OWASP's scrypt settings; at most
  `MAX_PARALLEL_HASHES` hashes run at once, so a burst of logins cannot exhaust memory.
  Checking compares in constant time, and an unknown user costs the same hash as a known one.
- API tokens and activation tokens: only their sha256 is stored; the plain token is returned
  once, by the call that creates it.
- Sessions: a signed cookie (HMAC-SHA256) holding the user id, a random session id, the CSRF
  token, the expiry (12 hours after login; no sliding renewal) and a stamp of the password
  hash and of the user's last disabling, so a new password ends every older session, and so
  does disabling the user, for good: re-enabling it does not bring old sessions back. The key
  comes from the `session_secret` argument, else from the environment variable
  `KONEKTO_PANEL_SESSION_SECRET` (32 characters or more), else it is generated when the panel
  starts: then every session ends when the panel restarts. A signing key cannot be stored
  hashed (signing needs the key itself), so it is never stored at all. Logging out records the
  session id's sha256 until the session's expiry, so a copied cookie is refused after logout
  too.
- Anonymous visitors get a session without a user, only to carry the CSRF token of the login
  and activation forms; logging in replaces it with a new session id and CSRF token.
- Failed logins are counted per username and per client address, in memory of this process
  (`LoginLimiter`): 5 failures within 15 minutes block further attempts for that name or
  address until the oldest failure is 15 minutes old. Several panel processes count
  separately, and a restart forgets the counts. Behind a reverse proxy every client has the
  proxy's address unless uvicorn is run with `--proxy-headers` and `--forwarded-allow-ips`.
  Blocking per username also lets anyone lock a known user out for 15 minutes; a lockout is
  a delay, never a permanent block.
"""

import base64
import hashlib
import hmac
import json
import logging
import math
import os
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from konekto_pipeline.panel.contract import NIP_PATTERN
from konekto_pipeline.panel.storage import (
    PanelStorage,
    add_missing_columns,
    as_utc,
    metadata,
    utc_now,
)

logger = logging.getLogger(__name__)

ROLE_OFFICE = "biuro"
ROLE_CLIENT = "klient"
ROLES = (ROLE_OFFICE, ROLE_CLIENT)

SESSION_COOKIE = "konekto_sesja"
SESSION_SECRET_ENV = "KONEKTO_PANEL_SESSION_SECRET"
SESSION_LIFETIME = timedelta(hours=12)
ANONYMOUS_SESSION_LIFETIME = timedelta(hours=2)
ACTIVATION_LIFETIME = timedelta(days=7)
MIN_SECRET_LENGTH = 32

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_PARALLEL_HASHES = 4
API_TOKEN_PREFIX = "konekto_"

_USERNAME = re.compile(r"[^\s]{3,200}")
_NIP = re.compile(NIP_PATTERN)

users = sa.Table(
    "panel_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(200), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("nip", sa.String(10)),
    sa.Column("display_name", sa.String(200), nullable=False, default=""),
    sa.Column("password_hash", sa.String(300)),
    sa.Column("password_set_at", sa.DateTime(timezone=True)),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("disabled_at", sa.DateTime(timezone=True)),  # the last disabling, kept on enable
    sa.Index("ix_panel_users_nip", "nip"),
)

activation_tokens = sa.Table(
    "panel_activation_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("panel_users.id"), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True)),
    sa.Column("emailed_at", sa.DateTime(timezone=True)),
)

api_tokens = sa.Table(
    "panel_api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(200)),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)

ended_sessions = sa.Table(
    "panel_ended_sessions",
    metadata,
    sa.Column("session_sha256", sa.String(64), primary_key=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

AUTH_TABLES = (users, activation_tokens, api_tokens, ended_sessions)


class DisableRefused(ValueError):
    """A user that must not be disabled now (the last office user, or asked by a disabled one)."""


class PasswordRejected(ValueError):
    """A new password the panel does not accept; the message is Polish, for the user."""


@dataclass(frozen=True)
class User:
    """A panel user; `nip` is the one company a client user sees (None for office staff)."""

    id: int
    username: str
    role: str
    nip: str | None
    display_name: str
    has_password: bool
    disabled: bool
    disabled_at: datetime | None = None  # the last disabling, also of a user enabled again

    @property
    def is_office(self) -> bool:
        """Office staff: sees every company, approves, reads the history."""
        return self.role == ROLE_OFFICE

    @property
    def is_client(self) -> bool:
        """A client's user: sees its own company's approved data only."""
        return self.role == ROLE_CLIENT

    @property
    def label(self) -> str:
        """The name shown in the header and the history."""
        return self.display_name or self.username


@dataclass(frozen=True)
class ApiToken:
    """An API token as stored: its name and dates, never the token itself."""

    id: int
    name: str
    created_at: datetime
    created_by: str | None
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class Session:
    """What the session cookie carries; `user_id` is None for an anonymous visitor."""

    user_id: int | None
    session_id: str
    csrf_token: str
    expires: int
    stamp: str

    @property
    def expired(self) -> bool:
        """True once the expiry (seconds since the epoch) has passed."""
        return time.time() >= self.expires


@dataclass(frozen=True)
class ScryptCost:
    """scrypt's cost parameters for new hashes; old hashes keep the cost they were made with."""

    n: int = 2**15
    r: int = 8
    p: int = 3


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def normalize_username(username: str) -> str:
    """Usernames are compared without surrounding spaces and case ("Anna" is "anna")."""
    return username.strip().casefold()


def check_new_password(password: str, username: str = "") -> None:
    """Raises PasswordRejected (Polish message) for a password the panel does not accept."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"Hasło musi mieć co najmniej {MIN_PASSWORD_LENGTH} znaków.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"Hasło może mieć najwyżej {MAX_PASSWORD_LENGTH} znaków.")
    if password.strip() == "" or password.casefold() == normalize_username(username):
        raise PasswordRejected("Hasło nie może być takie samo jak login.")


# --- passwords ---------------------------------------------------------------------------------


class PasswordHasher:
    """scrypt hashes with their own cost and salt, checked in constant time."""

    def __init__(self, cost: ScryptCost | None = None) -> None:
        self.cost = cost or ScryptCost()
        self._slots = threading.BoundedSemaphore(MAX_PARALLEL_HASHES)
        self._dummy = self.hash(secrets.token_urlsafe(16))

    def _scrypt(self, password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        memory = 2 * 129 * r * n  # what scrypt needs (128 r n and a little), doubled for room
        with self._slots:
            return hashlib.scrypt(
                password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=memory, dklen=32
            )

    def hash(self, password: str) -> str:
        """A new hash of `password` with a random salt."""
        salt = secrets.token_bytes(16)
        cost = self.cost
        digest = self._scrypt(password, salt, cost.n, cost.r, cost.p)
        return f"scrypt${cost.n}${cost.r}${cost.p}${_b64(salt)}${_b64(digest)}"

    def verify(self, password: str, encoded: str | None) -> bool:
        """True when `password` matches; with no stored hash it still spends one hash."""
        if encoded is None:
            self.verify(password, self._dummy)
            return False
        try:
            scheme, n, r, p, salt, digest = encoded.split("$")
            if scheme != "scrypt":
                return False
            computed = self._scrypt(password, _unb64(salt), int(n), int(r), int(p))
        except ValueError:
            logger.error("a stored password hash is malformed; the login is refused")
            return False
        return hmac.compare_digest(computed, _unb64(digest))


# --- failed logins -----------------------------------------------------------------------------


class LoginLimiter:
    """Counts failed logins per key ("user:<name>", "ip:<address>") in this process's memory.

    `max_failures` failures within `window` block the key until the oldest of them is older
    than `window`. At most `max_keys` keys are kept; when full, the stalest are forgotten.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window: timedelta = timedelta(minutes=15),
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.max_failures = max_failures
        self.window = window.total_seconds()
        self.clock = clock
        self.max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures

    def retry_after(self, keys: Iterable[str]) -> int | None:
        """Seconds until a blocked key may try again (the longest of `keys`); None if none is."""
        with self._lock:
            now = self.clock()
            waits = [
                failures[0] + self.window - now
                for failures in (self._recent(key, now) for key in keys)
                if len(failures) >= self.max_failures
            ]
        return max(1, math.ceil(max(waits))) if waits else None

    def record_failure(self, keys: Iterable[str]) -> None:
        """Count one failed login against every key."""
        with self._lock:
            now = self.clock()
            if len(self._failures) >= self.max_keys:
                self._forget_stalest()
            for key in keys:
                failures = self._failures.setdefault(key, deque(maxlen=self.max_failures))
                failures.append(now)

    def reset(self, key: str) -> None:
        """Forget a key's failures (a user who logged in)."""
        with self._lock:
            self._failures.pop(key, None)

    def _forget_stalest(self) -> None:
        by_age = sorted(self._failures, key=lambda key: self._failures[key][-1])
        for key in by_age[: max(1, len(by_age) // 10)]:
            del self._failures[key]


@dataclass(frozen=True)
class LoginResult:
    """A login attempt's outcome: the user, or `retry_after` seconds when blocked, or neither."""

    user: User | None = None
    retry_after: int | None = None


# --- sessions ----------------------------------------------------------------------------------


def _session_key(secret: str | bytes | None) -> bytes:
    """The signing key: given, from the environment, or new for this process (see module doc)."""
    if secret is None:
        secret = os.environ.get(SESSION_SECRET_ENV) or None
        if secret is None:
            logger.warning(
                "%s is not set: a session key was generated, so sessions end on restart",
                SESSION_SECRET_ENV,
            )
            return secrets.token_bytes(32)
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    if len(raw) < MIN_SECRET_LENGTH:
        raise ValueError(f"the session secret must be at least {MIN_SECRET_LENGTH} characters")
    return hashlib.sha256(b"konekto-panel-session\x00" + raw).digest()


class SessionSigner:
    """Turns a Session into a cookie value and back; a tampered or expired cookie is None."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())

    def dumps(self, session: Session) -> str:
        """The cookie value: base64url JSON, ".", base64url HMAC-SHA256 of it."""
        fields = {
            "u": session.user_id,
            "s": session.session_id,
            "c": session.csrf_token,
            "e": session.expires,
            "p": session.stamp,
        }
        body = _b64(json.dumps(fields, separators=(",", ":")).encode("utf-8"))
        return f"{body}.{self._mac(body)}"

    def loads(self, value: str | None) -> Session | None:
        """The session in a cookie value, or None when it is missing, forged or expired."""
        if not value or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        if not hmac.compare_digest(mac.encode("ascii", "replace"), self._mac(body).encode()):
            return None
        try:
            fields = json.loads(_unb64(body))
            session = Session(
                user_id=fields["u"],
                session_id=str(fields["s"]),
                csrf_token=str(fields["c"]),
                expires=int(fields["e"]),
                stamp=str(fields["p"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        return None if session.expired else session


def _stamp(password_hash: str | None, disabled_at: datetime | None = None) -> str:
    """Changes whenever the password does or the user is disabled, so that either ends older
    sessions; a user never disabled keeps the stamp of the password alone."""
    if disabled_at is None:
        return _sha256(password_hash or "")[:16]
    return _sha256(f"{password_hash or ''}|{disabled_at.isoformat()}")[:16]


# --- the store ---------------------------------------------------------------------------------


class PanelAuth:
    """Users, passwords, activation, API tokens and sessions, in the panel's database.

    The tables are created here (they are on the storage's metadata, so `PanelStorage` creates
    them too once this module is imported). One instance serves all request threads.
    """

    def __init__(
        self,
        storage: PanelStorage,
        *,
        session_secret: str | bytes | None = None,
        scrypt_cost: ScryptCost | None = None,
        limiter: LoginLimiter | None = None,
        session_lifetime: timedelta = SESSION_LIFETIME,
    ) -> None:
        self.engine = storage.engine
        metadata.create_all(self.engine, tables=list(AUTH_TABLES))
        # a database made before `disabled_at` existed, opened before this module was imported
        add_missing_columns(self.engine)
        self.hasher = PasswordHasher(scrypt_cost)
        self.limiter = limiter or LoginLimiter()
        self.signer = SessionSigner(_session_key(session_secret))
        self.session_lifetime = session_lifetime
        self._write_lock = threading.Lock()

    # users

    def create_office_user(self, username: str, password: str, display_name: str = "") -> User:
        """Office staff with a password of their own.

        Raises:
            ValueError: the username is taken or malformed; PasswordRejected for the password.
        """
        check_new_password(password, username)
        return self._insert_user(username, ROLE_OFFICE, None, display_name, password)

    def create_client_user(self, username: str, nip: str, display_name: str = "") -> User:
        """A client's user without a password; `create_activation` makes the link to set one.

        Raises:
            ValueError: the username is taken or malformed, or the NIP is not 10 digits.
        """
        if not _NIP.fullmatch(nip):
            raise ValueError("a client user's NIP must be 10 digits")
        return self._insert_user(username, ROLE_CLIENT, nip, display_name, None)

    def _insert_user(
        self, username: str, role: str, nip: str | None, display_name: str, password: str | None
    ) -> User:
        name = normalize_username(username)
        if not _USERNAME.fullmatch(name):
            raise ValueError("a username is 3 to 200 characters without spaces")
        password_hash = None if password is None else self.hasher.hash(password)
        with self._write_lock, self.engine.begin() as conn:
            taken = conn.execute(sa.select(users.c.id).where(users.c.username == name)).first()
            if taken is not None:
                raise ValueError(f"the username {name!r} is taken")
            conn.execute(
                users.insert().values(
                    username=name,
                    role=role,
                    nip=nip,
                    display_name=display_name.strip(),
                    password_hash=password_hash,
                    password_set_at=utc_now() if password_hash else None,
                    disabled=False,
                    created_at=utc_now(),
                )
            )
        logger.info("panel user %s created (%s%s)", name, role, f", NIP {nip}" if nip else "")
        found = self.user_by_name(name)
        assert found is not None
        return found

    def user(self, user_id: int) -> User | None:
        """The user with this id, or None."""
        return self._one_user(users.c.id == user_id)

    def user_by_name(self, username: str) -> User | None:
        """The user with this username (any case), or None."""
        return self._one_user(users.c.username == normalize_username(username))

    def users(self, nip: str | None = None) -> list[User]:
        """Every user by username, or the client users of one NIP."""
        query = sa.select(users).order_by(users.c.username)
        if nip is not None:
            query = query.where(users.c.nip == nip)
        with self.engine.connect() as conn:
            return [_user(row) for row in conn.execute(query)]

    def _one_user(self, clause: sa.ColumnElement[bool]) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(clause)).first()
        return None if row is None else _user(row)

    def _stamp_of(self, user_id: int) -> str:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(users.c.password_hash, users.c.disabled_at).where(users.c.id == user_id)
            ).first()
        return _stamp(None) if row is None else _stamp(row.password_hash, as_utc(row.disabled_at))

    def set_password(self, user_id: int, password: str) -> None:
        """A new password; it ends every session of the user made before.

        Raises:
            PasswordRejected: the password is too short, too long or the username.
        """
        user = self.user(user_id)
        if user is None:
            raise ValueError(f"no panel user {user_id}")
        check_new_password(password, user.username)
        self._store_password(user_id, self.hasher.hash(password))

    def _store_password(self, user_id: int, password_hash: str) -> None:
        with self._write_lock, self.engine.begin() as conn:
            conn.execute(
                users.update()
                .where(users.c.id == user_id)
                .values(password_hash=password_hash, password_set_at=utc_now())
            )

    def disable(self, user_id: int, by: int | None = None) -> None:
        """The user can no longer log in, and its sessions end at their next request (for good:
        `enable` lets the user log in again but revives no session).

        Checked in the same transaction as the change, so that two office users disabling each
        other at once cannot both succeed.

        Raises:
            DisableRefused: `by` (the office user asking) is disabled meanwhile, or the user is
                the last office user who can log in.
        """
        with self._write_lock, self.engine.begin() as conn:
            if by is not None:
                asking = conn.execute(sa.select(users.c.disabled).where(users.c.id == by)).first()
                if asking is None or asking.disabled:
                    raise DisableRefused("the asking user is disabled")
            office = sa.select(sa.func.count()).where(
                users.c.role == ROLE_OFFICE, users.c.disabled.is_(False), users.c.id != user_id
            )
            role = conn.execute(sa.select(users.c.role).where(users.c.id == user_id)).scalar()
            if role == ROLE_OFFICE and conn.execute(office).scalar() == 0:
                raise DisableRefused("the last office user who can log in")
            conn.execute(
                users.update()
                .where(users.c.id == user_id)
                .values(disabled=True, disabled_at=utc_now())
            )
        logger.info("panel user %d disabled", user_id)

    def enable(self, user_id: int) -> None:
        """A disabled user may log in again (a client without a password still needs a link)."""
        with self._write_lock, self.engine.begin() as conn:
            conn.execute(users.update().where(users.c.id == user_id).values(disabled=False))
        logger.info("panel user %d enabled", user_id)

    # logging in

    def login(self, username: str, password: str, client_address: str) -> LoginResult:
        """Check a login against the failure limits and the stored hash.

        A blocked name or address is refused before the password is looked at; a wrong
        password, an unknown or disabled user and a user without a password yet all fail
        alike, so the answer does not tell which usernames exist. A name that is no user is
        not logged: people type their password into the login field.
        """
        name = normalize_username(username)
        keys = (f"user:{name}", f"ip:{client_address}")
        retry_after = self.limiter.retry_after(keys)
        if retry_after is not None:
            logger.warning("login from %s refused after repeated failures", client_address)
            return LoginResult(retry_after=retry_after)

        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == name)).first()
        stored = None if row is None else row.password_hash
        matches = self.hasher.verify(password, stored)
        if row is None or not matches or row.disabled:
            self.limiter.record_failure(keys)
            who = "an unknown user" if row is None else name
            logger.info("failed panel login as %s from %s", who, client_address)
            return LoginResult()

        self.limiter.reset(keys[0])
        logger.info("panel login as %s from %s", name, client_address)
        return LoginResult(user=_user(row))

    # activation

    def create_activation(self, user_id: int, valid_for: timedelta = ACTIVATION_LIFETIME) -> str:
        """A single-use token that lets the user set a password; returned once, stored hashed."""
        token = secrets.token_urlsafe(32)
        now = utc_now()
        with self._write_lock, self.engine.begin() as conn:
            conn.execute(
                activation_tokens.insert().values(
                    token_sha256=_sha256(token),
                    user_id=user_id,
                    created_at=now,
                    expires_at=now + valid_for,
                )
            )
        return token

    def mark_activation_emailed(self, token: str) -> None:
        """Note that the link with this token went out by e-mail."""
        with self._write_lock, self.engine.begin() as conn:
            conn.execute(
                activation_tokens.update()
                .where(activation_tokens.c.token_sha256 == _sha256(token))
                .values(emailed_at=utc_now())
            )

    def emailed_activations(self) -> set[int]:
        """The users who were ever e-mailed an activation link."""
        query = sa.select(activation_tokens.c.user_id).where(
            activation_tokens.c.emailed_at.is_not(None)
        )
        with self.engine.connect() as conn:
            return {row.user_id for row in conn.execute(query.distinct())}

    def activation_user(self, token: str) -> User | None:
        """The user an unused, unexpired activation token is for; None otherwise."""
        with self.engine.connect() as conn:
            row = _usable_activation(conn, token)
        return None if row is None else self.user(row.user_id)

    def activate(self, token: str, password: str) -> User | None:
        """Set the password of the token's user and use the token up; None for a bad token.

        The password is checked before the token is used, so a rejected password leaves the
        link working. Every other unused activation token of the user is used up as well.

        Raises:
            PasswordRejected: the password is too short, too long or the username.
        """
        user = self.activation_user(token)
        if user is None:
            return None
        check_new_password(password, user.username)
        password_hash = self.hasher.hash(password)
        with self._write_lock, self.engine.begin() as conn:
            row = _usable_activation(conn, token)
            if row is None:
                return None
            conn.execute(
                activation_tokens.update()
                .where(activation_tokens.c.user_id == row.user_id)
                .where(activation_tokens.c.used_at.is_(None))
                .values(used_at=utc_now())
            )
            conn.execute(
                users.update()
                .where(users.c.id == row.user_id)
                .values(password_hash=password_hash, password_set_at=utc_now())
            )
        logger.info("panel user %s set a password by activation link", user.username)
        return self.user(user.id)

    # API tokens

    def create_api_token(self, name: str, created_by: str | None = None) -> str:
        """A new API token; the plain token is returned here once and stored only as sha256."""
        return self.issue_api_token(name, created_by)[1]

    def issue_api_token(self, name: str, created_by: str | None = None) -> tuple[ApiToken, str]:
        """A new API token's record and the plain token (returned here once, stored hashed)."""
        token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = ApiToken(0, name, utc_now(), created_by, None, None)
        with self._write_lock, self.engine.begin() as conn:
            inserted = conn.execute(
                api_tokens.insert().values(
                    name=record.name,
                    token_sha256=_sha256(token),
                    created_at=record.created_at,
                    created_by=record.created_by,
                )
            )
            token_id = int(inserted.inserted_primary_key[0])
        logger.info("API token %r created", name)
        return replace(record, id=token_id), token

    def check_api_token(self, token: str) -> ApiToken | None:
        """The token's record when it is known and not revoked (its last use is noted)."""
        if not token.startswith(API_TOKEN_PREFIX):
            return None
        digest = _sha256(token)
        clause = (api_tokens.c.token_sha256 == digest, api_tokens.c.revoked_at.is_(None))
        with self._write_lock, self.engine.begin() as conn:
            row = conn.execute(sa.select(api_tokens).where(*clause)).first()
            if row is None:
                return None
            conn.execute(
                api_tokens.update().where(api_tokens.c.id == row.id).values(last_used_at=utc_now())
            )
        return _api_token(row)

    def api_tokens(self) -> list[ApiToken]:
        """Every API token's record, newest first (never the tokens themselves)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(api_tokens).order_by(api_tokens.c.id.desc()))
            return [_api_token(row) for row in rows]

    def revoke_api_token(self, token_id: int) -> None:
        """The token is refused from now on."""
        with self._write_lock, self.engine.begin() as conn:
            conn.execute(
                api_tokens.update().where(api_tokens.c.id == token_id).values(revoked_at=utc_now())
            )

    # sessions

    def new_session(self, user: User | None = None) -> Session:
        """A fresh session (new id and CSRF token) for a user, or an anonymous one."""
        lifetime = self.session_lifetime if user else ANONYMOUS_SESSION_LIFETIME
        return Session(
            user_id=None if user is None else user.id,
            session_id=secrets.token_urlsafe(18),
            csrf_token=secrets.token_urlsafe(24),
            expires=int(time.time() + lifetime.total_seconds()),
            stamp=_stamp(None) if user is None else self._stamp_of(user.id),
        )

    def cookie_value(self, session: Session) -> str:
        """The signed cookie value of a session."""
        return self.signer.dumps(session)

    def read_session(self, cookie: str | None) -> Session | None:
        """The session of a cookie: None when forged, expired or ended by logout."""
        session = self.signer.loads(cookie)
        if session is None or session.user_id is None:
            return session
        digest = _sha256(session.session_id)
        with self.engine.connect() as conn:
            ended = conn.execute(
                sa.select(ended_sessions.c.session_sha256).where(
                    ended_sessions.c.session_sha256 == digest
                )
            ).first()
        return None if ended else session

    def session_user(self, session: Session | None) -> User | None:
        """The logged-in user of a session, when it still exists, is enabled, has the same
        password as at login and may log in."""
        if session is None or session.user_id is None:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.id == session.user_id)).first()
        if row is None or row.disabled or row.password_hash is None:
            return None
        stamp = _stamp(row.password_hash, as_utc(row.disabled_at))
        if not hmac.compare_digest(stamp, session.stamp):
            return None
        return _user(row)

    def end_session(self, session: Session) -> None:
        """Log out: the session's cookie is refused from now on, even if it was copied."""
        expires = datetime.fromtimestamp(session.expires, UTC)
        with self._write_lock, self.engine.begin() as conn:
            conn.execute(ended_sessions.delete().where(ended_sessions.c.expires_at < utc_now()))
            conn.execute(
                ended_sessions.insert().values(
                    session_sha256=_sha256(session.session_id), expires_at=expires
                )
            )


def csrf_matches(session: Session | None, submitted: str | None) -> bool:
    """True when a form's CSRF field equals the session's token (compared in constant time)."""
    if session is None or not submitted:
        return False
    return hmac.compare_digest(session.csrf_token.encode(), submitted.encode("utf-8", "replace"))


def _usable_activation(conn: sa.Connection, token: str) -> Any:
    row = conn.execute(
        sa.select(activation_tokens).where(activation_tokens.c.token_sha256 == _sha256(token))
    ).first()
    if row is None or row.used_at is not None:
        return None
    expires_at = as_utc(row.expires_at)
    return row if expires_at is not None and expires_at > utc_now() else None


def _user(row: Any) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=row.role,
        nip=row.nip,
        display_name=row.display_name or "",
        has_password=row.password_hash is not None,
        disabled=bool(row.disabled),
        disabled_at=as_utc(row.disabled_at),
    )


def _api_token(row: Any) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
        last_used_at=as_utc(row.last_used_at),
        revoked_at=as_utc(row.revoked_at),
    )


def api_token_dependency(auth: PanelAuth) -> Callable[..., ApiToken]:
    """A FastAPI dependency for the /api/v1 routes: `Authorization: Bearer <API token>`."""
    bearer = HTTPBearer(auto_error=False, description="an API token made by the panel")

    def require_api_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> ApiToken:
        found = None if credentials is None else auth.check_api_token(credentials.credentials)
        if found is None:
            raise HTTPException(
                status_code=401,
                detail="missing or invalid bearer token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return found

    return require_api_token
