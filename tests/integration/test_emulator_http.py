"""The emulator's HTTP: kept-alive connections, requests read whole (issue 12).

moto's werkzeug server closed the connection after every answer, so each AWS call of a
handler paid a new TCP connection. The emulator answers HTTP/1.1 with keep-alive:
several requests, with bodies, go over one socket; a client asking to close is obeyed.
"""

from __future__ import annotations

import http.client
import json
import socket
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from infra.local.ceiling import create_table

pytestmark = pytest.mark.integration


def send_dynamodb(
    conn: http.client.HTTPConnection, action: str, body: dict[str, Any] | bytes, **headers: str
) -> http.client.HTTPResponse:
    """One DynamoDB request as an SDK sends it (JSON protocol; ``bytes`` are sent as they
    are); the answer, unread."""
    conn.request(
        "POST",
        "/",
        body=body if isinstance(body, bytes) else json.dumps(body),
        headers={
            "X-Amz-Target": f"DynamoDB_20120810.{action}",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": (
                "AWS4-HMAC-SHA256 Credential=local/20260101/eu-west-3/dynamodb/aws4_request,"
                " SignedHeaders=host, Signature=0"
            ),
            **headers,
        },
    )
    return conn.getresponse()


def _dynamodb(
    conn: http.client.HTTPConnection, action: str, body: dict[str, Any], **headers: str
) -> tuple[http.client.HTTPResponse, dict[str, Any]]:
    response = send_dynamodb(conn, action, body, **headers)
    return response, json.loads(response.read() or b"{}")


def test_requests_share_one_kept_alive_connection(emulator: Any) -> None:
    table = create_table(emulator.client("dynamodb"), "keepalive")
    url = urlsplit(emulator.client("dynamodb").meta.endpoint_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        marker = uuid.uuid4().hex
        response, _ = _dynamodb(
            conn,
            "PutItem",
            {"TableName": table, "Item": {"pk": {"S": marker}, "sk": {"S": "a"}}},
        )
        assert response.status == 200
        assert response.getheader("Connection", "").lower() != "close"
        first_socket = conn.sock
        assert first_socket is not None
        for _ in range(3):
            response, body = _dynamodb(
                conn,
                "GetItem",
                {"TableName": table, "Key": {"pk": {"S": marker}, "sk": {"S": "a"}}},
            )
            assert response.status == 200 and body["Item"]["pk"]["S"] == marker
        # http.client opens a new socket when the server closed the previous one.
        assert conn.sock is first_socket
        # A client asking to close gets its connection closed.
        response, _ = _dynamodb(conn, "ListTables", {}, Connection="close")
        assert response.status == 200 and response.getheader("Connection", "").lower() == "close"
        assert conn.sock is None
    finally:
        conn.close()
        emulator.client("dynamodb").delete_table(TableName=table)


def test_answer_and_interim_continue_over_the_buffered_writer(emulator: Any) -> None:
    """Answers go through a buffer: a client expecting "100 Continue" (boto3 does for
    S3 uploads) still gets it before sending its body, then the whole answer."""
    table = create_table(emulator.client("dynamodb"), "continue")
    url = urlsplit(emulator.client("dynamodb").meta.endpoint_url)
    body = json.dumps({"TableName": table, "Key": {"pk": {"S": "x"}, "sk": {"S": "y"}}}).encode()
    try:
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            head = (
                "POST / HTTP/1.1\r\n"
                f"Host: {url.hostname}:{url.port}\r\n"
                "X-Amz-Target: DynamoDB_20120810.GetItem\r\n"
                "Content-Type: application/x-amz-json-1.0\r\n"
                "Authorization: AWS4-HMAC-SHA256 Credential=local/20260101/eu-west-3/"
                "dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\n"
                f"Content-Length: {len(body)}\r\n"
                "Expect: 100-continue\r\n\r\n"
            )
            sock.sendall(head.encode())
            interim = sock.recv(1024)  # the body is not sent yet: a held 100 would time out
            assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
            sock.sendall(body)
            answer = interim
            # http.server and werkzeug each send one interim answer (1xx may repeat).
            while answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"):
                answer = answer[len(b"HTTP/1.1 100 Continue\r\n\r\n") :]
            while b"\r\n\r\n" not in answer:
                answer += sock.recv(65536)
            headers, _, content = answer.partition(b"\r\n\r\n")
            assert headers.startswith(b"HTTP/1.1 200")
            length = int(
                next(
                    line.split(b":", 1)[1]
                    for line in headers.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
            )
            while len(content) < length:
                content += sock.recv(65536)
            assert json.loads(content) == {}
    finally:
        emulator.client("dynamodb").delete_table(TableName=table)
