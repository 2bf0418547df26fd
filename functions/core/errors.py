"""The one error hierarchy of Encaisse.

Every error raised on purpose by our code derives from :class:`EncaisseError`.
Adapters translate library errors (``botocore.exceptions.ClientError`` …) into
these with ``raise … from e``; the API maps them to HTTP in one place.
"""

from __future__ import annotations


class EncaisseError(Exception):
    """Base of every error Encaisse raises on purpose."""


class ValidationError(EncaisseError, ValueError):
    """Input that breaks a rule; ``field`` names the offending field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class MoneyError(ValidationError):
    """An amount that is not a valid number of cents."""


class InvalidIbanError(ValidationError):
    """An IBAN or RIB that does not check."""


class InvalidReferenceError(ValidationError):
    """An RF creditor reference (ISO 11649) that does not check."""


class VirtualIbanRangeExhaustedError(EncaisseError):
    """The landlord's vIBAN range has no free account number left."""


class StatementParseError(EncaisseError):
    """A bank file that cannot be read.

    ``location`` is a line number (``"line 12"``) or an XML path
    (``"/Document/BkToCstmrStmt/Stmt[2]/Ntry[5]/Amt"``); ``parser`` names the
    parser that gave up.
    """

    def __init__(
        self, file: str, location: str | None, reason: str, parser: str | None = None
    ) -> None:
        where = f"{file}: {location}" if location else file
        super().__init__(f"{where}: {reason}")
        self.file = file
        self.location = location
        self.reason = reason
        self.parser = parser

    def as_dict(self) -> dict[str, str | None]:
        return {
            "file": self.file,
            "location": self.location,
            "reason": self.reason,
            "parser": self.parser,
        }


class UnknownFormatError(StatementParseError):
    """A file whose content is none of the bank formats we read."""


class NotFoundError(EncaisseError):
    """A record that does not exist (or belongs to another organisation)."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


class ConflictError(EncaisseError):
    """A write that lost a race or contradicts what is stored."""


class AuthenticationError(EncaisseError):
    """Missing, unknown or revoked credentials."""


class PermissionDeniedError(EncaisseError):
    """Valid credentials without the scope the call needs."""


class ErpWebhookError(EncaisseError):
    """The ERP's webhook did not accept a batch (non-2xx answer or no answer).

    The class name is the error type the ERP push workflow retries on.
    """


class DeliveryError(EncaisseError):
    """A message (e-mail, SMS) could not be handed to the service that delivers it."""


class RecipientRejectedError(DeliveryError):
    """The delivery service refused this recipient or message: retrying will not help."""
