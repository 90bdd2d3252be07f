"""The SQL Server Browser client, against a real UDP responder on 127.0.0.1.

The responder answers the way the SQL Server Browser service does (protocol MC-SQLR), so the
client's datagrams, its parsing and its errors are exercised over a real socket: two instances
listed, one instance's port, silence, and answers that are not Browser replies.
"""

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from konekto_pipeline.cli import main
from konekto_pipeline.sources.sql.browser import (
    SqlInstance,
    instance_port,
    list_instances,
    parse_response,
)
from konekto_pipeline.sources.sql.connection import SqlConnectionError

TWO_INSTANCES = (
    "ServerName;BIURO-SRV;InstanceName;OPTIMA;IsClustered;No;Version;15.0.2000.5;tcp;49967;"
    "np;\\\\BIURO-SRV\\pipe\\MSSQL$OPTIMA\\sql\\query;;"
    "ServerName;BIURO-SRV;InstanceName;MSSQLSERVER;IsClustered;Yes;Version;16.0.1000.6;"
    "np;\\\\BIURO-SRV\\pipe\\sql\\query;;"
)
ONE_INSTANCE = (
    "ServerName;BIURO-SRV;InstanceName;INSERTGT;IsClustered;No;Version;11.0.7001.0;tcp;50123;;"
)


def svr_resp(text: str) -> bytes:
    """A SVR_RESP datagram carrying `text`."""
    body = text.encode("cp1250")
    return b"\x05" + len(body).to_bytes(2, "little") + body


class Responder:
    """A UDP socket on 127.0.0.1 that answers each datagram with `reply(request)`, or not."""

    def __init__(self, reply: Callable[[bytes], bytes | None]) -> None:
        self.reply = reply
        self.requests: list[bytes] = []
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                request, sender = self.socket.recvfrom(2048)
            except TimeoutError:
                continue
            self.requests.append(request)
            answer = self.reply(request)
            if answer is not None:
                self.socket.sendto(answer, sender)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.socket.close()


Reply = Callable[[bytes], bytes | None]
StartResponder = Callable[[Reply], Responder]


@pytest.fixture
def responder() -> Iterator[StartResponder]:
    """Starts responders on ephemeral ports and closes them after the test."""
    started: list[Responder] = []

    def start(reply: Reply) -> Responder:
        started.append(Responder(reply))
        return started[-1]

    yield start
    for item in started:
        item.close()


def browser(request: bytes) -> bytes | None:
    """Like the SQL Server Browser: all instances on 0x03, one known instance on 0x04."""
    if request == b"\x03":
        return svr_resp(TWO_INSTANCES)
    if request == b"\x04INSERTGT\x00":
        return svr_resp(ONE_INSTANCE)
    return None


def test_all_instances_are_listed_with_their_ports(responder: StartResponder) -> None:
    server = responder(browser)

    instances = list_instances("127.0.0.1", server.port, timeout=2)

    assert server.requests == [b"\x03"]
    assert instances == [
        SqlInstance("BIURO-SRV", "OPTIMA", "15.0.2000.5", 49967, clustered=False),
        SqlInstance("BIURO-SRV", "MSSQLSERVER", "16.0.1000.6", None, clustered=True),
    ]


def test_named_instance_is_host_backslash_instance_and_default_instance_is_the_host() -> None:
    named = SqlInstance("BIURO-SRV", "OPTIMA", "15.0.2000.5", 49967, clustered=False)
    default = SqlInstance("BIURO-SRV", "MSSQLSERVER", "16.0.1000.6", 1433, clustered=False)

    assert named.server == "BIURO-SRV\\OPTIMA"
    assert default.server == "BIURO-SRV"


def test_one_instances_port_is_asked_for_by_name(responder: StartResponder) -> None:
    server = responder(browser)

    port = instance_port("127.0.0.1", "INSERTGT", server.port, timeout=2)

    assert server.requests == [b"\x04INSERTGT\x00"]
    assert port == 50123


def test_instance_without_tcp_is_reported_as_tcp_disabled(responder: StartResponder) -> None:
    server = responder(lambda _request: svr_resp(TWO_INSTANCES.split(";;")[1] + ";;"))

    with pytest.raises(SqlConnectionError, match="does not accept TCP/IP connections"):
        instance_port("127.0.0.1", "MSSQLSERVER", server.port, timeout=2)


def test_silence_is_an_error_naming_the_browser_service_and_port(responder: StartResponder) -> None:
    server = responder(lambda _request: None)

    with pytest.raises(SqlConnectionError) as raised:
        list_instances("127.0.0.1", server.port, timeout=0.3)

    assert raised.value.reason == (
        f"no answer from SQL Server Browser on 127.0.0.1:{server.port} (UDP) — is the SQL "
        "Server Browser service running and the port open?"
    )


def test_an_unknown_instance_gets_no_answer_and_the_error_names_it(
    responder: StartResponder,
) -> None:
    server = responder(browser)

    with pytest.raises(SqlConnectionError, match="no answer .* about instance 'OPTIMA'"):
        instance_port("127.0.0.1", "OPTIMA", server.port, timeout=0.3)


def test_a_closed_port_is_the_same_clear_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(SqlConnectionError, match="no answer from SQL Server Browser"):
        list_instances("127.0.0.1", port, timeout=0.5)


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (b"HTTP/1.1 400 Bad Request\r\n", "does not start with the SVR_RESP header"),
        (b"\x05\xff\x00ServerName;X;;", "announces 255 bytes but carries"),
        (svr_resp("ServerName;X;InstanceName;;"), "not a list of name;value pairs"),
        (svr_resp("ServerName;X;Version;1;;"), "lacks InstanceName"),
        (svr_resp("ServerName;X;InstanceName;Y;Version;1;tcp;port;;"), "is not a port number"),
        (svr_resp(";;"), "lists no instance"),
    ],
)
def test_an_answer_that_is_no_browser_reply_is_a_clear_error(
    responder: StartResponder, answer: bytes, why: str
) -> None:
    server = responder(lambda _request: answer)

    with pytest.raises(SqlConnectionError) as raised:
        list_instances("127.0.0.1", server.port, timeout=2)

    assert raised.value.reason.startswith(
        f"the answer from SQL Server Browser on 127.0.0.1:{server.port} (UDP) is not a Browser "
        "reply"
    )
    assert why in raised.value.reason


def test_polish_server_names_are_read_as_cp1250() -> None:
    answer = svr_resp("ServerName;KSIĘGOWOŚĆ;InstanceName;OPTIMA;Version;15.0.2000.5;;")

    assert parse_response(answer, "test")[0].server == "KSIĘGOWOŚĆ\\OPTIMA"


def test_konekto_instances_prints_each_instance_and_explains_silence(
    responder: StartResponder, capsys: pytest.CaptureFixture[str]
) -> None:
    server = responder(browser)
    assert main(["instances", "--host", "127.0.0.1", "--port", str(server.port)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all("\t" in line for line in lines)

    silent = responder(lambda request: None)
    arguments = ["instances", "--host", "127.0.0.1", "--port", str(silent.port), "--timeout", "0.3"]
    assert main(arguments) == 2
    assert "SQL Server Browser" in capsys.readouterr().err
