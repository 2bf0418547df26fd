"""HTTP servers of the local platform: the Chalice API and the portal (with the outbox).

The API is the same ``functions.api.app.app`` object API Gateway invokes in AWS, served
by ``chalice.local`` (which routes like API Gateway REST and builds the same events) in
a process of its own (:mod:`infra.local.api_process`).
The portal server serves ``portal/`` as CloudFront would, plus pages that only exist
locally under ``/_local/``: the outbox (e-mails and SMS the platform "sent", read from
moto's backends) and the schedules (cron jobs run on demand). On the platform, the
API's process serves the portal too, its ``/v1/*`` answered by the app in that process
(:func:`gateway_forward`, as CloudFront hands them to API Gateway), and forwards
``/_local/*`` to the platform's process, which holds the outbox and the schedules.
"""

from __future__ import annotations

import base64
import email
import email.policy
import functools
import html
import json
import logging
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from functions.api import headers as security
from infra.local.template import ACCOUNT_ID, REGION, ROOT

if TYPE_CHECKING:
    from infra.local.api_process import ApiProcess, ApiProcesses

LOG = logging.getLogger("encaisse.local.servers")

PORTAL_DIR = ROOT / "portal"


class ServerThread:
    """A ``serve_forever`` server on its own daemon thread."""

    def __init__(self, server: Any, name: str) -> None:
        self.server = server
        self._thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits forever for a loop never started
            self.server.shutdown()
        self.server.server_close()
        if self._thread.is_alive():
            self._thread.join(10)


# ------------------------------------------------------------------ API


def api_server(
    host: str,
    port: int,
    *,
    portal_port: int | None = None,
    local_url: str = "",
    processes: int = 1,
) -> ApiProcess | ApiProcesses:
    """The Chalice app over HTTP on ``host:port`` (bound here), served by a process of
    its own (:mod:`infra.local.api_process`) once started, or by ``processes`` of them;
    with ``portal_port``, the portal too (bound here), its ``/_local/*`` pages forwarded
    to ``local_url``."""
    from infra.local.api_process import ApiProcess, ApiProcesses

    if processes == 1:
        return ApiProcess(host, port, portal_port=portal_port, local_url=local_url)
    return ApiProcesses(host, port, count=processes, portal_port=portal_port, local_url=local_url)


@functools.cache
def _local_app() -> tuple[Any, Any]:
    """The Chalice app made a local one (its current request kept per thread) and its
    configuration (imports the app: the environment must be set)."""
    from chalice.config import Config
    from chalice.local import create_local_server

    from functions.api.app import app

    config = Config(chalice_stage="local")
    # create_local_server makes the app a local one; the server it makes is closed at
    # once, ours serve the given sockets.
    create_local_server(app, config, "127.0.0.1", 0).server.server_close()
    return app, config


def chalice_server(sock: socket.socket) -> Any:
    """The Chalice app served on ``sock`` (bound and listening), a thread per connection
    (imports the app: the environment must be set)."""
    from chalice.local import ChaliceRequestHandler, ThreadedHTTPServer

    app, config = _local_app()

    class Handler(ChaliceRequestHandler):
        """Chalice's handler, its answer sent in one segment and its access log kept
        off stderr. Chalice writes the headers and the body apart on an unbuffered
        socket: with Nagle's algorithm the body then waits for the client's delayed ACK
        of the headers. A buffered writer (flushed after each request by
        ``handle_one_request``) sends both together; TCP_NODELAY sends it at once."""

        wbufsize = 64 * 1024
        disable_nagle_algorithm = True

        def handle_expect_100(self) -> bool:
            answer: bool = super().handle_expect_100()
            self.wfile.flush()  # the client waits for it before sending the body
            return answer

        def log_message(self, format: str, *args: Any) -> None:
            LOG.debug("%s %s", self.address_string(), format % args)

    return _on_socket(
        ThreadedHTTPServer, sock, functools.partial(Handler, app_object=app, config=config)
    )


def _on_socket(server_class: Any, sock: socket.socket, handler: Any) -> Any:
    """A ``server_class`` (a socketserver TCP server) serving ``sock``, bound and listening."""
    server = server_class(sock.getsockname()[:2], handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.server_name, server.server_port = server.server_address[:2]
    return server


# ------------------------------------------------------------------ forwarding


@dataclass(frozen=True)
class Answer:
    """What the portal sends back for a request it hands on: the status, the body's
    type and the body (the API's other headers are not passed on: the portal sends
    the API's security headers itself, see ``PortalHandler.end_headers``)."""

    status: int
    content_type: str
    body: bytes


# (method, path with its query, the request's headers kept, body) -> the answer
Forward = Callable[[str, str, dict[str, str], bytes | None], Answer]
# The request headers the portal passes on to the API (CloudFront's origin request policy).
FORWARDED_HEADERS = ("Authorization", "Content-Type", "Accept", "Idempotency-Key")


def http_forward(base_url: str, timeout: float = 60.0) -> Forward:
    """Hands requests on to the server at ``base_url`` over HTTP."""

    def forward(method: str, path: str, headers: dict[str, str], body: bytes | None) -> Answer:
        request = urllib.request.Request(  # noqa: S310 (a local server on loopback)
            base_url.rstrip("/") + path, data=body, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
                status, data = resp.status, resp.read()
                content_type = resp.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as e:
            status, data = e.code, e.read()
            content_type = e.headers.get("Content-Type", "application/json")
        return Answer(status, content_type, data)

    return forward


def gateway_forward() -> Forward:
    """Hands requests to the Chalice app in this process, through ``chalice.local``'s
    gateway as its HTTP server does (routing, authorizers, binary bodies): no HTTP hop
    (imports the app: the environment must be set)."""
    from chalice.local import LocalGateway, LocalGatewayException

    app, config = _local_app()
    gateway = LocalGateway(app, config)

    def forward(method: str, path: str, headers: dict[str, str], body: bytes | None) -> Answer:
        try:
            response = gateway.handle_request(method=method, path=path, headers=headers, body=body)
        except LocalGatewayException as e:
            return Answer(e.CODE, "application/json", e.body or b"")
        data = response.get("body")
        if data is None:
            data = b""
        elif response.get("isBase64Encoded"):
            data = base64.b64decode(data)
        elif isinstance(data, str):
            data = data.encode("utf-8")
        headers = {name.lower(): value for name, value in response["headers"].items()}
        content_type = headers.get("content-type", "application/json")
        return Answer(int(response["statusCode"]), content_type, data)

    return forward


# ------------------------------------------------------------------ outbox


@dataclass(frozen=True)
class OutboxMessage:
    channel: str  # "email" | "sms"
    message_id: str
    sender: str
    recipients: list[str]
    subject: str
    body: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "message_id": self.message_id,
            "from": self.sender,
            "to": self.recipients,
            "subject": self.subject,
            "body": self.body,
        }


def _raw_email(message_id: str, source: str, destinations: list[str], raw: str) -> OutboxMessage:
    parsed = email.message_from_string(raw, policy=email.policy.default)
    part = parsed.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    attachments = [a.get_filename() or "?" for a in parsed.iter_attachments()]
    if attachments:
        body += "\n\n[pièces jointes : " + ", ".join(attachments) + "]"
    recipients = destinations or [str(parsed.get("To", ""))]
    sender = source or str(parsed.get("From", ""))
    return OutboxMessage(
        "email", message_id, sender, recipients, str(parsed.get("Subject", "")), body
    )


def outbox_messages(account_id: str = ACCOUNT_ID, region: str = REGION) -> list[OutboxMessage]:
    """E-mails (SES, SESv2) and SMS (SNS) sent through the emulator, oldest first."""
    from moto.ses.models import RawMessage, ses_backends
    from moto.sns.models import sns_backends

    messages: list[OutboxMessage] = []
    # Snapshots: the platform's threads send while the page reads (iterating the live
    # dict of SMS would raise "mutated during iteration").
    for sent in list(ses_backends[account_id][region].sent_messages):
        if isinstance(sent, RawMessage):
            messages.append(
                _raw_email(sent.id, sent.source, list(sent.destinations), sent.raw_data)
            )
        elif hasattr(sent, "body"):
            recipients = [
                address for addresses in (sent.destinations or {}).values() for address in addresses
            ]
            messages.append(
                OutboxMessage("email", sent.id, sent.source, recipients, sent.subject, sent.body)
            )
        else:  # templated e-mails
            messages.append(
                OutboxMessage(
                    "email",
                    getattr(sent, "id", "?"),
                    sent.source,
                    [],
                    sent.template,
                    str(sent.template_data),
                )
            )
    for message_id, (phone, text) in list(sns_backends[account_id][region].sms_messages.items()):
        messages.append(OutboxMessage("sms", message_id, "SMS", [phone], "", text))
    return messages


def outbox_html(messages: list[OutboxMessage]) -> str:
    rows = []
    for m in reversed(messages):  # newest first
        canal = "Courriel" if m.channel == "email" else "SMS"
        rows.append(
            "<article><header>"
            f"<strong>{canal}</strong> · à {html.escape(', '.join(m.recipients))}"
            f" · de {html.escape(m.sender)}</header>"
            + (f"<h2>{html.escape(m.subject)}</h2>" if m.subject else "")
            + f"<pre>{html.escape(m.body)}</pre></article>"
        )
    content = "\n".join(rows) or "<p>Aucun message envoyé pour l'instant.</p>"
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Boîte d'envoi locale — Encaisse</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 50rem; margin: 1rem auto; padding: 0 1rem; }}
article {{ border: 1px solid #ccc; border-radius: .5rem; padding: .75rem; margin: .75rem 0; }}
pre {{ white-space: pre-wrap; font-family: inherit; }}
h2 {{ font-size: 1.1rem; margin: .5rem 0; }}
</style></head>
<body><h1>Boîte d'envoi locale</h1>
<p>Courriels et SMS envoyés par la plateforme locale (rien ne part vraiment).
{len(messages)} message(s). <a href="?format=json">JSON</a></p>
{content}
</body></html>
"""


# ------------------------------------------------------------------ portal


LOCAL_PAGES_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


class PortalHandler(SimpleHTTPRequestHandler):
    """Static files of portal/ plus the local-only pages under /_local/."""

    disable_nagle_algorithm = True  # headers and body are two writes: send each at once

    # Set on the subclass built by portal_server().
    api_url = ""  # what /config.json tells the pages
    api: Forward | None = None  # where /v1/* goes (http_forward(api_url) if None)
    local: Forward | None = None  # where /_local/* goes (answered here if None)
    schedules: Callable[[], list[dict[str, Any]]] = staticmethod(list)
    trigger: Callable[[str], str] | None = None

    def log_message(self, format: str, *args: Any) -> None:
        LOG.debug("portal: " + format, *args)

    def end_headers(self) -> None:
        """The headers CloudFront's ResponseHeadersPolicy adds in AWS (template.yaml)."""
        path = urlsplit(self.path).path
        headers = security.API_HEADERS if path.startswith("/v1/") else security.PORTAL_HEADERS
        if path.startswith("/_local/"):  # local-only pages carry their style inline
            headers = headers | {"Content-Security-Policy": LOCAL_PAGES_CSP}
        for name, value in headers.items():
            if name != "Cache-Control":  # set by _send where it applies
                self.send_header(name, value)
        super().end_headers()

    def _send(self, status: int, body: str | bytes, content_type: str) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False, indent=2), "application/json")

    def _forward(self, forward: Forward, names: tuple[str, ...] | None) -> None:
        """Hands the request on to ``forward`` with its headers in ``names`` (all if
        None) and sends its answer."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            name: value
            for name, value in self.headers.items()
            if (names is None or name.title() in names) and name.lower() != "host"
        }
        answer = forward(self.command, self.path, headers, body)
        self._send(answer.status, answer.body, answer.content_type)

    def _proxy_api(self) -> bool:
        """``/v1/*`` goes to the API, as CloudFront routes it in AWS: the portal's pages
        call the API on their own origin (no CORS, and the tenant token stays first-party)."""
        cls = type(self)
        if not urlsplit(self.path).path.startswith("/v1/") or not (cls.api or cls.api_url):
            return False
        self._forward(cls.api or http_forward(cls.api_url), FORWARDED_HEADERS)
        return True

    def _proxy_local(self) -> bool:
        """``/_local/*`` goes to the platform's process when this server is not in it."""
        local = type(self).local
        if local is None or not urlsplit(self.path).path.startswith("/_local/"):
            return False
        self._forward(local, ("Content-Type", "Accept"))
        return True

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if self._proxy_api() or self._proxy_local():
            return
        if url.path in ("/_local/outbox", "/_local/outbox/"):
            messages = outbox_messages()
            if parse_qs(url.query).get("format") == ["json"]:
                self._json(200, {"messages": [m.as_dict() for m in messages]})
            else:
                self._send(200, outbox_html(messages), "text/html; charset=utf-8")
            return
        if url.path == "/_local/schedules":
            self._json(200, {"schedules": type(self).schedules()})
            return
        if url.path == "/config.json" and not (Path(self.directory) / "config.json").exists():
            # The portal finds the API here (deployed as a file next to the portal in AWS).
            self._json(200, {"api_url": type(self).api_url})
            return
        super().do_GET()

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        if self._proxy_api() or self._proxy_local():
            return
        prefix = "/_local/schedules/"
        trigger = type(self).trigger
        if url.path.startswith(prefix) and trigger is not None:
            name = url.path[len(prefix) :]
            try:
                result = trigger(name)
            except KeyError:
                self._json(404, {"detail": f"no schedule {name}"})
                return
            self._json(200, {"schedule": name, "result": result})
            return
        self._json(HTTPStatus.NOT_FOUND, {"detail": "not found"})


def portal_server(
    host: str,
    port: int,
    *,
    directory: Path = PORTAL_DIR,
    api_url: str = "",
    schedules: Callable[[], list[dict[str, Any]]] | None = None,
    trigger: Callable[[str], str] | None = None,
    sock: socket.socket | None = None,
    api: Forward | None = None,
    local: Forward | None = None,
) -> ServerThread:
    """The portal on ``host:port``, or on ``sock`` (bound and listening) if given;
    ``api`` answers ``/v1/*`` (else ``api_url`` over HTTP), ``local`` ``/_local/*``
    (else this process's outbox and ``schedules``)."""
    directory.mkdir(parents=True, exist_ok=True)

    class Handler(PortalHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(directory), **kwargs)

    Handler.api_url = api_url
    Handler.api = staticmethod(api) if api else None
    Handler.local = staticmethod(local) if local else None
    Handler.schedules = staticmethod(schedules or list)
    Handler.trigger = staticmethod(trigger) if trigger else None
    if sock is None:
        server = ThreadingHTTPServer((host, port), Handler)
    else:
        server = _on_socket(ThreadingHTTPServer, sock, Handler)
    server.daemon_threads = True
    return ServerThread(server, "portal")
