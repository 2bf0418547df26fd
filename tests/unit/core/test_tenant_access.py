from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.core.errors import AuthenticationError
from functions.core.tenant_access import TenantGrant, issue_token, token_org, verify_token

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
GRANT = TenantGrant("org-a", "L-1", NOW + timedelta(days=30))


def test_round_trip() -> None:
    token = issue_token("s3cret", GRANT)
    assert token_org(token) == "org-a"
    assert verify_token("s3cret", token, NOW) == GRANT


def test_expired_wrong_secret_and_tampering_are_refused() -> None:
    token = issue_token("s3cret", GRANT)
    with pytest.raises(AuthenticationError, match="expired"):
        verify_token("s3cret", token, NOW + timedelta(days=31))
    with pytest.raises(AuthenticationError):
        verify_token("other", token, NOW)
    version, _payload, sig = token.split(".")
    forged = issue_token("s3cret", TenantGrant("org-a", "L-2", GRANT.expires_at)).split(".")[1]
    with pytest.raises(AuthenticationError):
        verify_token("s3cret", f"{version}.{forged}.{sig}", NOW)
    for junk in ("", "v1", "v1.x.y", "a.b.c.d"):
        with pytest.raises(AuthenticationError):
            verify_token("s3cret", junk, NOW)
