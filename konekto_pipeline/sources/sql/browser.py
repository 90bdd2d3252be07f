"""Finding SQL Server instances on an office server through the SQL Server Browser service.

The Browser answers on UDP 1434 (protocol MC-SQLR): asked with CLNT_UCAST_EX (byte 0x03) it
lists every instance; asked with CLNT_UCAST_INST (0x04 and the instance name) it describes one.
Its answer SVR_RESP is the byte 0x05, a little-endian 16-bit length and text records such as
"ServerName;BIURO;InstanceName;OPTIMA;IsClustered;No;Version;15.0.2000.5;tcp;49967;;".

Surprising parts:
- UDP has no connection: a stopped Browser, a closed port and a firewall all look like
  silence, so silence is an error that says so, never an empty list.
- The Browser stays silent when asked about an instance it does not have.
- The text is in the server's ANSI code page; it is read as CP1250, as Polish Windows writes it.
"""

import socket
from dataclasses import dataclass

from konekto_pipeline.sources.sql.connection import SqlConnectionError

BROWSER_PORT = 1434
DEFAULT_INSTANCE = "MSSQLSERVER"
CLNT_UCAST_EX = 0x03
CLNT_UCAST_INST = 0x04
SVR_RESP = 0x05
ENCODING = "cp1250"

_MAX_DATAGRAM = 65535
_MAX_INSTANCE_NAME_BYTES = 32
_REQUIRED_KEYS = ("ServerName", "InstanceName", "Version")


@dataclass(frozen=True)
class SqlInstance:
    """One SQL Server instance as the Browser described it."""

    server_name: str
    instance_name: str
    version: str
    tcp_port: int | None
    clustered: bool

    @property
    def server(self) -> str:
        """The name to connect to: "HOST\\INSTANCE", or "HOST" for the default instance.

        HOST is the machine's NetBIOS name; where that does not resolve (Linux without WINS),
        connect to "address,tcp_port" instead.
        """
        if self.instance_name.upper() == DEFAULT_INSTANCE:
            return self.server_name
        return f"{self.server_name}\\{self.instance_name}"


def list_instances(host: str, port: int = BROWSER_PORT, timeout: float = 2.0) -> list[SqlInstance]:
    """Every instance the SQL Server Browser on `host` reports."""
    answer = _ask(host, port, bytes([CLNT_UCAST_EX]), timeout, subject="")
    return parse_response(answer, f"{host}:{port}")


def instance_port(host: str, instance: str, port: int = BROWSER_PORT, timeout: float = 2.0) -> int:
    """The TCP port of one named instance on `host`, as its SQL Server Browser reports it."""
    request = bytes([CLNT_UCAST_INST]) + _instance_name_bytes(instance) + b"\x00"
    subject = f" about instance {instance!r}"
    answer = _ask(host, port, request, timeout, subject=subject)
    found = [
        item
        for item in parse_response(answer, f"{host}:{port}")
        if item.instance_name.upper() == instance.upper()
    ]
    if not found:
        raise SqlConnectionError(
            f"the SQL Server Browser on {host}:{port} answered, but not about instance {instance!r}"
        )
    if found[0].tcp_port is None:
        raise SqlConnectionError(
            f"instance {instance!r} on {host} does not accept TCP/IP connections: enable TCP/IP "
            "for it in SQL Server Configuration Manager"
        )
    return found[0].tcp_port


def _instance_name_bytes(instance: str) -> bytes:
    try:
        encoded = instance.encode(ENCODING)
    except UnicodeEncodeError:
        encoded = b""
    if not encoded or b"\x00" in encoded or len(encoded) > _MAX_INSTANCE_NAME_BYTES:
        raise SqlConnectionError(f"{instance!r} is not a SQL Server instance name")
    return encoded


def _ask(host: str, port: int, request: bytes, timeout: float, subject: str) -> bytes:
    """Send one request datagram and return the one answer, or say why none came."""
    silence = (
        f"no answer from SQL Server Browser on {host}:{port} (UDP){subject} — is the SQL "
        "Server Browser service running and the port open?"
    )
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    except socket.gaierror as error:
        raise SqlConnectionError(f"cannot resolve host name {host!r}: {error.strerror}") from None

    with socket.socket(family, kind, proto) as udp:
        udp.settimeout(timeout)
        try:
            # A connected UDP socket hears only from that address, and learns of a closed port.
            udp.connect(address)
            udp.send(request)
            return udp.recv(_MAX_DATAGRAM)
        except (TimeoutError, ConnectionRefusedError):
            raise SqlConnectionError(silence) from None
        except OSError as error:
            raise SqlConnectionError(
                f"cannot ask the SQL Server Browser on {host}:{port} (UDP): {error.strerror}"
            ) from None


def parse_response(answer: bytes, source: str) -> list[SqlInstance]:
    """The instances in one SVR_RESP datagram; `source` ("host:port") names it in errors."""
    if len(answer) < 3 or answer[0] != SVR_RESP:
        raise _malformed(source, "it does not start with the SVR_RESP header")
    size = int.from_bytes(answer[1:3], "little")
    if len(answer) - 3 < size:
        raise _malformed(source, f"it announces {size} bytes but carries {len(answer) - 3}")
    text = answer[3 : 3 + size].decode(ENCODING, errors="replace")
    records = [record for record in text.split(";;") if record.strip("\x00 ")]
    if not records:
        raise _malformed(source, "it lists no instance")
    return [_instance(record, source) for record in records]


def _instance(record: str, source: str) -> SqlInstance:
    tokens = record.split(";")
    if len(tokens) % 2:
        raise _malformed(source, f"the record {record!r} is not a list of name;value pairs")
    fields = dict(zip(tokens[::2], tokens[1::2], strict=True))
    missing = [key for key in _REQUIRED_KEYS if not fields.get(key)]
    if missing:
        raise _malformed(source, f"the record {record!r} lacks {', '.join(missing)}")
    tcp = fields.get("tcp")
    if tcp is not None and not (tcp.isdigit() and 0 < int(tcp) < 65536):
        raise _malformed(source, f"the TCP port {tcp!r} is not a port number")
    return SqlInstance(
        server_name=fields["ServerName"],
        instance_name=fields["InstanceName"],
        version=fields["Version"],
        tcp_port=int(tcp) if tcp is not None else None,
        clustered=fields.get("IsClustered", "No").lower() == "yes",
    )


def _malformed(source: str, why: str) -> SqlConnectionError:
    return SqlConnectionError(
        f"the answer from SQL Server Browser on {source} (UDP) is not a Browser reply: {why}"
    )
