"""The pipeline's client of the KonektoSmart panel (contract v1), over one httpx connection pool.

Timeouts, TLS verification and a bearer token are set once. Calls that fail on the way (a refused
connection, a timeout, 429/502/503/504) are retried with exponential backoff, honouring the
panel's Retry-After up to `MAX_RETRY_AFTER` seconds. The PUTs and GETs are idempotent (an item is
stored by key, the same item twice is one item), so retrying them is safe even when the panel had
already done the work. Approval is a POST that may send the client a summary, so it is retried
only when the panel surely did not get it: a refused connection or a 429/503 answer.
"""

import email.utils
import logging
import math
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import httpx

from konekto_pipeline.panel.contract import (
    API_PREFIX,
    ApproveRequest,
    ApproveResult,
    Company,
    CompanyHistory,
    CompanyListing,
    CompanyUpsertResult,
    DigestEntry,
    Health,
    InviteRequest,
    InviteResult,
    Item,
    ItemKey,
    PaidRequest,
    StoredItem,
    SyncState,
    SyncStatesResult,
    UpsertResult,
)

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
NOT_PROCESSED_STATUSES = frozenset({429, 503})
MAX_RETRY_AFTER = 30.0
MAX_BACKOFF = 30.0
UPLOAD_CHUNK = 500
DIGEST_NIP_CHUNK = 100


class PanelError(Exception):
    """The panel refused a call or could not be reached; `status` is None when no answer came."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class PanelClient:
    """Talks to the panel; use it as a context manager so the connection pool is closed.

    `request_count` counts every HTTP attempt made, retries included, so a caller can prove that
    unchanged items cost no request.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 0.5,
        verify: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json", "User-Agent": "konekto-pipeline"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._token = token
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            verify=verify,
            transport=transport,
        )
        self.retries = retries
        self.backoff = backoff
        self.request_count = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def health(self) -> Health:
        """Check that the panel answers (needs no token)."""
        return Health.model_validate(self._request("GET", "/health"))

    def upsert_company(self, company: Company) -> str:
        """Create or update the company; returns created, updated or unchanged."""
        answer = self._request(
            "PUT", f"/companies/{company.nip}", json=company.model_dump(mode="json")
        )
        return CompanyUpsertResult.model_validate(answer).status

    def companies(self) -> list[CompanyListing]:
        """Every company the panel knows, with its client's account and last sync state."""
        answer = self._request("GET", "/companies")
        return [CompanyListing.model_validate(entry) for entry in answer]

    def record_sync_states(self, states: Sequence[SyncState], by: str = "konekto-pipeline") -> int:
        """Tell the panel how the sync went for these companies; no request when there are none."""
        recorded = 0
        for chunk in _chunks(states, UPLOAD_CHUNK):
            body = [state.model_dump(mode="json") for state in chunk]
            answer = self._request("PUT", "/sync-states", json=body, params={"by": by})
            recorded += SyncStatesResult.model_validate(answer).count
        return recorded

    def invite(self, nip: str, request: InviteRequest) -> InviteResult:
        """Open the company's client account and e-mail its activation link (once: a company
        that has an account is left as it is). Not retried once the panel may have got it."""
        answer = self._request(
            "POST",
            f"/companies/{nip}/invite",
            json=request.model_dump(mode="json"),
            idempotent=False,
        )
        return InviteResult.model_validate(answer)

    def upsert_items(
        self, nip: str, items: Sequence[Item], sent_by: str | None = None
    ) -> list[UpsertResult]:
        """Upload a company's items in chunks of `UPLOAD_CHUNK`; no request when there are none."""
        params = {"sent_by": sent_by} if sent_by else None
        results: list[UpsertResult] = []
        for chunk in _chunks(items, UPLOAD_CHUNK):
            body = [item.model_dump(mode="json") for item in chunk]
            answer = self._request("PUT", f"/companies/{nip}/items", json=body, params=params)
            results.extend(UpsertResult.model_validate(entry) for entry in answer)
        return results

    def digests(
        self, nips: Sequence[str] | None = None, periods: Sequence[str] | None = None
    ) -> dict[ItemKey, DigestEntry]:
        """What the panel holds, by item key: all of it, or only of some NIPs and months."""
        nip_groups: list[Sequence[str] | None] = (
            [None] if nips is None else list(_chunks(sorted(set(nips)), DIGEST_NIP_CHUNK))
        )
        entries: dict[ItemKey, DigestEntry] = {}
        for group in nip_groups:
            params = {"nip": list(group or []), "period": list(periods or [])}
            query = {name: values for name, values in params.items() if values} or None
            for entry in self._request("GET", "/digests", params=query):
                digest = DigestEntry.model_validate(entry)
                entries[digest.key] = digest
        return entries

    def approve(self, nip: str, request: ApproveRequest) -> ApproveResult:
        """Approve a company's month; not retried once the panel may have received it."""
        answer = self._request(
            "POST",
            f"/companies/{nip}/approve",
            json=request.model_dump(mode="json"),
            idempotent=False,
        )
        return ApproveResult.model_validate(answer)

    def items(self, nip: str, period: str | None = None) -> list[StoredItem]:
        """The company's stored items with their approval, of one month if given."""
        params = {"period": period} if period else None
        answer = self._request("GET", f"/companies/{nip}/items", params=params)
        return [StoredItem.model_validate(entry) for entry in answer]

    def mark_paid(self, nip: str, request: PaidRequest) -> StoredItem:
        """Mark an approved item paid (or not); PanelError 404 when there is no such item."""
        answer = self._request(
            "POST", f"/companies/{nip}/paid", json=request.model_dump(mode="json")
        )
        return StoredItem.model_validate(answer)

    def history(self, nip: str, period: str | None = None) -> CompanyHistory:
        """What uploads replaced and who did what, of one month if given."""
        params = {"period": period} if period else None
        answer = self._request("GET", f"/companies/{nip}/history", params=params)
        return CompanyHistory.model_validate(answer)

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool = True,
    ) -> Any:
        """One call with retries; returns the decoded JSON answer or raises PanelError."""
        for attempt in range(self.retries + 1):
            can_retry = attempt < self.retries
            self.request_count += 1
            try:
                response = self._http.request(method, API_PREFIX + path, json=json, params=params)
            except httpx.TransportError as error:
                refused = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
                if can_retry and (idempotent or refused):
                    self._wait(method, path, attempt, type(error).__name__, None)
                    continue
                message = f"{method} {path}: panel not reachable ({type(error).__name__}: {error})"
                raise PanelError(self._scrub(message)) from None

            status = response.status_code
            retryable = status in (RETRY_STATUSES if idempotent else NOT_PROCESSED_STATUSES)
            if retryable and can_retry:
                self._wait(method, path, attempt, str(status), response.headers.get("Retry-After"))
                continue
            if response.is_error:
                raise PanelError(self._describe(method, path, response), status)
            return self._decode(method, path, response)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(
        self, method: str, path: str, attempt: int, reason: str, retry_after: str | None
    ) -> None:
        delay = _retry_after_seconds(retry_after)
        if delay is None:
            delay = min(self.backoff * 2**attempt, MAX_BACKOFF)
        logger.warning(
            "panel %s %s failed (%s); retry %d of %d in %.1f s",
            method,
            path,
            reason,
            attempt + 1,
            self.retries,
            delay,
        )
        time.sleep(delay)

    def _describe(self, method: str, path: str, response: httpx.Response) -> str:
        try:
            detail = response.json().get("detail", response.text)
        except (ValueError, AttributeError):
            detail = response.text
        message = f"{method} {path}: panel answered {response.status_code}: {str(detail)[:500]}"
        return self._scrub(message)

    def _decode(self, method: str, path: str, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            message = f"{method} {path}: panel answered {response.status_code} without JSON"
            raise PanelError(message, response.status_code) from None

    def _scrub(self, text: str) -> str:
        """Never let the token into an error message, whatever the server or httpx echoed."""
        return text.replace(self._token, "***") if self._token else text


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (a number or an HTTP date), capped; None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
