"""Real mail servers for the mail tests, started on 127.0.0.1, and the replies they hold.

- ``smtp_server`` / ``smtps_server``: an aiosmtpd server that keeps every message it is
  given (:class:`SmtpServer`); STARTTLS offered (or TLS from the start), AUTH PLAIN and
  LOGIN with a user and password the test knows (``.user``, ``.password``), plain-text
  AUTH allowed (127.0.0.1 only). A new server for each test: ``.messages`` holds only
  what the test sent.
- ``imap_server``: a real Dovecot (Debian's ``dovecot-imapd``) started for the test
  with a throwaway configuration in a temporary folder, and a user with an empty
  mailbox (:class:`ImapMailbox`; ``dovecot.add_user()`` for more), with helpers to
  put replies in (``.append``, with the mail's internal date) and to see that nothing
  was deleted, moved or flagged (``.count``, ``.flags``, ``.messages``,
  ``.mailboxes``). Without Dovecot the fixture fails (CI installs it: ``.ci/run``),
  it never skips.
- ``mail_certificate``: the TLS certificate both servers present, made for the session
  with the ``openssl`` command (the ``cryptography`` package is not one of our
  dependencies); a client trusts it through ``.cafile``.
- :func:`reply_message`: a reply as mail programs write one (Received header,
  attachments' names encoded each way they do, forwarded as a message or inline), as bytes.

Nothing here imports the tool: the servers and the builders are independent witnesses.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import imaplib
import mimetypes
import os
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import pytest

#: Every wait for a server is bounded; a test never hangs on one.
START_TIMEOUT = 20.0

# --------------------------------------------------------------------------- TLS


@dataclass(frozen=True)
class Certificate:
    """A throwaway CA and a server certificate it signed (for 127.0.0.1 and localhost)."""

    cafile: Path
    certfile: Path
    keyfile: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certfile, self.keyfile)
        return context

    def client_context(self) -> ssl.SSLContext:
        """What a client that trusts the test CA uses (hostname checked)."""
        return ssl.create_default_context(cafile=str(self.cafile))


def make_certificate(folder: Path) -> Certificate:
    """A CA and a server certificate signed by it, made with the ``openssl`` command.

    A CA and a separate server certificate, not one self-signed certificate, so that
    clients checking strictly (Python 3.13's VERIFY_X509_STRICT) accept it too.
    EC keys: made in milliseconds.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the mail tests need the 'openssl' command (Debian: apt-get install openssl)")
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = folder / "ca.key", folder / "ca.pem"
    key, request, cert = folder / "server.key", folder / "server.csr", folder / "server.pem"
    extensions = folder / "server.ext"
    extensions.write_text(
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectAltName = DNS:localhost, IP:127.0.0.1\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid\n",
        encoding="ascii",
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    commands = [
        [openssl, "req", "-x509", *ec, "-keyout", ca_key, "-out", ca_cert, "-days", "7",
         "-subj", "/CN=wbt test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        [openssl, "req", "-new", *ec, "-keyout", key, "-out", request, "-subj", "/CN=localhost"],
        [openssl, "x509", "-req", "-in", request, "-CA", ca_cert, "-CAkey", ca_key,
         "-CAcreateserial", "-out", cert, "-days", "7", "-extfile", extensions],
    ]  # fmt: skip
    for command in commands:
        done = subprocess.run(
            [str(part) for part in command], capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0:
            pytest.fail(f"openssl failed: {' '.join(map(str, command))}\n{done.stderr}")
    return Certificate(cafile=ca_cert, certfile=cert, keyfile=key)


def free_port() -> int:
    """A port nobody listens on now (the server started on it may still lose a race: retry)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# --------------------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class Delivery:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: list[str]
    #: The message parsed with ``email.policy.default``.
    message: EmailMessage
    #: The bytes as sent (after DATA).
    raw: bytes
    #: The login the client authenticated as, or None.
    login: str | None
    #: Whether the session was encrypted (STARTTLS or TLS from the start).
    encrypted: bool


@dataclass
class SmtpServer:
    """A running aiosmtpd server; ``messages`` grows as clients send."""

    host: str
    port: int
    user: str
    password: str
    cafile: Path
    #: "starttls": plain connection, STARTTLS offered; "ssl": TLS from the first byte.
    tls: Literal["starttls", "ssl"]
    auth_required: bool
    messages: list[Delivery] = field(default_factory=list)
    #: Logins refused (wrong user or password), as (mechanism, login).
    refused: list[tuple[str, str]] = field(default_factory=list)
    _controller: Any = None

    @property
    def address(self) -> str:
        """HOST:PORT as the tool's ``--smtp`` option takes it."""
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class _Keeper:
    """aiosmtpd's handler: keeps each message, accepts every recipient."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server
        self.lock = threading.Lock()

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        login = session.auth_data if session.authenticated else None
        delivery = Delivery(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            message=message,
            raw=raw,
            login=login if isinstance(login, str) else None,
            encrypted=smtp.transport.get_extra_info("ssl_object") is not None,
        )
        with self.lock:
            self.server.messages.append(delivery)
        return "250 Message accepted for delivery"


def start_smtp_server(
    certificate: Certificate,
    *,
    tls: Literal["starttls", "ssl"] = "starttls",
    auth_required: bool = False,
    user: str = "vanphong@xa-thu-nghiem.vn",
    password: str = "Mat-khau-thu-123",
) -> SmtpServer:
    """An aiosmtpd server on 127.0.0.1 at a free port; call ``.stop()`` at the end."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    server = SmtpServer(
        host="127.0.0.1", port=0, user=user, password=password, cafile=certificate.cafile,
        tls=tls, auth_required=auth_required,
    )  # fmt: skip

    def authenticator(
        smtp: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode("utf-8", "replace")
            given = auth_data.password.decode("utf-8", "replace")
            if login == user and given == password:
                return AuthResult(success=True, auth_data=login)
            server.refused.append((mechanism, login))
        return AuthResult(success=False, handled=False)

    context = certificate.server_context()
    options: dict[str, Any] = {
        "authenticator": authenticator,
        "auth_require_tls": False,  # plain-text AUTH on 127.0.0.1: the tests see both paths
        "auth_required": auth_required,
        "enable_SMTPUTF8": True,
        "decode_data": False,
        "ready_timeout": START_TIMEOUT,
    }
    if tls == "ssl":
        options["ssl_context"] = context
    else:
        options["tls_context"] = context
        options["require_starttls"] = False
    last: Exception | None = None
    for _ in range(5):
        port = free_port()
        controller = Controller(_Keeper(server), hostname="127.0.0.1", port=port, **options)
        try:
            controller.start()
        except Exception as error:  # the port was taken meanwhile: another one
            last = error
            with contextlib.suppress(Exception):
                controller.stop()
            continue
        server.port = port
        server._controller = controller
        return server
    pytest.fail(f"the test SMTP server did not start on 127.0.0.1: {last!r}")


@pytest.fixture(scope="session")
def mail_certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """The TLS certificate of the test mail servers (trust ``.cafile``)."""
    return make_certificate(tmp_path_factory.mktemp("mail-tls"))


@pytest.fixture
def smtp_servers(mail_certificate: Certificate) -> Iterator[Callable[..., SmtpServer]]:
    """Starts SMTP servers (:func:`start_smtp_server`'s options); all stopped after the test."""
    started: list[SmtpServer] = []

    def start(**options: Any) -> SmtpServer:
        server = start_smtp_server(mail_certificate, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def smtp_server(smtp_servers: Callable[..., SmtpServer]) -> SmtpServer:
    """An SMTP server offering STARTTLS and AUTH (not required), empty for this test."""
    return smtp_servers()


@pytest.fixture
def smtps_server(smtp_servers: Callable[..., SmtpServer]) -> SmtpServer:
    """An SMTP server speaking TLS from the first byte (port 465's way), AUTH offered."""
    return smtp_servers(tls="ssl")


def smtp_client(server: SmtpServer, *, timeout: float = 10) -> smtplib.SMTP:
    """An smtplib client connected to ``server`` (TLS from the start for "ssl"), not logged in."""
    if server.tls == "ssl":
        context = ssl.create_default_context(cafile=str(server.cafile))
        return smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    return smtplib.SMTP(server.host, server.port, timeout=timeout)


# --------------------------------------------------------------------------- IMAP (Dovecot)

#: What to install when Dovecot is missing (CI installs it: .ci/run).
DOVECOT_MISSING = (
    "Dovecot is not installed: the IMAP tests need a real server "
    "(Debian: apt-get install dovecot-imapd; .ci/run installs it)"
)

#: The throwaway configuration, for Dovecot 2.3 (Debian 12 bookworm: 2.3.19). Nothing of
#: /etc/dovecot is read; everything lives in ``{folder}``. Plain-text LOGIN is allowed
#: (127.0.0.1 only, the tests exercise both ways), STARTTLS offered on ``{port}`` and TLS
#: from the start on ``{ssl_port}``, with the test certificate. Each user's mail is a
#: maildir under ``{folder}/mail``, owned by the uid Dovecot's mail processes run as
#: (not root: Dovecot refuses mail access as root).
DOVECOT_CONF = """\
# A throwaway Dovecot for the tests (tests/mail_servers.py).
instance_name = wbt-tests-{port}
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{certfile}
ssl_key = <{keyfile}
disable_plaintext_auth = no
auth_mechanisms = plain login
# a wrong password is answered at once (by default after 2 s)
auth_failure_delay = 0
mail_location = maildir:~/Maildir
first_valid_uid = {uid}
first_valid_gid = {gid}
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
# one file per user: a user added to a shared file within the same second as the
# previous lookup was not found (2.3.19 re-reads a changed file only so often)
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {folder}/users/%u
}}
userdb {{
  driver = passwd-file
  args = {folder}/users/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
    ssl = yes
  }}
{chroot}}}
"""


@dataclass
class ImapMailbox:
    """One user's mailbox on the test Dovecot, empty when the test starts.

    ``port`` speaks plain IMAP and offers STARTTLS; ``ssl_port`` is TLS from the start;
    both present the certificate of ``cafile``. The helpers open their own read-only
    sessions (EXAMINE, BODY.PEEK): looking never changes the mailbox.
    """

    host: str
    port: int
    ssl_port: int
    user: str
    password: str
    cafile: Path

    @property
    def address(self) -> str:
        """HOST:PORT as the tool's ``--imap`` option takes it."""
        return f"{self.host}:{self.port}"

    def connect(self, *, timeout: float = 10) -> imaplib.IMAP4:
        """A logged-in imaplib session (plain connection; close it with ``logout()``)."""
        client = imaplib.IMAP4(self.host, self.port, timeout=timeout)
        client.login(self.user, self.password)
        return client

    def append(
        self,
        message: bytes | EmailMessage,
        *,
        when: datetime | None = None,
        mailbox: str = "INBOX",
    ) -> None:
        """Put ``message`` into ``mailbox`` (created if missing) by IMAP APPEND, unflagged.

        ``when``: its internal date (the day the server received it), timezone-aware;
        the server's now if None. ``bytes`` are kept as given (bare LF made CRLF).
        """
        if when is not None and when.utcoffset() is None:
            raise ValueError(f"when must carry a timezone: {when!r}")
        if isinstance(message, EmailMessage):
            raw = message.as_bytes(policy=policy.SMTP)
        else:
            raw = re.sub(rb"(?<!\r)\n", b"\r\n", message)
        client = self.connect()
        try:
            if mailbox != "INBOX":
                client.create(_quoted(mailbox))  # NO when it exists: fine
            date = imaplib.Time2Internaldate(when) if when is not None else None
            status, answer = client.append(_quoted(mailbox), "", date, raw)
            if status != "OK":
                raise RuntimeError(f"APPEND to {mailbox} refused: {answer!r}")
        finally:
            client.logout()

    def count(self, mailbox: str = "INBOX") -> int:
        """How many messages ``mailbox`` holds (deleted-flagged ones included)."""
        with self._examined(mailbox) as (_, count):
            return count

    def flags(self, mailbox: str = "INBOX") -> list[frozenset[str]]:
        """Each message's stored flags, in the mailbox's order (``\\Seen`` once read, ...).

        ``\\Recent`` is left out: the server gives it to the first session that sees a
        new message, no client sets it.
        """
        with self._examined(mailbox) as (client, count):
            if count == 0:
                return []
            answer = _ok(client.fetch("1:*", "(FLAGS)"), "FETCH")
            return [
                frozenset(flag.decode() for flag in imaplib.ParseFlags(line)) - {"\\Recent"}
                for line in answer
                if isinstance(line, bytes)
            ]

    def messages(self, mailbox: str = "INBOX") -> list[tuple[datetime, bytes]]:
        """Each message's internal date and bytes, read with BODY.PEEK (no flag set)."""
        with self._examined(mailbox) as (client, count):
            if count == 0:
                return []
            answer = _ok(client.fetch("1:*", "(INTERNALDATE BODY.PEEK[])"), "FETCH")
            found = []
            for item in answer:
                if isinstance(item, tuple):
                    stamp = re.search(rb'INTERNALDATE "([^"]+)"', item[0])
                    assert stamp is not None, item[0]
                    found.append((_internal_date(stamp[1].decode()), item[1]))
            return found

    def mailboxes(self) -> list[str]:
        """The names of the user's mailboxes (to see that nothing was moved elsewhere)."""
        client = self.connect()
        try:
            answer = _ok(client.list(), "LIST")
            names = []
            for line in answer:
                if isinstance(line, bytes):
                    match = re.match(rb'\([^)]*\) (?:"[^"]*"|NIL) "?(.*?)"?$', line)
                    assert match is not None, line
                    names.append(match[1].decode())
            return sorted(names)
        finally:
            client.logout()

    @contextlib.contextmanager
    def _examined(self, mailbox: str) -> Iterator[tuple[imaplib.IMAP4, int]]:
        client = self.connect()
        try:
            status, answer = client.select(_quoted(mailbox), readonly=True)  # EXAMINE
            if status != "OK":
                raise RuntimeError(f"no mailbox {mailbox}: {answer!r}")
            yield client, int(answer[0] or 0)
        finally:
            client.logout()


def _ok(response: tuple[str, list[Any]], command: str) -> list[Any]:
    status, answer = response
    if status != "OK":
        raise RuntimeError(f"{command} refused: {answer!r}")
    return answer


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _internal_date(text: str) -> datetime:
    """An IMAP INTERNALDATE ("12-Jun-2024 16:45:00 +0700") as an aware datetime."""
    return datetime.strptime(text, "%d-%b-%Y %H:%M:%S %z")


@dataclass
class Dovecot:
    """A Dovecot master process started with a throwaway configuration in ``folder``."""

    host: str
    port: int
    ssl_port: int
    cafile: Path
    folder: Path
    version: str
    config: str
    _process: subprocess.Popen[bytes]
    _uid: int
    _gid: int
    _users: int = 0

    def add_user(self) -> ImapMailbox:
        """A new user, with an empty mailbox."""
        self._users += 1
        user, password = f"vanthu{self._users}", f"Thu-nghiem-{self._users:03d}"
        home = self.folder / "mail" / user
        line = f"{user}:{{PLAIN}}{password}:{self._uid}:{self._gid}::{home}::\n"
        (self.folder / "users" / user).write_text(line, encoding="ascii")
        return ImapMailbox(self.host, self.port, self.ssl_port, user, password, self.cafile)

    def log(self) -> str:
        parts = [self.folder / "dovecot.log", self.folder / "stderr.log"]
        return "".join(p.read_text(errors="replace") for p in parts if p.exists())

    def stop(self) -> None:
        """Stop the master and every process of its group; remove the folder."""
        _stop_group(self._process)
        shutil.rmtree(self.folder, ignore_errors=True)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group, SIGKILL after 10 s; then whatever is left is killed."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # a child that outlived the master


def dovecot_binary() -> str:
    """The dovecot command (in /usr/sbin, not on every user's PATH); fails the test if none."""
    found = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        pytest.fail(DOVECOT_MISSING, pytrace=False)
    return found


def start_dovecot(certificate: Certificate) -> Dovecot:
    """Dovecot on 127.0.0.1 at free ports, ready to accept logins; ``.stop()`` at the end.

    Runs as the current user: as root (CI, here) the mail processes run as the
    ``dovecot`` user the package made and the login processes as ``dovenull``; as
    another user, everything runs as that user without chroot.
    """
    import grp  # POSIX only, as Dovecot is: loaded here so that Windows imports this module
    import pwd
    binary = dovecot_binary()
    version = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:2])
    if numbers != (2, 3):
        pytest.fail(
            f"Dovecot {version}: tests/mail_servers.py writes the configuration of Dovecot 2.3"
            " (Debian 12's); another version needs its own DOVECOT_CONF",
            pytrace=False,
        )
    if os.geteuid() == 0:
        try:
            mail_user = pwd.getpwnam("dovecot")
            pwd.getpwnam("dovenull")
        except KeyError:
            pytest.fail("the users 'dovecot' and 'dovenull' of dovecot-core are missing")
        uid, gid = mail_user.pw_uid, mail_user.pw_gid
        login_user, internal_user, internal_group = "dovenull", "dovecot", "dovecot"
        chroot = ""
    else:
        uid, gid = os.getuid(), os.getgid()
        login_user = internal_user = pwd.getpwuid(uid).pw_name
        internal_group = grp.getgrgid(gid).gr_name
        chroot = "  chroot =\n"  # only root may chroot (imap-login and anvil do by default)
    # Short and outside pytest's private temporary folder: the mail processes' user must
    # reach the mail, and Unix socket paths are limited to 108 bytes.
    folder = Path(tempfile.mkdtemp(prefix="wbt-dovecot-", dir="/tmp"))
    folder.chmod(0o755)
    mail = folder / "mail"
    mail.mkdir(mode=0o700)
    os.chown(mail, uid, gid)
    (folder / "users").mkdir()
    last = ""
    for _ in range(3):
        port, ssl_port = free_port(), free_port()
        config = DOVECOT_CONF.format(
            folder=folder, port=port, ssl_port=ssl_port, certfile=certificate.certfile,
            keyfile=certificate.keyfile, uid=uid, gid=gid, login_user=login_user,
            internal_user=internal_user, internal_group=internal_group, chroot=chroot,
        )  # fmt: skip
        if chroot:
            config += "service anvil {\n" + chroot + "}\n"
        (folder / "dovecot.conf").write_text(config, encoding="utf-8")
        with (folder / "stderr.log").open("wb") as stderr:
            process = subprocess.Popen(
                [binary, "-F", "-c", str(folder / "dovecot.conf")],
                stdin=subprocess.DEVNULL, stdout=stderr, stderr=subprocess.STDOUT,
                cwd=folder, start_new_session=True,
            )  # fmt: skip
        server = Dovecot("127.0.0.1", port, ssl_port, certificate.cafile, folder, version,
                         config, process, uid, gid)  # fmt: skip
        if _greets(server, process):
            return server
        _stop_group(process)
        last = server.log()
        if "in use" not in last:
            break
    shutil.rmtree(folder, ignore_errors=True)
    pytest.fail(f"Dovecot did not start on 127.0.0.1 within {START_TIMEOUT:.0f} s:\n{last}")


def _greets(server: Dovecot, process: subprocess.Popen[bytes]) -> bool:
    """Whether the server answers "* OK" on its port before the timeout (False if it ended)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection((server.host, server.port), timeout=2) as connection:
                if connection.recv(1024).startswith(b"* OK"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False


#: The fixtures that start Dovecot: a test using one is marked posix_only (conftest).
DOVECOT_FIXTURES = frozenset({"dovecot", "imap_server"})


@pytest.fixture
def dovecot(mail_certificate: Certificate) -> Iterator[Dovecot]:
    """A Dovecot of the test's own (started and stopped in about 0.1 s).

    One per test, not one per session: Dovecot delays every login from an address
    that gave a wrong password (its "auth penalty", 2 s and more, for an hour, no
    setting turns it off in 2.3), and all tests come from 127.0.0.1.
    """
    server = start_dovecot(mail_certificate)
    atexit.register(server.stop)  # also when the session is cut short
    try:
        yield server
    finally:
        server.stop()
        atexit.unregister(server.stop)


@pytest.fixture
def imap_server(dovecot: Dovecot) -> ImapMailbox:
    """A real IMAP server (Dovecot) holding one user's mailbox, empty when the test starts."""
    return dovecot.add_user()


# --------------------------------------------------------------------------- replies

#: How a mail program writes a non-ASCII attachment name in the part's headers:
#: "rfc2231" as Thunderbird and Apple Mail (``filename*=utf-8''B%C3%A1o...``, long names
#: continued over ``filename*0*=``, ``filename*1*=``); "encoded-word" as Outlook and Gmail
#: (``filename="=?UTF-8?B?...?="``, RFC 2047 words, folded inside the quotes); "raw-utf8"
#: as some webmails and phone apps (the name's UTF-8 bytes as they are, RFC 6532).
FilenameStyle = Literal["rfc2231", "encoded-word", "raw-utf8"]

_MAILERS: dict[str, tuple[str, str]] = {
    "rfc2231": ("User-Agent", "Mozilla Thunderbird 115.12.2"),
    "encoded-word": ("X-Mailer", "Microsoft Outlook 16.0"),
    "raw-utf8": ("X-Mailer", "Webmail 2.4"),
}
_PLACEHOLDER = re.compile(rb'(?P<attr>\b(?:file)?name)="?WBTNAME(?P<n>\d{4})X"?')
_RFC2231_SAFE = "!#$&+-.^_`|~"


def reply_message(
    *,
    sender: str,
    to: str,
    subject: str,
    date: datetime,
    attachments: Sequence[tuple[str, bytes]] = (),
    filename_style: FilenameStyle = "rfc2231",
    received_date: datetime | None = None,
    forwarded: bool | Literal["attached", "inline"] = False,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    body: str = "Kính gửi UBND xã,\r\nThôn gửi báo cáo theo biểu mẫu đính kèm.\r\nTrân trọng.",
    original_sender: str | None = None,
    original_date: datetime | None = None,
) -> bytes:
    """A reply as a village's mail program sends it, as the bytes a mailbox holds (CRLF).

    ``sender``, ``to``: addresses, optionally with a display name ("Thôn 3 <a@b.vn>").
    ``date``: the Date header (timezone-aware). ``attachments``: (file name, content) pairs,
    the names written in ``filename_style`` (both the Content-Type ``name`` and the
    Content-Disposition ``filename``, as mail programs do). ``received_date``: when the
    receiving server took it, in the top Received header (default: 40 s after ``date``;
    a later one makes a Date that the Received headers contradict). ``message_id``:
    default derived from the content, so the same call gives the same Message-ID.

    ``forwarded``: False, a plain reply; "attached" (or True), the reply forwarded as a
    message/rfc822 part carrying the attachments, by ``sender`` at ``date`` ("Fwd: "
    subject), the inner message from ``original_sender`` at ``original_date`` (default:
    ``sender``, one hour before ``date``); "inline", forwarded inline as Gmail and
    Thunderbird do: the original's headers quoted in the body, the attachments on the
    outer message.
    """
    for name, moment in (("date", date), ("received_date", received_date),
                         ("original_date", original_date)):  # fmt: skip
        if moment is not None and moment.utcoffset() is None:
            raise ValueError(f"{name} must carry a timezone: {moment!r}")
    if forwarded is True:
        forwarded = "attached"
    names = [name for name, _ in attachments]
    identity = hashlib.sha256(
        repr((sender, to, subject, date.isoformat(), names, filename_style, forwarded)).encode()
        + b"".join(hashlib.sha256(data).digest() for _, data in attachments)
    ).hexdigest()[:20]
    domain = _domain(sender)
    message_id = message_id or f"<{identity}@{domain}>"
    received_date = received_date or date + timedelta(seconds=40)
    header, value = _MAILERS[filename_style]

    if not forwarded:
        outer = _message(sender, to, subject, date, message_id, in_reply_to, body)
        _attach(outer, attachments)
    else:
        original_sender = original_sender or sender
        original_date = original_date or date - timedelta(hours=1)
        if forwarded == "attached":
            outer = _message(sender, to, f"Fwd: {subject}", date, message_id, None,
                             "Chuyển tiếp thư báo cáo của thôn (đính kèm).")  # fmt: skip
            inner = _message(
                original_sender,
                to,
                subject,
                original_date,
                f"<orig-{identity}@{_domain(original_sender)}>",
                in_reply_to,
                body,
            )
            inner[header] = value
            _attach(inner, attachments)
            outer.add_attachment(inner)
        else:
            quoted = (
                "Chuyển tiếp báo cáo của thôn.\r\n\r\n"
                "---------- Forwarded message ---------\r\n"
                f"From: {original_sender}\r\nDate: {format_datetime(original_date)}\r\n"
                f"Subject: {subject}\r\nTo: {to}\r\n\r\n{body}"
            )
            outer = _message(sender, to, f"Fwd: {subject}", date, message_id, None, quoted)
            _attach(outer, attachments)
    outer[header] = value
    received = (
        f"from mail.{domain} (mail.{domain} [203.0.113.25]) by mx.{_domain(to)} (Postfix)"
        f" with ESMTPS id 4W{identity[:8].upper()} for <{parseaddr(to)[1]}>;"
        f" {format_datetime(received_date)}"
    )
    submitted = (
        f"from [192.168.1.15] (unknown [113.161.0.7]) by mail.{domain} (Postfix)"
        f" with ESMTPSA id 4V{identity[8:16].upper()};"
        f" {format_datetime(min(received_date, date + timedelta(seconds=5)))}"
    )
    raw = outer.as_bytes(policy=policy.SMTP)
    raw = f"Received: {received}\r\nReceived: {submitted}\r\n".encode() + raw

    def rendered(match: re.Match[bytes]) -> bytes:
        return _filename_param(match["attr"].decode(), names[int(match["n"])], filename_style)

    return _PLACEHOLDER.sub(rendered, raw)


def _domain(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "example.vn"


def _message(
    sender: str, to: str, subject: str, date: datetime, message_id: str,
    in_reply_to: str | None, body: str,
) -> EmailMessage:  # fmt: skip
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body.replace("\r\n", "\n"))
    html = "".join(f"<p>{line}</p>" for line in body.splitlines())
    message.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
    return message


def _attach(message: EmailMessage, attachments: Sequence[tuple[str, bytes]]) -> None:
    """The attachments, each named by a placeholder that :func:`reply_message` then encodes."""
    for n, (name, data) in enumerate(attachments):
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/")
        placeholder = f"WBTNAME{n:04d}X"
        message.add_attachment(data, maintype, subtype, filename=placeholder)
        part = message.get_payload()[-1]  # type: ignore[index]
        assert isinstance(part, EmailMessage)
        part.set_param("name", placeholder)


def _filename_param(attribute: str, name: str, style: FilenameStyle) -> bytes:
    """``attribute`` (name or filename) = ``name``, written as mail programs of ``style`` do."""
    if style == "raw-utf8":
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'{attribute}="{escaped}"'.encode()
    if style == "encoded-word":
        words = [
            "=?UTF-8?B?" + base64.b64encode(chunk.encode()).decode() + "?="
            for chunk in _chunks(name, max_bytes=45)
        ]
        return f'{attribute}="'.encode() + "\r\n ".join(words).encode() + b'"'
    encoded = quote(name.encode("utf-8"), safe=_RFC2231_SAFE)
    segments = re.findall(r"(?:%[0-9A-F]{2}|[^%]){1,60}", encoded)
    if len(segments) == 1:
        return f"{attribute}*=utf-8''{encoded}".encode()
    parts = [f"{attribute}*{n}*={'utf-8' + chr(39) * 2 if n == 0 else ''}{segment}"
             for n, segment in enumerate(segments)]  # fmt: skip
    return ";\r\n ".join(parts).encode()


def _chunks(text: str, *, max_bytes: int) -> Iterator[str]:
    """``text`` in pieces of at most ``max_bytes`` UTF-8 bytes, never splitting a letter."""
    piece = ""
    for letter in text:
        if len((piece + letter).encode()) > max_bytes:
            yield piece
            piece = ""
        piece += letter
    if piece:
        yield piece


def attachment_names(message: EmailMessage) -> list[str]:
    """The names of ``message``'s attachments as a reader decodes them, forwarded ones included.

    An independent decoding (the email package's, plus RFC 2047 words left in a quoted
    name, plus raw UTF-8 bytes), for the tests to compare with what the tool saved.
    """
    from email.header import decode_header, make_header

    found = []
    for part in message.walk():
        name = part.get_filename()
        if name is None:
            continue
        if "=?" in name:
            name = str(make_header(decode_header(name)))
        with contextlib.suppress(UnicodeError):
            name = name.encode("utf-8", "surrogateescape").decode("utf-8")
        found.append(name)
    return found
