"""The local outbox page reads what the emulator sent while the platform keeps sending."""

from __future__ import annotations

from typing import Any

import pytest
from moto.sns.models import sns_backends

from infra.local import servers
from infra.local.template import ACCOUNT_ID

REGION = "ap-southeast-2"  # a backend no other test uses


def test_an_sms_sent_while_the_outbox_is_read_does_not_break_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sms = sns_backends[ACCOUNT_ID][REGION].sms_messages
    sms.clear()
    sms["m1"] = ("+33611111111", "Rappel 1")
    sms["m2"] = ("+33622222222", "Rappel 2")
    message = servers.OutboxMessage

    def sent_meanwhile(*args: Any) -> Any:
        # another thread of the platform publishes an SMS while the page is built
        sms[f"m{len(sms) + 1}"] = ("+33633333333", "Rappel 3")
        return message(*args)

    monkeypatch.setattr(servers, "OutboxMessage", sent_meanwhile)
    try:
        got = servers.outbox_messages(region=REGION)
    finally:
        sms.clear()
    assert [(m.channel, m.recipients) for m in got] == [
        ("sms", ["+33611111111"]),
        ("sms", ["+33622222222"]),
    ]
