"""Summaries leave the panel the way the office's settings say: e-mail through its SMTP server.

The office writes `notifications` in konekto.yaml; the panel the pipeline embeds (and the one
`konekto panel serve --settings` serves) must then send an approved month's summary to a real
SMTP server, and record nothing when no channel is set up.
"""

import email
import email.policy
import socket
from datetime import date
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from konekto_pipeline.panel.app import RecordingSummaryNotifier
from konekto_pipeline.panel.client import PanelClient
from konekto_pipeline.panel.contract import ApproveRequest, Company, Item
from konekto_pipeline.panel.server import PanelThread, as_database_url, build_notifier
from konekto_pipeline.settings import SettingsError, parse_settings

NIP = "5260250274"


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox() -> tuple[_Inbox, int]:
    mailbox, port = _Inbox(), _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def _settings(tmp_path: Path, port: int | None):
    notifications = {}
    if port is not None:
        notifications = {
            "email": {
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "sender": "Biuro Rachunkowe Przykład <biuro@example.pl>",
            },
            "panel_url": "https://panel.example.pl",
        }
    data = {
        "office_name": "Biuro Rachunkowe Przykład",
        "panel": {"database": "panel.sqlite"},
        "notifications": notifications,
    }
    return parse_settings(data, tmp_path)


def _vat(amount: int) -> Item:
    return Item.create(
        nip=NIP,
        data_type="taxes",
        period="2026-10",
        tax="VAT-7",
        kind="D",
        amount=amount,
        due_date=date(2026, 11, 25),
        source="jpk",
    )


def test_an_approved_months_summary_reaches_the_offices_smtp_server(tmp_path, inbox) -> None:
    mailbox, port = inbox
    settings = _settings(tmp_path, port)
    company = Company(nip=NIP, name="Piekarnia Żółć sp. z o.o.", email="klient@example.pl")

    with (
        PanelThread(as_database_url(tmp_path / "panel.sqlite"), notifier=build_notifier(settings))
        as panel,
        PanelClient(panel.url, retries=0) as client,
    ):  # fmt: skip
        client.upsert_company(company)
        client.upsert_items(NIP, [_vat(123400)])
        result = client.approve(
            NIP, ApproveRequest(period="2026-10", approved_by="Anna", send_summary=True)
        )

    assert result.summary_sent is True
    ((recipients, message),) = mailbox.messages
    assert recipients == ["klient@example.pl"]
    assert message["Subject"] == "Podsumowanie za październik 2026 – Piekarnia Żółć sp. z o.o."
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "1 234,00 zł" in text and "25.11.2026" in text
    assert "https://panel.example.pl" in text


def test_without_a_channel_set_up_a_summary_is_only_recorded(tmp_path) -> None:
    assert isinstance(build_notifier(_settings(tmp_path, None)), RecordingSummaryNotifier)


def test_a_channel_list_naming_an_invalid_nip_is_refused(tmp_path) -> None:
    with pytest.raises(SettingsError, match="notifications"):
        parse_settings(
            {"panel": {"database": "p.sqlite"}, "notifications": {"channels": {"123": ["email"]}}},
            tmp_path,
        )
