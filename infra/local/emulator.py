"""moto's server, in this process, with our patches and the Step Functions interpreter.

In-process (``ThreadedMotoServer``) rather than a child process so that the patched
Lambda backend can call our handlers directly and the outbox page can read sent
messages from moto's backends.
"""

from __future__ import annotations

import logging
import os

from moto.core.config import default_user_config
from moto.server import ThreadedMotoServer

from infra.local import patches
from infra.local.template import REGION

# The emulator accepts any credentials; these make boto3 sign requests without looking
# for a profile.
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",  # not a secret: the emulator takes any
}


class Emulator:
    """A moto server on ``host:port`` (0 = a free port), patched, executing workflows."""

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1", time_factor: float = 1.0):
        self.host = host
        self.requested_port = port
        self.time_factor = time_factor
        self._server: ThreadedMotoServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the emulator is not started")
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        patches.apply_all(time_factor=self.time_factor)
        # Real ASL interpreter instead of moto's default stub executions.
        default_user_config["stepfunctions"] = {"execute_state_machine": True}
        # werkzeug logs every request at INFO: far too chatty for a developer console.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(
            ip_address=self.host, port=self.requested_port, verbose=False
        )
        self._server.start()
        _, self.port = self._server.get_host_and_port()
        # The interpreter calls services at http://localhost:$MOTO_PORT.
        os.environ["MOTO_PORT"] = str(self.port)
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client_environment(self) -> dict[str, str]:
        """What boto3 needs to talk to this emulator (merged into ``os.environ``)."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            **DUMMY_CREDENTIALS,
        }


def reset_backends() -> None:
    """Forget every resource and object (moto's state is process-wide)."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
