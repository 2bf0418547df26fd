"""What the dunning units need from the rest of the platform (consumer-side protocols).

The adapters (``functions.adapters``) and the fakes (``tests/fakes.py``) implement them;
``functions.bootstrap.Composition`` plugs them in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from functions.core.dunning import CaseEvent, CloseReason, DunningCase
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine
from functions.core.messages import Email, Letter
from functions.core.organisation import Organisation

Clock = Callable[[], datetime]

# (letter, landlord name, EPC QR payload) → PDF bytes
RenderLetter = Callable[[Letter, str, str], bytes]


class Organisations(Protocol):
    def list_ids(self) -> list[str]: ...
    def get(self, org_id: str) -> Organisation: ...


class Leases(Protocol):
    def get(self, org_id: str, lease_id: str) -> Lease: ...
    def iter_all(self, org_id: str) -> Iterable[Lease]: ...


class Ledger(Protocol):
    def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]: ...


class OpenCase(Protocol):
    @property
    def case_id(self) -> str: ...
    @property
    def started(self) -> bool: ...
    @property
    def held(self) -> bool: ...


class Cases(Protocol):
    def open(self, case: DunningCase) -> tuple[DunningCase, bool]: ...
    def get(self, org_id: str, case_id: str) -> DunningCase: ...
    def open_cases(self, org_id: str) -> Mapping[str, OpenCase]: ...
    def set_execution(self, case: DunningCase, execution_arn: str) -> None: ...
    def record(self, org_id: str, case_id: str, event: CaseEvent) -> None: ...
    def close(self, case: DunningCase, reason: CloseReason, event: CaseEvent) -> bool: ...
    def release(self, org_id: str, lease_id: str, case_id: str) -> bool: ...


class Started(Protocol):
    @property
    def execution_arn(self) -> str: ...
    @property
    def started(self) -> bool: ...


class Workflows(Protocol):
    def start(self, name: str, payload: dict[str, Any]) -> Started: ...


class Mailer(Protocol):
    def send(self, to: str, email: Email) -> str: ...


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> str: ...


class Documents(Protocol):
    def put_pdf(self, key: str, body: bytes, *, for_print: bool) -> None: ...
