"""Tenant messages: e-mail through SES (v2 API), SMS through SNS.

Addresses and phone numbers are personal data: they never reach a log or an
error message in clear (errors name the channel and SES/SNS's error code only).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from functions.adapters.aws import client
from functions.core.errors import DeliveryError, RecipientRejectedError
from functions.core.messages import Email

# Errors that say this recipient cannot be reached, not that the service failed.
_REJECTED = {
    "MessageRejected",
    "InvalidParameterValue",
    "InvalidParameter",
    "InvalidParameterException",
    "BadRequestException",
    "OptedOut",
    "AccountSuspendedException",
    "SendingPausedException",
}


def _translate(channel: str, e: ClientError) -> DeliveryError:
    code = e.response.get("Error", {}).get("Code", "Unknown")
    if code in _REJECTED:
        return RecipientRejectedError(f"{channel}: rejected ({code})")
    return DeliveryError(f"{channel}: {code}")


class SesMailer:
    """Plain-text e-mail from the platform's verified sender address."""

    def __init__(self, sender: str, configuration_set: str | None = None) -> None:
        self.sender = sender
        self.configuration_set = configuration_set

    def send(self, to: str, email: Email) -> str:
        """The SES message id; raises RecipientRejectedError or DeliveryError."""
        kwargs = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": [to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": email.text, "Charset": "UTF-8"}},
                }
            },
        }
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        try:
            resp = client("sesv2").send_email(**kwargs)
        except ClientError as e:
            raise _translate("e-mail", e) from None  # the cause names the address
        return str(resp["MessageId"])


class SnsSmsSender:
    """Transactional SMS published straight to a phone number (E.164)."""

    def __init__(self, sender_id: str | None = None) -> None:
        self.sender_id = sender_id

    def send(self, phone: str, text: str) -> str:
        """The SNS message id; raises RecipientRejectedError or DeliveryError."""
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self.sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {
                "DataType": "String",
                "StringValue": self.sender_id,
            }
        try:
            resp = client("sns").publish(
                PhoneNumber=phone, Message=text, MessageAttributes=attributes
            )
        except ClientError as e:
            raise _translate("SMS", e) from None  # the cause names the number
        return str(resp["MessageId"])
