"""The KonektoSmart panel contract, served for real: reference server, storage and client.

The panel runs in uvicorn on 127.0.0.1 (PanelThread) over a SQLite file, and the storage tests run
again over PostgreSQL when one is reachable, because the pipeline relies on what they promise:
the same item twice is one item, a changed item loses its approval, amounts stay integer grosze.
The client's retries are tested against a small scripted HTTP server on 127.0.0.1.
"""

import json
import os
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import yaml

from konekto_pipeline.panel.app import OPENAPI_PATH, openapi_yaml
from konekto_pipeline.panel.client import PanelClient, PanelError
from konekto_pipeline.panel.contract import (
    ApproveRequest,
    Company,
    Item,
    PaidRequest,
    StoredItem,
    item_digest,
)
from konekto_pipeline.panel.server import PanelThread, as_database_url, dump
from konekto_pipeline.panel.storage import PanelStorage

POSTGRES_URL = os.environ.get(
    "KONEKTO_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/test"
)
NIP = "5260250274"
OTHER_NIP = "7740001454"
TOKEN = "panel-token-7f3a9c"


def _postgres_unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except ModuleNotFoundError as error:
        return f"PostgreSQL driver not installed ({error.name})"
    except sa.exc.OperationalError as error:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {error.orig}"
    return None


@pytest.fixture(scope="session")
def postgres_unavailable() -> str | None:
    return _postgres_unavailable()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_unavailable: str | None
) -> Iterator[str]:
    """A fresh panel database: a SQLite file, or a schema of its own in PostgreSQL."""
    if request.param == "sqlite":
        yield as_database_url(tmp_path / "panel.db")
        return
    if postgres_unavailable:
        pytest.skip(postgres_unavailable)
    schema = f"panel_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def panel(database_url: str) -> Iterator[PanelThread]:
    with PanelThread(database_url) as running:
        yield running


@pytest.fixture
def client(panel: PanelThread) -> Iterator[PanelClient]:
    with PanelClient(panel.url, retries=0) as panel_client:
        panel_client.upsert_company(Company(nip=NIP, name="Piekarnia Żółć sp. z o.o."))
        panel_client.request_count = 0
        yield panel_client


def _zus(period: str = "2025-01", total: int = 147632, **overrides: Any) -> Item:
    fields: dict[str, Any] = {
        "nip": NIP,
        "data_type": "zus",
        "period": period,
        "kind": "D",
        "amount": total,
        "due_date": date(2025, 2, 20),
        "account": "83600000020260005260250274",
        "source": "kedu",
        "details": {"social": 100000, "health": 47632, "refund": None, "declaration_no": 1},
    }
    return Item.create(**{**fields, **overrides})


def _tax(period: str = "2025-01", tax: str = "VAT-7", amount: int = 512300) -> Item:
    return Item.create(
        nip=NIP,
        data_type="taxes",
        period=period,
        tax=tax,
        kind="D",
        amount=amount,
        due_date=date(2025, 2, 25),
        source="jpk",
    )


def _summary(period: str = "2025-01", revenue: int = 1_000_000) -> Item:
    return Item.create(
        nip=NIP,
        data_type="summaries",
        period=period,
        kind="S",
        amount=revenue,
        source="optima",
        details={"costs": 400_000, "income": 600_000},
    )


# --- contract -----------------------------------------------------------------------------------


def test_digest_covers_content_but_not_storage_fields() -> None:
    item = _zus()
    stored = StoredItem.model_validate({**item.model_dump(), "approved": True, "sent_by": "x"})

    assert item.digest == item_digest(item) == item_digest(stored)
    assert _zus(total=147633).digest != item.digest
    assert _zus(details={"social": 1}).digest != item.digest


def test_tax_is_required_for_taxes_and_forbidden_for_other_data_types() -> None:
    with pytest.raises(ValueError, match="tax is required"):
        Item.create(nip=NIP, data_type="taxes", period="2025-01", kind="D", amount=1, source="x")
    with pytest.raises(ValueError, match="tax must be null"):
        _zus(tax="PIT-4")


def test_item_rejects_fractional_amounts_and_bad_periods() -> None:
    with pytest.raises(ValueError):
        _zus(total=1476.32)
    with pytest.raises(ValueError):
        _zus(period="2025-13")


# --- server over SQLite and PostgreSQL ----------------------------------------------------------


def test_health_answers_ok_with_the_contract_version(client: PanelClient) -> None:
    assert client.health().model_dump() == {"status": "ok", "version": 1}


def test_company_upsert_reports_created_unchanged_and_updated(client: PanelClient) -> None:
    company = Company(nip=OTHER_NIP, name="Kowalski", email="biuro@example.pl")

    assert client.upsert_company(company) == "created"
    assert client.upsert_company(company) == "unchanged"
    assert client.upsert_company(company.model_copy(update={"phone": "+48 600"})) == "updated"
    assert {c.nip: c.phone for c in client.companies()} == {NIP: None, OTHER_NIP: "+48 600"}


def test_same_item_twice_is_one_item_and_the_second_upload_is_unchanged(
    client: PanelClient, database_url: str
) -> None:
    item = _zus()

    first = client.upsert_items(NIP, [item, _tax()])
    second = client.upsert_items(NIP, [item])

    assert [result.status for result in first] == ["created", "created"]
    assert [(result.key, result.status) for result in second] == [
        ((NIP, "zus", "2025-01", ""), "unchanged")
    ]
    assert len(client.items(NIP)) == 2
    assert sum(1 for record in dump(database_url) if record["data_type"] == "zus") == 1


def test_changed_item_is_updated_and_loses_its_approval(client: PanelClient) -> None:
    client.upsert_items(NIP, [_zus()], sent_by="biuro-1")
    client.approve(NIP, ApproveRequest(period="2025-01", approved_by="Anna Nowak"))

    results = client.upsert_items(NIP, [_zus(total=150000)], sent_by="biuro-2")
    (stored,) = client.items(NIP, "2025-01")

    assert results[0].status == "updated"
    assert stored.amount == 150000
    assert (stored.approved, stored.approved_at, stored.approved_by) == (False, None, None)
    assert stored.sent_by == "biuro-2"


def test_digests_mirror_stored_items_and_filter_by_nip_and_period(client: PanelClient) -> None:
    client.upsert_company(Company(nip=OTHER_NIP, name="Inna firma"))
    other = _zus().model_copy(update={"nip": OTHER_NIP})
    other = other.model_copy(update={"digest": item_digest(other)})
    client.upsert_items(NIP, [_zus("2025-01"), _zus("2025-02"), _tax("2025-02")])
    client.upsert_items(OTHER_NIP, [other])

    everything = client.digests()
    only_ours = client.digests([NIP])
    february = client.digests([NIP], periods=["2025-02"])

    assert len(everything) == 4
    assert set(only_ours) == {
        (NIP, "zus", "2025-01", ""),
        (NIP, "zus", "2025-02", ""),
        (NIP, "taxes", "2025-02", "VAT-7"),
    }
    assert only_ours[(NIP, "zus", "2025-02", "")].digest == _zus("2025-02").digest
    assert set(february) == {(NIP, "zus", "2025-02", ""), (NIP, "taxes", "2025-02", "VAT-7")}
    assert not any(entry.approved for entry in everything.values())
    assert client.digests([]) == {}


def test_approve_marks_only_the_months_unapproved_items_of_the_chosen_types(
    client: PanelClient,
) -> None:
    client.upsert_items(NIP, [_zus("2025-01"), _tax("2025-01"), _zus("2025-02")])

    first = client.approve(
        NIP, ApproveRequest(period="2025-01", data_types=["zus"], approved_by="Anna")
    )
    again = client.approve(
        NIP, ApproveRequest(period="2025-01", data_types=["zus"], approved_by="Anna")
    )
    approved = {key: entry.approved for key, entry in client.digests([NIP]).items()}

    assert (first.count, first.summary_sent) == (1, False)
    assert again.count == 0
    assert approved == {
        (NIP, "zus", "2025-01", ""): True,
        (NIP, "taxes", "2025-01", "VAT-7"): False,
        (NIP, "zus", "2025-02", ""): False,
    }
    zus = next(item for item in client.items(NIP, "2025-01") if item.data_type == "zus")
    assert zus.approved_by == "Anna" and zus.approved_at is not None


def test_approve_with_send_summary_records_a_dispatch(
    client: PanelClient, database_url: str
) -> None:
    client.upsert_items(NIP, [_zus(), _summary()])

    result = client.approve(
        NIP, ApproveRequest(period="2025-01", send_summary=True, approved_by="Anna")
    )
    nothing_approved = client.approve(
        NIP, ApproveRequest(period="2025-03", send_summary=True, approved_by="Anna")
    )

    assert (result.count, result.summary_sent) == (2, True)
    assert nothing_approved.summary_sent is False
    storage = PanelStorage(database_url)
    try:
        dispatches = storage.dispatches(NIP)
    finally:
        storage.dispose()
    assert [(d.nip, d.period, d.channel) for d in dispatches] == [(NIP, "2025-01", "recorded")]


def test_upload_is_refused_for_another_companys_item_or_a_wrong_digest(
    client: PanelClient,
) -> None:
    foreign = _zus().model_copy(update={"nip": OTHER_NIP})
    foreign = foreign.model_copy(update={"digest": item_digest(foreign)})
    tampered = _zus().model_copy(update={"amount": 1})

    with pytest.raises(PanelError) as wrong_nip:
        client.upsert_items(NIP, [foreign])
    with pytest.raises(PanelError) as wrong_digest:
        client.upsert_items(NIP, [_tax(), tampered])

    assert wrong_nip.value.status == 422
    assert f"nip {OTHER_NIP} differs from the path's {NIP}" in wrong_nip.value.message
    assert wrong_digest.value.status == 422
    assert "item 1 (zus 2025-01): digest does not match" in wrong_digest.value.message
    assert client.items(NIP) == []


def test_upload_for_an_unknown_company_is_404(client: PanelClient) -> None:
    item = _zus().model_copy(update={"nip": OTHER_NIP})

    with pytest.raises(PanelError) as error:
        client.upsert_items(OTHER_NIP, [item.model_copy(update={"digest": item_digest(item)})])

    assert error.value.status == 404
    assert "unknown" in error.value.message


def test_a_request_of_more_than_1000_items_is_refused(panel: PanelThread) -> None:
    body = [_zus(f"{2000 + n // 12}-{n % 12 + 1:02d}").model_dump(mode="json") for n in range(1001)]

    response = httpx.put(f"{panel.url}/api/v1/companies/{NIP}/items", json=body, timeout=30)

    assert response.status_code == 422


def test_large_uploads_go_in_chunks_of_500_and_unchanged_ones_cost_no_request(
    client: PanelClient,
) -> None:
    months = [f"{2000 + n // 12}-{n % 12 + 1:02d}" for n in range(1201)]
    items = [_zus(month) for month in months]

    results = client.upsert_items(NIP, items)
    requests_for_upload = client.request_count
    held = client.digests([NIP])
    changed = [item for item in items if held[item.key].digest != item.digest]
    client.upsert_items(NIP, changed)

    assert len(results) == 1201 and {result.status for result in results} == {"created"}
    assert requests_for_upload == 3
    assert changed == []
    assert client.request_count == requests_for_upload + 1


def test_amounts_beyond_32_bits_stay_exact_integers(client: PanelClient) -> None:
    big = 9_876_543_210_123

    client.upsert_items(NIP, [_summary(revenue=big)])
    (stored,) = client.items(NIP)

    assert stored.amount == big and isinstance(stored.amount, int)


def test_dump_gives_every_item_as_a_json_ready_dict(client: PanelClient, database_url: str) -> None:
    client.upsert_items(NIP, [_zus(), _tax()])
    client.approve(NIP, ApproveRequest(period="2025-01", data_types=["taxes"], approved_by="A"))

    records = list(dump(database_url))

    assert [json.loads(json.dumps(record)) for record in records] == records
    by_type = {record["data_type"]: record for record in records}
    assert by_type["zus"] | {"sent_at": None} == {
        "nip": NIP,
        "data_type": "zus",
        "period": "2025-01",
        "tax": None,
        "kind": "D",
        "amount": 147632,
        "due_date": "2025-02-20",
        "account": "83600000020260005260250274",
        "source": "kedu",
        "details": {"social": 100000, "health": 47632, "refund": None, "declaration_no": 1},
        "digest": _zus().digest,
        "sent_at": None,
        "sent_by": None,
        "approved": False,
        "approved_at": None,
        "approved_by": None,
        "paid_at": None,
        "paid_by": None,
    }
    assert by_type["taxes"]["tax"] == "VAT-7" and by_type["taxes"]["approved"] is True


def test_a_correction_keeps_the_version_it_replaced_with_its_approval_and_payment(
    client: PanelClient,
) -> None:
    client.upsert_items(NIP, [_zus()], sent_by="pipeline@biuro")
    client.approve(NIP, ApproveRequest(period="2025-01", approved_by="Anna Księgowa"))
    client.mark_paid(NIP, PaidRequest(data_type="zus", period="2025-01", by="klient"))

    client.upsert_items(NIP, [_zus(total=150000, kind="K")], sent_by="pipeline@biuro")

    current = client.items(NIP, "2025-01")[0]
    assert (current.amount, current.kind, current.approved, current.paid_at) == (
        150000, "K", False, None,
    )  # fmt: skip
    (replaced,) = client.history(NIP).replaced
    assert (replaced.item.amount, replaced.item.kind) == (147632, "D")
    assert (replaced.item.approved_by, replaced.item.paid_by) == ("Anna Księgowa", "klient")
    assert replaced.item.paid_at is not None and replaced.replaced_at >= replaced.item.paid_at


def test_history_says_who_uploaded_approved_sent_and_marked_paid(client: PanelClient) -> None:
    client.upsert_items(NIP, [_zus(), _tax()], sent_by="pipeline@biuro")
    client.upsert_items(NIP, [_zus(), _tax()], sent_by="pipeline@biuro")  # unchanged: no line
    client.approve(
        NIP, ApproveRequest(period="2025-01", approved_by="Anna Księgowa", send_summary=True)
    )
    client.mark_paid(NIP, PaidRequest(data_type="taxes", period="2025-01", tax="VAT-7", by="k"))

    events = client.history(NIP).events
    assert [(event.actor, event.action) for event in reversed(events)] == [
        ("pipeline@biuro", "upload"),
        ("Anna Księgowa", "approve"),
        ("Anna Księgowa", "summary"),
        ("k", "paid"),
    ]
    assert events[-1].detail == "created 2 (2025-01)"
    assert events[0].detail == "taxes VAT-7" and events[0].period == "2025-01"


def test_a_changed_figure_of_a_sent_summary_is_told_once_when_approved_again(
    client: PanelClient,
) -> None:
    first = ApproveRequest(period="2025-01", approved_by="Anna", send_summary=True)
    again = ApproveRequest(period="2025-01", approved_by="Anna")
    client.upsert_items(NIP, [_zus(), _tax()])
    assert client.approve(NIP, first).summary_sent is True

    client.upsert_items(NIP, [_zus(), _tax(amount=600000)])  # a correction of the VAT
    told = client.approve(NIP, again)
    told_twice = client.approve(NIP, again)

    assert (told.count, told.summary_sent) == (1, True)
    assert (told_twice.count, told_twice.summary_sent) == (0, False)
    summaries = [e.detail for e in client.history(NIP).events if e.action == "summary"]
    assert summaries == ["changed figures, sent again by recorded", "sent by recorded"]


def test_approving_unchanged_figures_again_sends_nothing(client: PanelClient) -> None:
    client.upsert_items(NIP, [_zus()])
    client.approve(NIP, ApproveRequest(period="2025-01", approved_by="A", send_summary=True))
    client.upsert_items(NIP, [_tax()])  # a new item: not a change of what the client was told

    result = client.approve(NIP, ApproveRequest(period="2025-01", approved_by="A"))

    assert (result.count, result.summary_sent) == (1, False)


def test_only_an_approved_item_can_be_marked_paid(client: PanelClient) -> None:
    client.upsert_items(NIP, [_zus()])

    with pytest.raises(PanelError) as raised:
        client.mark_paid(NIP, PaidRequest(data_type="zus", period="2025-01", by="klient"))

    assert raised.value.status == 404
    assert client.history(NIP).events[0].action == "upload"


def test_a_panel_file_of_an_earlier_version_gains_the_new_columns_and_keeps_its_items(
    tmp_path: Path,
) -> None:
    url = as_database_url(tmp_path / "old.db")
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # the items table as the first version made it
        conn.execute(
            sa.text(
                "CREATE TABLE companies (nip VARCHAR(10) PRIMARY KEY, name TEXT NOT "
                "NULL, regon VARCHAR(14), email VARCHAR(320), phone VARCHAR(40), "
                "legal_form VARCHAR(32), tax_form VARCHAR(32), vat_period VARCHAR(8),"
                " created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL)"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TABLE summary_dispatches (id INTEGER PRIMARY KEY, nip "
                "VARCHAR(10) NOT NULL, period VARCHAR(7) NOT NULL, sent_at DATETIME "
                "NOT NULL, channel VARCHAR(32) NOT NULL)"
            )
        )
    engine.dispose()  # fmt: skip

    with PanelThread(url) as panel, PanelClient(panel.url, retries=0) as client:
        client.upsert_company(Company(nip=NIP, name="Piekarnia"))
        client.upsert_items(NIP, [_zus()])
        client.approve(NIP, ApproveRequest(period="2025-01", send_summary=True, approved_by="A"))

        assert client.items(NIP)[0].paid_at is None

    columns = {column["name"] for column in sa.inspect(sa.create_engine(url)).get_columns(
        "summary_dispatches")}  # fmt: skip
    assert "figures" in columns


def test_concurrent_uploads_of_the_same_items_keep_one_item_per_key(panel: PanelThread) -> None:
    items = [_zus(f"2024-{month:02d}") for month in range(1, 13)]
    with PanelClient(panel.url) as setup:
        setup.upsert_company(Company(nip=NIP, name="Równolegle"))
    statuses: list[str] = []

    def upload() -> None:
        with PanelClient(panel.url) as worker:
            statuses.extend(result.status for result in worker.upsert_items(NIP, items))

    threads = [threading.Thread(target=upload) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with PanelClient(panel.url) as check:
        assert len(check.items(NIP)) == 12
    assert statuses.count("created") == 12 and statuses.count("unchanged") == 60


# --- token --------------------------------------------------------------------------------------


@pytest.fixture
def guarded_panel(tmp_path: Path) -> Iterator[PanelThread]:
    with PanelThread(as_database_url(tmp_path / "guarded.db"), token=TOKEN) as running:
        yield running


def test_api_needs_the_token_and_a_401_never_echoes_it(guarded_panel: PanelThread) -> None:
    url = f"{guarded_panel.url}/api/v1/companies"
    wrong = "wrong-token-123"

    missing = httpx.get(url)
    refused = httpx.get(url, headers={"Authorization": f"Bearer {wrong}"})
    accepted = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    health = httpx.get(f"{guarded_panel.url}/api/v1/health")

    assert (missing.status_code, refused.status_code) == (401, 401)
    for response in (missing, refused):
        everything = response.text + json.dumps(dict(response.headers))
        assert TOKEN not in everything and wrong not in everything
    assert accepted.status_code == 200 and health.status_code == 200


def test_client_with_a_wrong_token_gets_a_panel_error_without_the_token(
    guarded_panel: PanelThread,
) -> None:
    with PanelClient(guarded_panel.url, token="not-the-token-xyz") as client:
        with pytest.raises(PanelError) as error:
            client.upsert_company(Company(nip=NIP, name="X"))

    assert error.value.status == 401
    assert "not-the-token-xyz" not in str(error.value) and TOKEN not in str(error.value)
    assert client.request_count == 1


def test_web_pages_need_a_login_not_the_api_token(guarded_panel: PanelThread) -> None:
    page = httpx.get(f"{guarded_panel.url}/", auth=("biuro", TOKEN), follow_redirects=False)

    assert page.status_code in (302, 303) and page.headers["location"].startswith("/logowanie")


def test_an_api_token_made_by_the_panel_opens_the_api_and_is_stored_hashed(
    tmp_path: Path,
) -> None:
    url = as_database_url(tmp_path / "tokens.db")
    with PanelThread(url) as panel:
        assert panel.app is not None
        made = panel.app.state.auth.create_api_token("pipeline")
        companies = f"{panel.url}/api/v1/companies"

        refused = httpx.get(companies)  # once a token exists, the API is closed without one
        accepted = httpx.get(companies, headers={"Authorization": f"Bearer {made}"})

    assert (refused.status_code, accepted.status_code) == (401, 200)
    with sa.create_engine(url).connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM panel_api_tokens"))
        stored = " ".join(str(row) for row in rows)
    assert made not in stored


def test_repeated_wrong_tokens_are_refused_for_a_while_but_the_right_one_passes(
    guarded_panel: PanelThread,
) -> None:
    url = f"{guarded_panel.url}/api/v1/companies"
    wrong = {"Authorization": "Bearer wrong"}

    answers = [httpx.get(url, headers=wrong).status_code for _ in range(6)]
    still_wrong = httpx.get(url, headers=wrong)
    right = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"})

    assert answers == [401] * 5 + [429]
    assert still_wrong.status_code == 429 and "Retry-After" in still_wrong.headers
    assert right.status_code == 200  # guesses from a shared address never lock the office out


# --- client retries against a scripted server ----------------------------------------------------


class ScriptedServer:
    """A real HTTP server on 127.0.0.1 that answers from a script, then 200 with `final`."""

    def __init__(self, script: list[tuple[int, dict[str, str]]], final: Any) -> None:
        self.script = deque(script)
        self.final = final
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append(f"{self.command} {self.path}")
                status, headers = outer.script.popleft() if outer.script else (200, {})
                body = json.dumps(outer.final if status == 200 else {"detail": "nope"}).encode()
                self.send_response(status)
                for name, value in {**headers, "Content-Type": "application/json"}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "ScriptedServer":
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


HEALTHY = {"status": "ok", "version": 1}


def test_client_retries_503_twice_then_succeeds() -> None:
    with ScriptedServer([(503, {}), (503, {})], HEALTHY) as server:
        with PanelClient(server.url, backoff=0.01) as client:
            assert client.health().status == "ok"

    assert client.request_count == 3
    assert len(server.requests) == 3


def test_client_honours_retry_after_instead_of_its_backoff() -> None:
    with ScriptedServer([(429, {"Retry-After": "0"})], HEALTHY) as server:
        with PanelClient(server.url, backoff=60.0) as client:
            started = time.monotonic()
            client.health()

    assert time.monotonic() - started < 5
    assert client.request_count == 2


def test_client_does_not_retry_a_400() -> None:
    with ScriptedServer([(400, {})], HEALTHY) as server:
        with PanelClient(server.url, token=TOKEN, backoff=0.01) as client:
            with pytest.raises(PanelError) as error:
                client.health()

    assert error.value.status == 400
    assert "nope" in error.value.message and TOKEN not in error.value.message
    assert client.request_count == 1


def test_client_does_not_retry_an_approval_after_a_502() -> None:
    request = ApproveRequest(period="2025-01", send_summary=True, approved_by="A")
    with ScriptedServer([(502, {})], {"count": 1, "summary_sent": True}) as server:
        with PanelClient(server.url, backoff=0.01) as client:
            with pytest.raises(PanelError) as error:
                client.approve(NIP, request)

    assert error.value.status == 502
    assert server.requests == [f"POST /api/v1/companies/{NIP}/approve"]


def _port_with_nothing_listening() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_client_retries_a_refused_connection_then_raises() -> None:
    url = f"http://127.0.0.1:{_port_with_nothing_listening()}"

    with PanelClient(url, token=TOKEN, retries=2, backoff=0.01) as client:
        with pytest.raises(PanelError) as error:
            client.health()

    assert client.request_count == 3
    assert error.value.status is None
    assert "not reachable" in error.value.message and TOKEN not in error.value.message


# --- server lifecycle and OpenAPI ---------------------------------------------------------------


def test_panel_thread_frees_its_port_on_exit(tmp_path: Path) -> None:
    with PanelThread(as_database_url(tmp_path / "p.db")) as panel:
        url = panel.url
        assert httpx.get(f"{url}/api/v1/health").json() == HEALTHY

    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/v1/health")


def test_dump_of_a_missing_database_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        list(dump(as_database_url(tmp_path / "missing.db")))


def test_committed_openapi_file_matches_the_app() -> None:
    committed = OPENAPI_PATH.read_text(encoding="utf-8")

    assert committed == openapi_yaml(), "run: python -m konekto_pipeline.panel.app"
    assert yaml.safe_load(committed)["info"]["version"] == "1"


def test_office_staff_added_on_the_command_line_can_log_in_and_tokens_are_shown_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from konekto_pipeline.cli import main
    from konekto_pipeline.panel.auth import PanelAuth
    from konekto_pipeline.panel.storage import PanelStorage

    database = tmp_path / "panel.sqlite"
    monkeypatch.setenv("KONEKTO_NEW_PASSWORD", "Dobre-Hasło-2026")
    assert main(["panel", "user", "add", "anna", "--name", "Anna K", "--db", str(database)]) == 0
    assert main(["panel", "token", "create", "pipeline", "--db", str(database)]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]

    auth = PanelAuth(PanelStorage(as_database_url(database)), session_secret="x" * 32)
    assert auth.login("anna", "Dobre-Hasło-2026", "127.0.0.1").user is not None
    assert auth.login("anna", "zle-haslo-123", "127.0.0.1").user is None
    assert auth.check_api_token(token) is not None
    monkeypatch.setenv("KONEKTO_NEW_PASSWORD", "krótkie")
    assert main(["panel", "user", "add", "ewa", "--db", str(database)]) == 2


def test_panel_serve_refuses_an_open_api_on_the_network(tmp_path, monkeypatch, capsys) -> None:
    from konekto_pipeline.cli import main

    monkeypatch.delenv("KONEKTO_PANEL_TOKEN", raising=False)
    database = tmp_path / "panel.sqlite"
    assert main(["panel", "serve", "--db", str(database), "--host", "0.0.0.0"]) == 2
    error = capsys.readouterr().err
    assert "open to the network on 0.0.0.0" in error and "KONEKTO_PANEL_TOKEN" in error
