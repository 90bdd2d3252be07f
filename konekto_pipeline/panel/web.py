"""The panel's web pages, in Polish: the office approves months, its clients see what to pay.

Office staff ("biuro") get the list of companies with the ones whose data awaits approval
marked, a company's months per data type, approval with the month's summary sent to the
client, and the history of who did what. A client's user sees its one company and only what the
office approved: what to pay, by when, into which account, with the transfer title and the
banks' QR code, and the month's results; it can mark an item paid.

Pages are rendered on the server with Jinja2 (`templates/`), styled by one file
(`static/panel.css`) and need no JavaScript: the approval dialog is a page state
(`?zatwierdz=1`), not a script. Every form posts a CSRF token from the session (see `auth`).
Times are shown in Europe/Warsaw, dates as 16.11.2026, amounts as "1 234,56 zł".

A page a user may not see answers 404 like a page that does not exist, so a client cannot
learn which other NIPs the office has.

The office also manages the panel's people and API tokens here (`/uzytkownicy`, `/tokeny`):
adds office staff, disables and re-enables accounts, sends a client a new activation link, and
creates and revokes the pipeline's tokens; each change is an event of the office's history.
What such a form did is told once on the page it redirects to (`OneTimeNotes`), so a new token
or activation link never travels in a URL.

Approving from a page does what `POST /api/v1/companies/{nip}/approve` does: with the summary
ticked it goes out; unticked, a client who was already sent figures that have since changed
still gets the update once (`notify.needs_resend`).

Known shortcomings:
- The activation token travels in the link's query string, so an access log that records
  URLs (uvicorn's own, unless run with `--no-access-log`, or a proxy's) holds it until the
  link is used or expires (7 days). Tokens are single use.
- The note after an approval is carried in the redirect's query (`?wynik=ok&ile=4`), so
  reloading that page shows it again.
- A new API token or activation link waits for its one showing in this process's memory: if
  the page after the form does not load within ten minutes, or the panel restarts in between,
  it is lost, and the office makes another one (and revokes the lost token).
"""

import hashlib
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Protocol
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from konekto_pipeline.domain.identifiers import format_nip
from konekto_pipeline.domain.money import format_pln
from konekto_pipeline.domain.text import without_diacritics
from konekto_pipeline.panel.accounts import invite_client
from konekto_pipeline.panel.auth import (
    ACTIVATION_LIFETIME,
    SESSION_COOKIE,
    DisableRefused,
    PanelAuth,
    PasswordRejected,
    Session,
    User,
    csrf_matches,
)
from konekto_pipeline.panel.contract import (
    DATA_TYPES,
    PERIOD_PATTERN,
    ApproveRequest,
    Company,
    StoredItem,
)
from konekto_pipeline.panel.notify import (
    TAX_LABELS,
    ZUS_LABEL,
    month_pl,
    needs_resend,
    sent_figures,
)
from konekto_pipeline.panel.payments import PaymentDetails, payment_details, qr_svg
from konekto_pipeline.panel.storage import Event, PanelStorage, as_utc, events

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
STYLESHEET = Path(__file__).resolve().parent / "static" / "panel.css"
WARSAW = ZoneInfo("Europe/Warsaw")
MAX_FORM_BYTES = 16 * 1024

DATA_TYPE_TABS = {"zus": "ZUS", "taxes": "Podatki", "summaries": "Podsumowania"}
KIND_LABELS = {"D": "deklaracja", "K": "korekta", "Z": "zaliczka"}
CHANNEL_LABELS = {
    "email": "e-mail",
    "sms": "SMS",
    "email+sms": "e-mail i SMS",
    "recorded": "tylko zapis w panelu",
    "none": "nie wysłano",
}
ACTION_LABELS = {
    "upload": "Przesłanie danych",
    "approve": "Zatwierdzenie",
    "summary": "Podsumowanie dla klienta",
    "paid": "Oznaczenie jako zapłacone",
    "unpaid": "Cofnięcie oznaczenia zapłaty",
    "invite": "Zaproszenie klienta do panelu",
    "user_add": "Dodanie użytkownika",
    "user_disable": "Wyłączenie użytkownika",
    "user_enable": "Włączenie użytkownika",
    "token_create": "Utworzenie tokenu API",
    "token_revoke": "Unieważnienie tokenu API",
}
USER_ACTIONS = ("user_add", "user_disable", "user_enable", "invite")
TOKEN_ACTIONS = ("token_create", "token_revoke")
MAX_TOKEN_NAME = 100
NOTE_LIFETIME_SECONDS = 600.0
RECENT_EVENTS = 20
UPLOAD_STATUS_LABELS = {"created": "nowe", "updated": "zmienione", "unchanged": "bez zmian"}

# Security headers of every page: no scripts at all, styles only from the panel, no framing,
# no caching of a client's figures, and no Referer that could carry an activation token.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_PERIOD = re.compile(PERIOD_PATTERN)
_ROW_ID = re.compile(r"[0-9]{1,9}")
_CSRF_FAILED = "Formularz wygasł albo nie pochodzi z panelu. Odśwież stronę i spróbuj ponownie."
_NOT_YOURSELF = "Nie możesz wyłączyć własnego konta. Poproś o to inną osobę z biura."
_LAST_OFFICE_USER = (
    "Nie wyłączono konta: w biurze musi zostać co najmniej jedna osoba, która może się zalogować."
)
_BAD_LOGIN = "Login musi mieć od 3 do 200 znaków i nie może zawierać spacji."


class WebNotifier(Protocol):
    """What the pages need of a notifier (`notify.Notifier`, or app's recording one).

    `send_activation(company, link)` is used when the notifier has it; otherwise the office is
    shown the activation link to pass on.
    """

    channel: str

    def send_summary(
        self, company: Company, period: str, items: Sequence[StoredItem], *, updated: bool = False
    ) -> bool:
        """Send a month's summary of approved items; True when it went out."""
        ...


@dataclass(frozen=True)
class Visitor:
    """Who is asking: the session (always one) and its user when logged in."""

    session: Session
    user: User | None
    cookie_is_new: bool = False


@dataclass(frozen=True)
class Form:
    """The fields of a posted urlencoded form; repeated names keep every value."""

    fields: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        """The first value of a field, or `default`."""
        values = self.fields.get(name)
        return values[0] if values else default

    def all(self, name: str) -> list[str]:
        """Every value of a field (checkboxes of one name)."""
        return list(self.fields.get(name, []))


@dataclass(frozen=True)
class Note:
    """What a form did, for the page its redirect opens; `secret` (a new API token or
    activation link) is shown with it, and this note is its only showing."""

    tone: str  # the alert's colour: "success", "error" or "info"
    text: str
    secret: str | None = None
    name: str = ""  # what the secret belongs to: a token's name, an account's login


class OneTimeNotes:
    """Notes kept per session and page until that page is next opened, then forgotten.

    They live in this process's memory, not in a URL or a cookie, because a note may carry a
    secret; a note nobody picks up within `lifetime` seconds is dropped.
    """

    def __init__(
        self,
        lifetime: float = NOTE_LIFETIME_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_notes: int = 1000,
    ) -> None:
        self.lifetime = lifetime
        self.clock = clock
        self.max_notes = max_notes
        self._notes: dict[tuple[str, str], tuple[float, Note]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(session: Session, page: str) -> tuple[str, str]:
        return hashlib.sha256(session.session_id.encode()).hexdigest(), page

    def put(self, session: Session, page: str, note: Note) -> None:
        """Keep `note` for the session's next visit of `page` (replacing an older one)."""
        with self._lock:
            now = self.clock()
            for key in [k for k, (at, _) in self._notes.items() if at <= now - self.lifetime]:
                del self._notes[key]
            while len(self._notes) >= self.max_notes:
                del self._notes[next(iter(self._notes))]  # the oldest kept note
            self._notes[self._key(session, page)] = (now, note)

    def take(self, session: Session, page: str) -> Note | None:
        """The note waiting for this session on `page`, which is then gone."""
        with self._lock:
            kept = self._notes.pop(self._key(session, page), None)
        if kept is None or kept[0] <= self.clock() - self.lifetime:
            return None
        return kept[1]


# --- formatting for the templates --------------------------------------------------------------


def date_pl(day: date | None) -> str:
    """16.11.2026."""
    return "" if day is None else day.strftime("%d.%m.%Y")


def moment_pl(moment: datetime | None) -> str:
    """A stored UTC moment as the office's clock shows it: "16.11.2026, 14:05"."""
    if moment is None:
        return ""
    return moment.astimezone(WARSAW).strftime("%d.%m.%Y, %H:%M")


def nip_pl(nip: str) -> str:
    """676-272-54-37; a NIP with a wrong checksum is shown as it is."""
    try:
        return format_nip(nip)
    except ValueError:
        return nip


def plural_pl(count: int, one: str, few: str, many: str) -> str:
    """The Polish noun form after a number: 1 pozycja, 2 pozycje, 5 pozycji, 22 pozycje."""
    if count == 1:
        return one
    if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        return few
    return many


def item_label(item: StoredItem) -> str:
    """What the client calls an item: "Składki ZUS", "Podatek VAT (VAT-7)", "Wyniki miesiąca"."""
    if item.data_type == "zus":
        return ZUS_LABEL
    if item.data_type == "taxes":
        return TAX_LABELS.get(item.tax or "", item.tax or "")
    return "Wyniki miesiąca"


# The programs an item came from, as the office calls them (the pipeline sends program keys).
PROGRAM_LABELS = {
    "optima": "Comarch Optima",
    "platnik": "Płatnik",
    "rachmistrz": "Rachmistrz",
    "reset2_firma": "Reset2 Firma",
    "reset2_ksiega": "Reset2 Księga",
    "raks": "Raks",
    "fakt": "Fakt",
    "buchalter": "Buchalter",
    "kpr": "KPR",
    "mala_ksiegowosc": "Mała Księgowość RP",
    "symfonia": "Symfonia",
    "jpk": "plik JPK",
    "kedu": "plik KEDU (Płatnik)",
}


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        pln=format_pln,
        date_pl=date_pl,
        moment=moment_pl,
        month=month_pl,
        nip=nip_pl,
        item_label=item_label,
        kind=lambda kind: KIND_LABELS.get(kind, kind),
        channel=lambda channel: CHANNEL_LABELS.get(channel, channel),
        program=lambda key: PROGRAM_LABELS.get(key, key),
    )
    environment.globals.update(plural=plural_pl, tabs=DATA_TYPE_TABS)
    return environment


# --- what the pages show -----------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    """One item a client pays, with its transfer details and QR code (inline SVG)."""

    item: StoredItem
    label: str
    details: PaymentDetails | None
    qr: Markup | None


@dataclass(frozen=True)
class Results:
    """A month's revenue, costs and income (a loss is a negative income)."""

    revenue: int
    costs: int | None
    income: int | None


@dataclass(frozen=True)
class MonthMark:
    """A month in the office's month list, and whether it has data awaiting approval."""

    period: str
    unapproved: int


def _payment(item: StoredItem, company: Company) -> Payment:
    details = payment_details(item, company)
    qr = None
    if details is not None and details.qr_payload is not None:
        # segno's SVG of a payload checked against the ZBP rules: safe to put in the page
        qr = Markup(qr_svg(details.qr_payload, scale=4))
    return Payment(item, item_label(item), details, qr)


def _results(items: Sequence[StoredItem]) -> Results | None:
    summary = next((item for item in items if item.data_type == "summaries"), None)
    if summary is None:
        return None
    costs, income = summary.details.get("costs"), summary.details.get("income")
    return Results(
        revenue=summary.amount,
        costs=costs if isinstance(costs, int) else None,
        income=income if isinstance(income, int) else None,
    )


def _type_order(item: StoredItem) -> tuple[int, date, str]:
    return (DATA_TYPES.index(item.data_type), item.due_date or date.max, item.tax or "")


def _matches(company: Company, query: str) -> bool:
    """Search by name (any case, with or without Polish letters) or NIP (dashes, spaces and a
    PL prefix ignored)."""
    needle = query.strip().casefold()
    digits = re.sub(r"[\s-]|^pl", "", needle)
    if digits.isdigit():
        return digits in company.nip
    return without_diacritics(needle) in without_diacritics(company.name.casefold())


_POLISH_ORDER = "aąbcćdeęfghijklłmnńoóprsśtuwyzźż"


def polish_sort_key(text: str) -> tuple[tuple[int, str], ...]:
    """A key that sorts names in Polish alphabetical order (Ł after L, Ś after S, ...)."""
    return tuple(
        (_POLISH_ORDER.index(char), "") if char in _POLISH_ORDER else (len(_POLISH_ORDER), char)
        for char in text.casefold()
    )


def event_detail_pl(action: str, detail: str) -> str:
    """The storage's English detail of an event, as the office reads it."""
    if action == "approve" and (found := re.fullmatch(r"(\d+) item\(s\): (.*)", detail)):
        count = int(found[1])
        types = ", ".join(DATA_TYPE_TABS.get(name.strip(), name) for name in found[2].split(","))
        return f"{count} {plural_pl(count, 'pozycja', 'pozycje', 'pozycji')}: {types}"
    if action == "upload" and (found := re.fullmatch(r"(.*) \((.*)\)", detail)):
        counts = [part.strip().rpartition(" ") for part in found[1].split(",")]
        shown = ", ".join(f"{UPLOAD_STATUS_LABELS.get(s, s)}: {n}" for s, _, n in counts)
        months = ", ".join(_month_or_raw(period.strip()) for period in found[2].split(","))
        return f"{shown} ({months})"
    if action == "summary" and (found := re.fullmatch(r"(.*) by (\S+)", detail)):
        again = found[1] == "changed figures, sent again"
        how = CHANNEL_LABELS.get(found[2], found[2])
        return f"kwoty się zmieniły, wysłano ponownie: {how}" if again else f"wysłano: {how}"
    if action in ("paid", "unpaid"):
        data_type, _, tax = detail.partition(" ")
        return f"{DATA_TYPE_TABS.get(data_type, data_type)} {tax}".strip()
    if action in ("invite", "user_add", "user_disable", "user_enable"):
        return f"konto: {detail}"
    if action in TOKEN_ACTIONS and (found := re.fullmatch(r"(.*) \(#(\d+)\)", detail)):
        return f"token: {found[1]} (nr {found[2]})"
    return detail


def _event_rows(found: Sequence[Event], labels: dict[str, str]) -> list[dict[str, Any]]:
    """Events as the history tables show them: people by name, actions and details in Polish."""
    return [
        {
            "at": event.at,
            "actor": labels.get(event.actor, event.actor),
            "action": ACTION_LABELS.get(event.action, event.action),
            "nip": event.nip,
            "period": event.period,
            "detail": event_detail_pl(event.action, event.detail),
        }
        for event in found
    ]


def _office_events(storage: PanelStorage, actions: Sequence[str]) -> list[Event]:
    """The latest events of these actions across all companies and none, newest first.

    `PanelStorage.events` selects by company only, and most of these events belong to none.
    """
    query = (
        sa.select(events)
        .where(events.c.action.in_(actions))
        .order_by(events.c.id.desc())
        .limit(RECENT_EVENTS)
    )
    with storage.engine.connect() as conn:
        return [
            Event(as_utc(row.at), row.actor, row.action, row.nip, row.period, row.detail)
            for row in conn.execute(query)
        ]


def _row_id(text: str | None) -> int | None:
    """A user's or token's id from a path or query; None for anything else."""
    return int(text) if text and _ROW_ID.fullmatch(text) else None


def _section(path: str) -> str:
    """The office's navigation entry a page belongs to."""
    for prefix in ("/uzytkownicy", "/tokeny"):
        if path == prefix or path.startswith(prefix + "/"):
            return prefix
    return "/" if path == "/" or path.startswith("/firma/") else ""


def _month_or_raw(period: str) -> str:
    return month_pl(period) if _PERIOD.fullmatch(period) else period


def _safe_next(target: str | None) -> str:
    """Only a path of this panel may follow a login (never "//host" or a full address)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _minutes_pl(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return f"{minutes} {plural_pl(minutes, 'minutę', 'minuty', 'minut')}"


async def read_form(request: Request) -> Form:
    """The urlencoded body of a POST, at most MAX_FORM_BYTES (a larger one is refused)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, detail="formularz jest zbyt duży")
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return Form()
    fields: dict[str, list[str]] = {}
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        fields.setdefault(name, []).append(value)
    return Form(fields)


# --- the router --------------------------------------------------------------------------------


def create_web_router(
    storage: PanelStorage,
    auth: PanelAuth,
    notifier: WebNotifier,
    office_name: str,
    *,
    public_url: str | None = None,
    secure_cookies: bool | None = None,
) -> APIRouter:
    """The web pages over the panel's storage.

    `public_url` is the address clients open (for activation links); by default the address
    the office's browser used. `secure_cookies`: None marks the session cookie Secure when the
    request came over https; True or False forces it (True behind a proxy that ends TLS).
    """
    pages = _Pages(storage, auth, notifier, office_name, public_url, secure_cookies)
    router = APIRouter(include_in_schema=False)
    pages.register(router)
    return router


class _Pages:
    """The handlers, sharing the storage, the authentication and the templates."""

    def __init__(
        self,
        storage: PanelStorage,
        auth: PanelAuth,
        notifier: WebNotifier,
        office_name: str,
        public_url: str | None,
        secure_cookies: bool | None,
    ) -> None:
        self.storage = storage
        self.auth = auth
        self.notifier = notifier
        self.office_name = office_name
        self.public_url = public_url.rstrip("/") if public_url else None
        self.secure_cookies = secure_cookies
        self.templates = _environment()
        self.notes = OneTimeNotes()

    # plumbing

    def visitor(self, request: Request) -> Visitor:
        """The session of the request's cookie, or a new anonymous one."""
        session = self.auth.read_session(request.cookies.get(SESSION_COOKIE))
        user = self.auth.session_user(session)
        if session is None or (session.user_id is not None and user is None):
            return Visitor(self.auth.new_session(), None, cookie_is_new=True)
        return Visitor(session, user)

    def signed_in(self, request: Request) -> Visitor:
        """The visitor, when logged in; otherwise a redirect to the login page."""
        visitor = self.visitor(request)
        if visitor.user is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            location = "/logowanie?" + urlencode({"dalej": target})
            raise HTTPException(status_code=303, headers={"Location": location})
        return visitor

    def page(
        self,
        request: Request,
        visitor: Visitor,
        template: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """A rendered page with the security headers (and the session cookie when new)."""
        document = self.templates.get_template(template).render(
            office_name=self.office_name,
            user=visitor.user,
            csrf=visitor.session.csrf_token,
            path=request.url.path,
            section=_section(request.url.path),
            **context,
        )
        response = HTMLResponse(document, status_code=status, headers=headers)
        return self.finish(request, response, visitor)

    def finish(self, request: Request, response: Response, visitor: Visitor) -> Response:
        """Add the security headers, and the cookie of a new session."""
        response.headers.update(SECURITY_HEADERS)
        if visitor.cookie_is_new:
            self.set_cookie(request, response, visitor.session)
        return response

    def set_cookie(self, request: Request, response: Response, session: Session) -> None:
        """The session cookie: signed, HttpOnly, SameSite=Lax, Secure over https."""
        secure = self.secure_cookies
        if secure is None:
            secure = request.url.scheme == "https"
        response.set_cookie(
            SESSION_COOKIE,
            self.auth.cookie_value(session),
            max_age=max(0, session.expires - int(time.time())),
            path="/",
            httponly=True,
            samesite="lax",
            secure=secure,
        )

    def redirect(self, request: Request, visitor: Visitor, location: str) -> Response:
        """303 See Other, the answer to a form that did something."""
        return self.finish(request, RedirectResponse(location, status_code=303), visitor)

    def not_found(self, request: Request, visitor: Visitor) -> HTMLResponse:
        """Unknown and forbidden look alike: a client learns nothing of other companies."""
        return self.page(request, visitor, "message.html", 404, title="Nie znaleziono strony")

    def csrf_refused(self, request: Request, visitor: Visitor) -> HTMLResponse:
        """403 for a form without the session's CSRF token."""
        logger.warning("form to %s refused: CSRF token missing or wrong", request.url.path)
        return self.page(
            request, visitor, "message.html", 403, title="Formularz odrzucony", text=_CSRF_FAILED
        )

    def register(self, router: APIRouter) -> None:
        """Add every page to the router."""
        signed_in = Annotated[Visitor, Depends(self.signed_in)]
        anyone = Annotated[Visitor, Depends(self.visitor)]
        form = Annotated[Form, Depends(read_form)]

        @router.get("/static/panel.css")
        def stylesheet() -> Response:
            css = STYLESHEET.read_text(encoding="utf-8")
            headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
            return Response(css, media_type="text/css; charset=utf-8", headers=headers)

        @router.get("/logowanie", response_class=HTMLResponse)
        def login_page(
            request: Request,
            visitor: anyone,
            dalej: Annotated[str | None, Query(max_length=500)] = None,
            aktywowano: Annotated[str | None, Query(max_length=5)] = None,
        ) -> Response:
            if visitor.user is not None:
                return self.redirect(request, visitor, _safe_next(dalej))
            notice = "Konto jest aktywne. Zaloguj się nowym hasłem." if aktywowano else None
            return self.login_form(request, visitor, next_path=dalej, notice=notice)

        @router.post("/logowanie", response_class=HTMLResponse)
        def login(request: Request, visitor: anyone, form: form) -> Response:
            return self.login(request, visitor, form)

        @router.get("/wyloguj", response_class=HTMLResponse)
        def logout_page(request: Request, visitor: anyone) -> Response:
            if visitor.user is None:
                return self.redirect(request, visitor, "/logowanie")
            return self.page(request, visitor, "logout.html", title="Wylogowanie")

        @router.post("/wyloguj")
        def logout(request: Request, visitor: anyone, form: form) -> Response:
            if not csrf_matches(visitor.session, form.get("csrf")):
                return self.csrf_refused(request, visitor)
            if visitor.user is not None:
                self.auth.end_session(visitor.session)
            response = RedirectResponse("/logowanie", status_code=303)
            response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
            response.headers.update(SECURITY_HEADERS)
            return response

        @router.get("/aktywacja", response_class=HTMLResponse)
        def activation_page(
            request: Request, visitor: anyone, token: Annotated[str, Query(max_length=200)] = ""
        ) -> Response:
            return self.activation_form(request, visitor, token)

        @router.post("/aktywacja", response_class=HTMLResponse)
        def activate(request: Request, visitor: anyone, form: form) -> Response:
            return self.activate(request, visitor, form)

        @router.get("/", response_class=HTMLResponse)
        def home(
            request: Request,
            visitor: signed_in,
            q: Annotated[str, Query(max_length=200)] = "",
            okres: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
        ) -> Response:
            if visitor.user is not None and visitor.user.is_client:
                return self.client_home(request, visitor, okres)
            return self.company_list(request, visitor, q)

        @router.post("/zaplacone")
        def mark_paid(request: Request, visitor: signed_in, form: form) -> Response:
            return self.mark_paid(request, visitor, form)

        @router.get("/firma/{nip}", response_class=HTMLResponse)
        def company(
            request: Request,
            visitor: signed_in,
            nip: str,
            typ: Annotated[str, Query(max_length=16)] = "zus",
            okres: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
            zatwierdz: Annotated[str | None, Query(max_length=5)] = None,
        ) -> Response:
            if visitor.user is not None and visitor.user.is_client:
                if nip == visitor.user.nip:
                    return self.redirect(request, visitor, "/")
                return self.not_found(request, visitor)
            return self.company_page(request, visitor, nip, typ, okres, bool(zatwierdz))

        @router.post("/firma/{nip}/zatwierdz")
        def approve(request: Request, visitor: signed_in, nip: str, form: form) -> Response:
            if visitor.user is None or not visitor.user.is_office:
                return self.not_found(request, visitor)
            return self.approve(request, visitor, nip, form)

        @router.get("/firma/{nip}/historia", response_class=HTMLResponse)
        def history(request: Request, visitor: signed_in, nip: str) -> Response:
            if visitor.user is None or not visitor.user.is_office:
                return self.not_found(request, visitor)
            return self.history_page(request, visitor, nip)

        @router.post("/firma/{nip}/zapros", response_class=HTMLResponse)
        def invite(request: Request, visitor: signed_in, nip: str, form: form) -> Response:
            if visitor.user is None or not visitor.user.is_office:
                return self.not_found(request, visitor)
            return self.invite(request, visitor, nip, form)

        self.register_office_admin(router, signed_in, form)

    def register_office_admin(self, router: APIRouter, signed_in: Any, form: Any) -> None:
        """The office's pages of users and API tokens; anyone else gets 404."""

        def staff(visitor: Visitor) -> bool:
            return visitor.user is not None and visitor.user.is_office

        @router.get("/uzytkownicy", response_class=HTMLResponse)
        def users(
            request: Request,
            visitor: signed_in,
            wylacz: Annotated[str | None, Query(max_length=12)] = None,
        ) -> Response:
            if not staff(visitor):
                return self.not_found(request, visitor)
            return self.users_page(request, visitor, confirm_id=_row_id(wylacz))

        @router.post("/uzytkownicy/dodaj", response_class=HTMLResponse)
        def add_user(request: Request, visitor: signed_in, form: form) -> Response:
            if not staff(visitor):
                return self.not_found(request, visitor)
            return self.add_office_user(request, visitor, form)

        @router.post("/uzytkownicy/{user_id}/wylacz", response_class=HTMLResponse)
        def disable_user(
            request: Request, visitor: signed_in, user_id: str, form: form
        ) -> Response:
            if not staff(visitor):
                return self.not_found(request, visitor)
            return self.disable_user(request, visitor, user_id, form)

        @router.post("/uzytkownicy/{user_id}/wlacz", response_class=HTMLResponse)
        def enable_user(request: Request, visitor: signed_in, user_id: str, form: form) -> Response:
            if not staff(visitor):
                return self.not_found(request, visitor)
            return self.enable_user(request, visitor, user_id, form)

        @router.post("/uzytkownicy/{user_id}/link", response_class=HTMLResponse)
        def resend_link(request: Request, visitor: signed_in, user_id: str, form: form) -> Response:
            if not staff(visitor):
                return self.not_found(request, visitor)
            return self.resend_activation(request, visitor, user_id, form)

        @router.get("/tokeny", response_class=HTMLResponse)
        def tokens(
            request: Request,
            visitor: signed_in,
            uniewaznij: Annotated[str | None, Query(max_length=12)] = None,
        ) -> Response:
            if not staff(visitor):
                return self.not_found(request, visitor)
            return self.tokens_page(request, visitor, confirm_id=_row_id(uniewaznij))

        @router.post("/tokeny/nowy", response_class=HTMLResponse)
        def create_token(request: Request, visitor: signed_in, form: form) -> Response:
            if not staff(visitor):
                return self.not_found(request, visitor)
            return self.create_token(request, visitor, form)

        @router.post("/tokeny/{token_id}/uniewaznij", response_class=HTMLResponse)
        def revoke_token(
            request: Request, visitor: signed_in, token_id: str, form: form
        ) -> Response:
            if not staff(visitor):
                return self.not_found(request, visitor)
            return self.revoke_token(request, visitor, token_id, form)

    # logging in and out

    def login_form(
        self,
        request: Request,
        visitor: Visitor,
        *,
        next_path: str | None = None,
        username: str = "",
        error: str | None = None,
        notice: str | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> HTMLResponse:
        """The login page, with an error or a notice when there is one."""
        return self.page(
            request,
            visitor,
            "login.html",
            status,
            headers,
            title="Logowanie",
            next_path=_safe_next(next_path),
            username=username,
            error=error,
            notice=notice,
        )

    def login(self, request: Request, visitor: Visitor, form: Form) -> Response:
        """Check the CSRF token, the failure limit and the password; then a new session."""
        username, next_path = form.get("login")[:200], form.get("dalej")
        if not csrf_matches(visitor.session, form.get("csrf")):
            fresh = Visitor(self.auth.new_session(), None, cookie_is_new=True)
            return self.login_form(
                request,
                fresh,
                next_path=next_path,
                username=username,
                error=_CSRF_FAILED,
                status=403,
            )

        address = request.client.host if request.client else "unknown"
        result = self.auth.login(username, form.get("haslo"), address)
        if result.retry_after is not None:
            error = (
                "Zbyt wiele nieudanych prób logowania. "
                f"Spróbuj ponownie za {_minutes_pl(result.retry_after)}."
            )
            headers = {"Retry-After": str(result.retry_after)}
            return self.login_form(
                request,
                visitor,
                next_path=next_path,
                username=username,
                error=error,
                status=429,
                headers=headers,
            )
        if result.user is None:
            error = "Nieprawidłowy login lub hasło."
            return self.login_form(
                request, visitor, next_path=next_path, username=username, error=error, status=401
            )

        session = self.auth.new_session(result.user)
        response = RedirectResponse(_safe_next(next_path), status_code=303)
        self.set_cookie(request, response, session)
        response.headers.update(SECURITY_HEADERS)
        return response

    # activation

    def activation_form(
        self,
        request: Request,
        visitor: Visitor,
        token: str,
        error: str | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        """The page that sets a new client's password, or why its link does not work."""
        user = self.auth.activation_user(token) if token else None
        if user is None:
            text = (
                "Link aktywacyjny jest nieważny, wygasł albo został już użyty. "
                "Poproś biuro o nowy link."
            )
            return self.page(
                request, visitor, "message.html", 410, title="Link nieważny", text=text
            )
        return self.page(
            request,
            visitor,
            "activation.html",
            status,
            title="Aktywacja konta",
            token=token,
            account=user,
            error=error,
        )

    def activate(self, request: Request, visitor: Visitor, form: Form) -> Response:
        """Set the password once; a rejected password leaves the link usable."""
        token = form.get("token")[:200]
        if not csrf_matches(visitor.session, form.get("csrf")):
            return self.csrf_refused(request, visitor)
        password, repeated = form.get("haslo"), form.get("haslo2")
        if password != repeated:
            return self.activation_form(request, visitor, token, "Hasła nie są takie same.", 400)
        try:
            user = self.auth.activate(token, password)
        except PasswordRejected as rejected:
            return self.activation_form(request, visitor, token, str(rejected), 400)
        if user is None:
            return self.activation_form(request, visitor, "")
        return self.redirect(request, visitor, "/logowanie?aktywowano=1")

    # the office

    def company_list(self, request: Request, visitor: Visitor, query: str) -> HTMLResponse:
        """Every company, those with data awaiting approval marked; search by NIP or name."""
        counts = self.storage.unapproved_counts()
        companies = sorted(
            self.storage.companies(), key=lambda company: polish_sort_key(company.name)
        )
        shown = (
            [company for company in companies if _matches(company, query)] if query else companies
        )
        waiting = sum(1 for company in companies if counts.get(company.nip))
        syncs = self.storage.last_syncs()
        known = {company.nip for company in companies}
        unknown_failures = sorted(
            (nip, sync)
            for nip, sync in syncs.items()
            if nip not in known and sync.status == "failed" and (not query or query in nip)
        )
        return self.page(
            request,
            visitor,
            "companies.html",
            title="Firmy",
            companies=shown,
            counts=counts,
            syncs=syncs,
            failed=sum(1 for sync in syncs.values() if sync.status == "failed"),
            unknown_failures=unknown_failures,
            query=query,
            waiting=waiting,
            total=len(companies),
        )

    def company_page(
        self,
        request: Request,
        visitor: Visitor,
        nip: str,
        data_type: str,
        period: str | None,
        confirming: bool,
    ) -> Response:
        """A company's months of one data type, the chosen month's items, and approval."""
        company = self.storage.company(nip)
        if company is None or data_type not in DATA_TYPES:
            return self.not_found(request, visitor)
        items = self.storage.items(nip)
        of_type = [item for item in items if item.data_type == data_type]
        months = _month_marks(of_type)
        if period is None and months:
            period = months[0].period
        in_month = [item for item in items if item.period == period]
        waiting = Counter(item.data_type for item in in_month if not item.approved)
        dispatches = [d for d in self.storage.dispatches(nip) if d.period == period]
        return self.page(
            request,
            visitor,
            "company.html",
            title=company.name,
            company=company,
            data_type=data_type,
            tab_counts=Counter(item.data_type for item in items if not item.approved),
            months=months,
            period=period,
            shown=sorted((i for i in in_month if i.data_type == data_type), key=_type_order),
            waiting=waiting,
            dispatches=dispatches,
            confirming=confirming and bool(waiting),
            outcome=_outcome(request),
            clients=self.auth.users(nip),
        )

    def approve(self, request: Request, visitor: Visitor, nip: str, form: Form) -> Response:
        """Approve the month's chosen data types as the logged-in user; send the summary."""
        assert visitor.user is not None
        company = self.storage.company(nip)
        period, back_type = form.get("okres"), form.get("typ_widoku")
        if company is None or not _PERIOD.fullmatch(period):
            return self.not_found(request, visitor)
        if not csrf_matches(visitor.session, form.get("csrf")):
            return self.csrf_refused(request, visitor)
        back_type = back_type if back_type in DATA_TYPES else "zus"
        data_types = [name for name in DATA_TYPES if name in form.all("typ")]
        if not data_types:
            query = urlencode({"typ": back_type, "okres": period, "wynik": "nic"})
            return self.redirect(request, visitor, f"/firma/{nip}?{query}")

        actor = visitor.user.username
        approval = ApproveRequest(
            period=period,
            data_types=data_types,
            send_summary=form.get("wyslij") == "1",
            approved_by=actor,
        )
        count = self.storage.approve(nip, approval)
        logger.info("%s approved %d items of NIP %s for %s", actor, count, nip, period)
        if approval.send_summary:
            summary = "wyslane" if self.send_summary(company, period, actor) else "blad"
            if summary == "wyslane" and getattr(self.notifier, "channel", "") == "recorded":
                summary = "zapisane"  # no e-mail or SMS is set up: nothing left the panel
        else:
            summary = "aktualizacja" if self.send_changed_summary(company, period, actor) else ""
        query = {"typ": back_type, "okres": period, "wynik": "ok", "ile": count}
        if summary:
            query["podsumowanie"] = summary
        return self.redirect(request, visitor, f"/firma/{nip}?{urlencode(query)}")

    def send_summary(
        self, company: Company, period: str, actor: str, *, updated: bool = False
    ) -> bool:
        """Send the month's approved items and record the dispatch as done by `actor`."""
        approved = [item for item in self.storage.items(company.nip, period) if item.approved]
        if not approved:
            return False
        try:
            sent = self.notifier.send_summary(company, period, approved, updated=updated)
        except Exception:
            logger.exception("summary of NIP %s for %s could not be sent", company.nip, period)
            return False
        if sent:
            figures = sent_figures(approved)
            self.storage.record_dispatch(
                company.nip, period, self.notifier.channel, figures, actor, updated=updated
            )
        return sent

    def send_changed_summary(self, company: Company, period: str, actor: str) -> bool:
        """As the API does: a client told figures that have changed (and are approved again)
        hears once more, even when the office did not tick the summary."""
        sent_before = [d for d in self.storage.dispatches(company.nip) if d.period == period]
        if not sent_before:
            return False
        if not needs_resend(sent_before[-1].figures, self.storage.items(company.nip, period)):
            return False
        return self.send_summary(company, period, actor, updated=True)

    def history_page(self, request: Request, visitor: Visitor, nip: str) -> Response:
        """Who did what with the company's data, and the versions corrections replaced."""
        company = self.storage.company(nip)
        if company is None:
            return self.not_found(request, visitor)
        labels = {user.username: user.label for user in self.auth.users()}
        current = {item.key: item for item in self.storage.items(nip)}
        replaced = [
            {"entry": entry, "now": current.get(entry.item.key)}
            for entry in reversed(self.storage.history(nip))
        ]
        return self.page(
            request,
            visitor,
            "history.html",
            title=f"Historia — {company.name}",
            company=company,
            events=_event_rows(self.storage.events(nip), labels),
            replaced=replaced,
        )

    def invite(self, request: Request, visitor: Visitor, nip: str, form: Form) -> Response:
        """A client user for the company and its activation link, e-mailed when possible."""
        assert visitor.user is not None
        company = self.storage.company(nip)
        if company is None:
            return self.not_found(request, visitor)
        if not csrf_matches(visitor.session, form.get("csrf")):
            return self.csrf_refused(request, visitor)
        username = form.get("login").strip()[:200]
        account = self.auth.user_by_name(username) if username else None
        problem = None
        if not username:
            problem = "Podaj login klienta (najlepiej adres e-mail)."
        elif account is not None and account.nip != nip:
            problem = "Ten login jest już zajęty. Wybierz inny."
        if problem is not None:
            return self.invite_result(request, visitor, company, problem=problem)

        base = self.public_url or str(request.base_url)
        try:
            invitation = invite_client(
                self.auth, self.storage, self.notifier, company, username, base,
                actor=visitor.user.username,
            )  # fmt: skip
        except ValueError:
            problem = "Login musi mieć od 3 do 200 znaków i nie może zawierać spacji."
            return self.invite_result(request, visitor, company, problem=problem)
        return self.invite_result(
            request,
            visitor,
            company,
            account=invitation.account,
            link=None if invitation.emailed else invitation.link,
        )

    def invite_result(
        self,
        request: Request,
        visitor: Visitor,
        company: Company,
        *,
        problem: str | None = None,
        account: User | None = None,
        link: str | None = None,
    ) -> HTMLResponse:
        """What the invitation did: e-mailed, or the link to pass on (shown this once)."""
        valid_until = datetime.now(WARSAW) + ACTIVATION_LIFETIME
        return self.page(
            request,
            visitor,
            "invited.html",
            400 if problem else 200,
            title="Zaproszenie klienta",
            company=company,
            problem=problem,
            account=account,
            link=link,
            valid_until=valid_until,
        )

    # the office's users

    def users_page(
        self,
        request: Request,
        visitor: Visitor,
        *,
        confirm_id: int | None = None,
        note: Note | None = None,
        add_error: str | None = None,
        draft: dict[str, str] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        """Office staff and client users with their state; adding, disabling, links again."""
        assert visitor.user is not None
        if status == 200:
            note = note or self.notes.take(visitor.session, "/uzytkownicy")
        accounts = sorted(
            self.auth.users(), key=lambda account: (account.is_client, account.username)
        )
        confirm = next((a for a in accounts if a.id == confirm_id and not a.disabled), None)
        if confirm is not None and confirm.id == visitor.user.id:
            confirm, note = None, Note("error", _NOT_YOURSELF)
        labels = {account.username: account.label for account in accounts}
        limiter = self.auth.limiter
        return self.page(
            request,
            visitor,
            "users.html",
            status,
            title="Użytkownicy",
            accounts=accounts,
            companies={company.nip: company for company in self.storage.companies()},
            office_count=sum(1 for account in accounts if account.is_office),
            client_count=sum(1 for account in accounts if account.is_client),
            confirm=confirm,
            note=note,
            add_error=add_error,
            draft=draft or {"login": "", "name": ""},
            events=_event_rows(_office_events(self.storage, USER_ACTIONS), labels),
            max_failures=limiter.max_failures,
            lockout=_minutes_pl(int(limiter.window)),
        )

    def add_office_user(self, request: Request, visitor: Visitor, form: Form) -> Response:
        """A new member of the office's staff with the password the office typed for them."""
        assert visitor.user is not None
        if not csrf_matches(visitor.session, form.get("csrf")):
            return self.csrf_refused(request, visitor)
        username, name = form.get("login").strip()[:200], form.get("nazwa").strip()[:200]
        password = form.get("haslo")
        draft = {"login": username, "name": name}
        problem = self.new_login_problem(username)
        if problem is None and password != form.get("haslo2"):
            problem = "Hasła nie są takie same."
        account = None
        if problem is None:
            try:
                account = self.auth.create_office_user(username, password, name)
            except PasswordRejected as rejected:
                problem = str(rejected)
            except ValueError:  # malformed, or taken since the check above
                problem = self.new_login_problem(username) or _BAD_LOGIN
        if account is None:
            return self.users_page(request, visitor, add_error=problem, draft=draft, status=400)

        actor = visitor.user.username
        self.storage.log_event(actor, "user_add", None, None, f"{account.username} (biuro)")
        logger.info("%s added office user %s", actor, account.username)
        text = f"Dodano użytkownika {account.username}. Może się już zalogować swoim hasłem."
        return self.after_form(request, visitor, "/uzytkownicy", Note("success", text))

    def new_login_problem(self, username: str) -> str | None:
        """Why a new user cannot have this login (Polish), or None."""
        if not username:
            return "Podaj login."
        if self.auth.user_by_name(username) is not None:
            return "Ten login jest już zajęty. Wybierz inny."
        return None

    def account(self, user_id: str) -> User | None:
        """The user of a path's id, or None."""
        found = _row_id(user_id)
        return None if found is None else self.auth.user(found)

    def disable_user(
        self, request: Request, visitor: Visitor, user_id: str, form: Form
    ) -> Response:
        """Nobody may log in as the account any more; its open sessions end at once."""
        assert visitor.user is not None
        if not csrf_matches(visitor.session, form.get("csrf")):
            return self.csrf_refused(request, visitor)
        account = self.account(user_id)
        if account is None:
            return self.not_found(request, visitor)
        if account.id == visitor.user.id:
            return self.users_page(request, visitor, note=Note("error", _NOT_YOURSELF), status=400)
        if not account.disabled:
            try:
                self.auth.disable(account.id, by=visitor.user.id)
            except DisableRefused:
                note = Note("error", _LAST_OFFICE_USER)
                return self.users_page(request, visitor, note=note, status=409)
            self.storage.log_event(
                visitor.user.username, "user_disable", None, None, account.username
            )
            logger.info("%s disabled panel user %s", visitor.user.username, account.username)
        text = (
            f"Wyłączono konto {account.username}. Nie można się na nie zalogować, "
            "a jego otwarte sesje już nie działają."
        )
        return self.after_form(request, visitor, "/uzytkownicy", Note("success", text))

    def enable_user(self, request: Request, visitor: Visitor, user_id: str, form: Form) -> Response:
        """A disabled account may log in again (its old sessions stay ended)."""
        assert visitor.user is not None
        if not csrf_matches(visitor.session, form.get("csrf")):
            return self.csrf_refused(request, visitor)
        account = self.account(user_id)
        if account is None:
            return self.not_found(request, visitor)
        if account.disabled:
            self.auth.enable(account.id)
            self.storage.log_event(
                visitor.user.username, "user_enable", None, None, account.username
            )
            logger.info("%s enabled panel user %s", visitor.user.username, account.username)
        if account.has_password:
            text = f"Włączono konto {account.username}. Można się na nie znowu zalogować."
        else:
            text = (
                f"Włączono konto {account.username}. Klient nie ustawił jeszcze hasła: "
                "wyślij mu link aktywacyjny ponownie."
            )
        return self.after_form(request, visitor, "/uzytkownicy", Note("success", text))

    def resend_activation(
        self, request: Request, visitor: Visitor, user_id: str, form: Form
    ) -> Response:
        """A new activation link for a client who has not set a password; e-mailed to the
        company when possible, otherwise shown once to pass on. Earlier links stay valid until
        they expire or one of them is used."""
        assert visitor.user is not None
        if not csrf_matches(visitor.session, form.get("csrf")):
            return self.csrf_refused(request, visitor)
        account = self.account(user_id)
        if account is None or not account.is_client or account.nip is None:
            return self.not_found(request, visitor)
        company = self.storage.company(account.nip)
        problem = None
        if account.disabled:
            problem = "To konto jest wyłączone. Najpierw je włącz."
        elif account.has_password:
            problem = "Klient już aktywował to konto i loguje się swoim hasłem."
        elif company is None:
            problem = "Firmy tego konta nie ma w panelu, więc nie można wysłać linku."
        if problem is not None:
            return self.users_page(request, visitor, note=Note("error", problem), status=400)
        assert company is not None

        base = self.public_url or str(request.base_url)
        invitation = invite_client(
            self.auth, self.storage, self.notifier, company, account.username, base,
            actor=visitor.user.username,
        )  # fmt: skip
        valid_until = moment_pl(datetime.now(UTC) + ACTIVATION_LIFETIME)
        if invitation.emailed:
            text = (
                f"Nowy link aktywacyjny dla konta {account.username} wysłano na adres "
                f"{company.email}. Jest jednorazowy i ważny do {valid_until}."
            )
            note = Note("success", text)
        else:
            why = (
                f"Nie udało się wysłać go e-mailem na adres {company.email}."
                if company.email
                else "Firma nie ma adresu e-mail."
            )
            text = (
                f"Utworzono nowy link aktywacyjny dla konta {account.username}. {why} "
                f"Przekaż klientowi ten link: pokazujemy go tylko teraz; jest jednorazowy "
                f"i ważny do {valid_until}."
            )
            note = Note("info", text, secret=invitation.link, name=account.username)
        return self.after_form(request, visitor, "/uzytkownicy", note)

    def after_form(self, request: Request, visitor: Visitor, page: str, note: Note) -> Response:
        """Keep what the form did for its one showing on `page`, and go there."""
        self.notes.put(visitor.session, page, note)
        return self.redirect(request, visitor, page)

    # the office's API tokens

    def tokens_page(
        self,
        request: Request,
        visitor: Visitor,
        *,
        confirm_id: int | None = None,
        note: Note | None = None,
        name_error: str | None = None,
        draft_name: str = "",
        status: int = 200,
    ) -> HTMLResponse:
        """The API tokens (never their values, except a new one's this once)."""
        if status == 200:
            note = note or self.notes.take(visitor.session, "/tokeny")
        tokens = self.auth.api_tokens()
        labels = {account.username: account.label for account in self.auth.users()}
        confirm = next((t for t in tokens if t.id == confirm_id and t.revoked_at is None), None)
        return self.page(
            request,
            visitor,
            "tokens.html",
            status,
            title="Tokeny API",
            tokens=tokens,
            active=sum(1 for token in tokens if token.revoked_at is None),
            labels=labels,
            confirm=confirm,
            note=note,
            name_error=name_error,
            draft_name=draft_name,
            events=_event_rows(_office_events(self.storage, TOKEN_ACTIONS), labels),
        )

    def create_token(self, request: Request, visitor: Visitor, form: Form) -> Response:
        """A new API token, shown on the next page once and then never again."""
        assert visitor.user is not None
        if not csrf_matches(visitor.session, form.get("csrf")):
            return self.csrf_refused(request, visitor)
        name = " ".join(form.get("nazwa").split())
        problem = None
        if not name:
            problem = "Podaj nazwę tokenu, np. pipeline."
        elif len(name) > MAX_TOKEN_NAME:
            problem = f"Nazwa tokenu może mieć najwyżej {MAX_TOKEN_NAME} znaków."
        if problem is not None:
            return self.tokens_page(
                request, visitor, name_error=problem, draft_name=name[:MAX_TOKEN_NAME], status=400
            )

        actor = visitor.user.username
        record, token = self.auth.issue_api_token(name, created_by=actor)
        self.storage.log_event(actor, "token_create", None, None, f"{record.name} (#{record.id})")
        logger.info("%s created API token #%d", actor, record.id)
        text = f"Utworzono token „{record.name}”."
        return self.after_form(
            request, visitor, "/tokeny", Note("success", text, secret=token, name=record.name)
        )

    def revoke_token(
        self, request: Request, visitor: Visitor, token_id: str, form: Form
    ) -> Response:
        """The token is refused by the API from now on; this cannot be undone."""
        assert visitor.user is not None
        if not csrf_matches(visitor.session, form.get("csrf")):
            return self.csrf_refused(request, visitor)
        wanted = _row_id(token_id)
        record = next((t for t in self.auth.api_tokens() if t.id == wanted), None)
        if record is None:
            return self.not_found(request, visitor)
        if record.revoked_at is None:
            actor = visitor.user.username
            self.auth.revoke_api_token(record.id)
            self.storage.log_event(
                actor, "token_revoke", None, None, f"{record.name} (#{record.id})"
            )
            logger.info("%s revoked API token #%d", actor, record.id)
        text = (
            f"Token „{record.name}” jest unieważniony: program, który go używał, "
            "nie połączy się już z panelem."
        )
        return self.after_form(request, visitor, "/tokeny", Note("success", text))

    # the client

    def client_home(self, request: Request, visitor: Visitor, period: str | None) -> Response:
        """The client's own company: the chosen month's approved items only."""
        assert visitor.user is not None and visitor.user.nip is not None
        company = self.storage.company(visitor.user.nip)
        approved = [] if company is None else self.storage.items(visitor.user.nip)
        approved = [item for item in approved if item.approved]
        periods = sorted({item.period for item in approved}, reverse=True)
        if period not in periods:
            period = periods[0] if periods else None
        in_month = sorted((i for i in approved if i.period == period), key=_type_order)
        payments = [
            _payment(item, company)
            for item in in_month
            if company is not None and item.data_type != "summaries"
        ]
        to_pay = sum(p.item.amount for p in payments if p.details and not p.item.paid_at)
        return self.page(
            request,
            visitor,
            "client.html",
            title=company.name if company else "Panel klienta",
            company=company,
            periods=periods,
            period=period,
            payments=payments,
            to_pay=to_pay,
            some_paid=any(p.item.paid_at for p in payments if p.details),
            results=_results(in_month),
        )

    def mark_paid(self, request: Request, visitor: Visitor, form: Form) -> Response:
        """A client marks one of its approved items paid (or takes the mark back)."""
        user = visitor.user
        if user is None or not user.is_client or user.nip is None:
            return self.not_found(request, visitor)
        if not csrf_matches(visitor.session, form.get("csrf")):
            return self.csrf_refused(request, visitor)
        data_type, period, tax = form.get("typ"), form.get("okres"), form.get("podatek")
        if data_type not in ("zus", "taxes") or not _PERIOD.fullmatch(period):
            return self.not_found(request, visitor)
        key = (user.nip, data_type, period, tax if data_type == "taxes" else "")
        if not self.storage.mark_paid(key, form.get("zaplacone") == "1", user.username):
            return self.not_found(request, visitor)
        anchor = f"#{data_type}-{tax}" if tax else f"#{data_type}"
        return self.redirect(request, visitor, f"/?{urlencode({'okres': period})}{anchor}")


def _month_marks(items: Sequence[StoredItem]) -> list[MonthMark]:
    """The months of the items, newest first, with how many items await approval."""
    waiting = Counter(item.period for item in items if not item.approved)
    periods = sorted({item.period for item in items}, reverse=True)
    return [MonthMark(period, waiting.get(period, 0)) for period in periods]


def _outcome(request: Request) -> dict[str, Any] | None:
    """What the last approval did, from the query of the redirect after it."""
    result = request.query_params.get("wynik")
    if result not in ("ok", "nic"):
        return None
    count = request.query_params.get("ile", "0")
    return {
        "result": result,
        "count": int(count) if count.isdigit() else 0,
        "summary": request.query_params.get("podsumowanie", ""),
    }
