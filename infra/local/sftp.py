"""An SFTP drop box writing to the inbox bucket, as AWS Transfer Family does in AWS.

One user per organisation, with a password (Transfer Family uses keys; passwords are
simpler for a local demo). Every session is chrooted to a private temporary folder;
each file is written to ``s3://<inbox>/<org_id>/<path>`` when the client closes it,
which fires the inbox notification like any other upload.

Users live in ``<state dir>/sftp_users.json``: the demo user (from the seed) and one
user per organisation of the organisations table, named after its ``org_id``, whose
password is generated once and kept there.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh

LOG = logging.getLogger("encaisse.local.sftp")


@dataclass(frozen=True)
class SftpUser:
    username: str
    password: str
    org_id: str


class SftpUsers:
    """The users file, read and written under a lock (auth runs on the SFTP loop)."""

    def __init__(self, path: Path, list_org_ids: Callable[[], list[str]] | None = None) -> None:
        self.path = path
        self.list_org_ids = list_org_ids
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        users: dict[str, dict[str, str]] = json.loads(self.path.read_text(encoding="utf-8"))
        return users

    def _write(self, users: dict[str, dict[str, str]]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(users, indent=2, sort_keys=True), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)

    def all(self) -> dict[str, SftpUser]:
        with self._lock:
            return {
                name: SftpUser(name, u["password"], u["org_id"]) for name, u in self._read().items()
            }

    def add(self, username: str, org_id: str, password: str | None = None) -> SftpUser:
        """Add (or keep) a user; an existing user keeps its password."""
        with self._lock:
            users = self._read()
            if username not in users:
                users[username] = {
                    "org_id": org_id,
                    "password": password or secrets.token_urlsafe(12),
                }
                self._write(users)
            entry = users[username]
            return SftpUser(username, entry["password"], entry["org_id"])

    def refresh(self) -> None:
        """One user per organisation (named after its org_id) for organisations new since."""
        if self.list_org_ids is None:
            return
        try:
            org_ids = self.list_org_ids()
        except Exception:  # the emulator may be stopping; auth then just fails
            LOG.exception("cannot list organisations for SFTP users")
            return
        known = {u.org_id for u in self.all().values()} | set(self.all())
        for org_id in org_ids:
            if org_id not in known:
                self.add(org_id, org_id)

    def check(self, username: str, password: str) -> SftpUser | None:
        user = self.all().get(username)
        if user is None:
            self.refresh()
            user = self.all().get(username)
        if user is not None and hmac.compare_digest(user.password.encode(), password.encode()):
            return user
        return None


class _InboxSftpServer(asyncssh.SFTPServer):
    """Chrooted to a per-session folder; closing a written file uploads it."""

    def __init__(self, chan: asyncssh.SSHServerChannel[bytes], service: SftpService) -> None:
        self._service = service
        self._user: SftpUser = chan.get_extra_info("encaisse_user")
        self._root = Path(tempfile.mkdtemp(prefix="encaisse-sftp-"))
        super().__init__(chan, chroot=os.fsencode(self._root))

    async def close(self, file_obj: Any) -> None:
        mode = getattr(file_obj, "mode", "")
        # asyncssh opens local paths as bytes.
        path = Path(os.fsdecode(getattr(file_obj, "name", b"")))
        file_obj.close()
        if any(flag in mode for flag in "wax+") and path.is_file():
            relative = path.resolve().relative_to(self._root.resolve()).as_posix()
            key = f"{self._user.org_id}/{relative}"
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(None, self._service.upload, path, key)
            except Exception as e:
                LOG.exception("SFTP upload of %s failed", key)
                raise asyncssh.SFTPFailure(f"could not store {relative} in the inbox") from e

    def exit(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)
        super().exit()


class _PasswordServer(asyncssh.SSHServer):
    def __init__(self, users: SftpUsers) -> None:
        self._users = users
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn

    def begin_auth(self, username: str) -> bool:
        return True  # every user needs a password

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        user = self._users.check(username, password)
        if user is None:
            return False
        assert self._conn is not None
        self._conn.set_extra_info(encaisse_user=user)
        return True


class SftpService:
    """The SFTP server on its own event loop, in a thread."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        host_key_path: Path,
        users: SftpUsers,
        upload: Callable[[Path, str], None],
    ) -> None:
        self.host = host
        self.requested_port = port
        self.host_key_path = host_key_path
        self.users = users
        self.upload_to_inbox = upload
        self.port = 0
        self.uploads = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncssh.SSHAcceptor | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="sftp", daemon=True)

    def upload(self, path: Path, key: str) -> None:
        self.upload_to_inbox(path, key)
        self.uploads += 1
        LOG.info("SFTP upload stored as %s", key)

    def _host_key(self) -> asyncssh.SSHKey:
        # Generated once: clients remember it (known_hosts) across restarts.
        if not self.host_key_path.exists():
            key = asyncssh.generate_private_key("ssh-ed25519")
            key.write_private_key(str(self.host_key_path))
            os.chmod(self.host_key_path, 0o600)
        return asyncssh.read_private_key(str(self.host_key_path))

    def start(self) -> None:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=30)

    async def _start(self) -> None:
        self._server = await asyncssh.create_server(
            lambda: _PasswordServer(self.users),
            self.host,
            self.requested_port,
            server_host_keys=[self._host_key()],
            sftp_factory=lambda chan: _InboxSftpServer(chan, self),
            allow_scp=False,
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    def stop(self) -> None:
        if self._server is not None:

            async def close() -> None:
                assert self._server is not None
                self._server.close()
                await self._server.wait_closed()

            try:
                asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
            except Exception:
                LOG.exception("SFTP server did not close cleanly")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
