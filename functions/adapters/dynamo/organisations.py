"""Organisations: the landlord's settings, secrets references and vIBAN sequences."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from functions.adapters.dynamo.base import (
    Map,
    StorageError,
    StoredModel,
    bound,
    failed_condition,
    from_ddb,
    plain_map,
    to_ddb,
)
from functions.core.address import PostalAddress
from functions.core.dunning import DunningPolicy
from functions.core.errors import ConflictError, NotFoundError
from functions.core.organisation import Branding, ChartOfAccounts, HouseholdSplit, Organisation
from functions.core.secrets import PlainSecrets
from functions.core.viban import VirtualIbanRange

if TYPE_CHECKING:
    from functions.core.matching import MatchPolicy


class OrganisationModel(StoredModel):
    """One organisation (``OrganisationsTable``); ``viban_next`` only ever grows."""

    org_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    collection_iban = UnicodeAttribute()
    viban_bank_code = UnicodeAttribute()
    viban_branch_code = UnicodeAttribute()
    viban_account_prefix = UnicodeAttribute()
    viban_bic = UnicodeAttribute(null=True)
    chart = Map(null=True)
    siren = UnicodeAttribute(null=True)
    erp_format = UnicodeAttribute(null=True)
    erp_webhook_url = UnicodeAttribute(null=True)
    erp_webhook_secret_arn = UnicodeAttribute(null=True)
    portal_secret_arn = UnicodeAttribute(null=True)
    address = Map(null=True)
    branding = Map(null=True)
    ics = UnicodeAttribute(null=True)
    dunning = Map(null=True)
    household_split = UnicodeAttribute(null=True)
    # Written by their own calls, never by put():
    matching_policy = Map(null=True)
    viban_next = NumberAttribute(null=True)
    # Items written before the secret store held these in clear.
    portal_secret = UnicodeAttribute(null=True)
    erp_webhook_secret = UnicodeAttribute(null=True)

    _SETTINGS = (
        "name",
        "collection_iban",
        "viban_bank_code",
        "viban_branch_code",
        "viban_account_prefix",
        "viban_bic",
        "chart",
        "siren",
        "erp_format",
        "erp_webhook_url",
        "erp_webhook_secret_arn",
        "portal_secret_arn",
        "address",
        "branding",
        "ics",
        "dunning",
        "household_split",
    )
    """What ``put`` writes (everything but the key, the counter and the matching policy)."""

    @classmethod
    def from_domain(cls, org: Organisation) -> OrganisationModel:
        return cls(
            org.org_id,
            name=org.name,
            collection_iban=org.collection_iban,
            viban_bank_code=org.viban_range.bank_code,
            viban_branch_code=org.viban_range.branch_code,
            viban_account_prefix=org.viban_range.account_prefix,
            viban_bic=org.viban_range.bic,
            chart=dataclasses.asdict(org.chart),
            siren=org.siren,
            erp_format=org.erp_format,
            erp_webhook_url=org.erp_webhook_url,
            erp_webhook_secret_arn=org.erp_webhook_secret_arn,
            portal_secret_arn=org.portal_secret_arn,
            address=org.address.to_dict() if org.address else None,
            branding=_branding_to_item(org.branding),
            ics=org.ics,
            dunning=org.dunning.to_dict() if org.dunning else None,
            household_split=org.household_split.value,
        )

    def to_domain(self) -> Organisation:
        address = plain_map(self.address)
        dunning = plain_map(self.dunning)
        return Organisation(
            org_id=self.org_id,
            name=self.name,
            collection_iban=self.collection_iban,
            viban_range=VirtualIbanRange(
                self.viban_bank_code,
                self.viban_branch_code,
                self.viban_account_prefix,
                self.viban_bic,
            ),
            chart=ChartOfAccounts(**(plain_map(self.chart) or {})),
            siren=self.siren,
            erp_format=self.erp_format or "json",
            erp_webhook_url=self.erp_webhook_url,
            erp_webhook_secret_arn=self.erp_webhook_secret_arn,
            portal_secret_arn=self.portal_secret_arn,
            address=PostalAddress.from_dict(address) if address else None,
            branding=Branding(**(plain_map(self.branding) or {})),
            ics=self.ics,
            dunning=DunningPolicy.from_dict(dunning) if dunning else None,
            household_split=HouseholdSplit(self.household_split or "oldest_debt_first"),
        )


def _branding_to_item(branding: Branding) -> dict[str, Any]:
    return {
        f.name: getattr(branding, f.name)
        for f in dataclasses.fields(branding)
        if getattr(branding, f.name) is not None
    }


def organisation_to_item(org: Organisation) -> dict[str, Any]:
    """The stored item of ``org`` as plain values."""
    return from_ddb(OrganisationModel.from_domain(org).serialize())


def organisation_from_item(item: dict[str, Any]) -> Organisation:
    return OrganisationModel.from_raw_data(to_ddb(item)).to_domain()


class DynamoOrganisationRepository:
    def __init__(self, table: str) -> None:
        self.table = table
        self.model = bound(OrganisationModel, table)

    def put(self, org: Organisation) -> None:
        """Create or rewrite the organisation's settings; the vIBAN counter and the
        matching policy stay as stored (the counter must only ever grow)."""
        model = self.model.from_domain(org)
        attributes = self.model.get_attributes()
        actions: list[Action] = []
        for name in OrganisationModel._SETTINGS:
            value = getattr(model, name)
            if value is not None:
                actions.append(attributes[name].set(value))
        try:
            model.update(actions=actions)
        except UpdateError as e:
            raise StorageError(str(e)) from e

    def put_new(self, org: Organisation) -> None:
        """Store an organisation whose id must be free."""
        try:
            self.model.from_domain(org).save(condition=self.model.org_id.does_not_exist())
        except PutError as e:
            if failed_condition(e):
                raise ConflictError(f"organisation {org.org_id!r} exists already") from e
            raise StorageError(str(e)) from e

    def get(self, org_id: str) -> Organisation:
        return self._stored(org_id).to_domain()

    def _stored(self, org_id: str) -> OrganisationModel:
        """The organisation's item (a consistent read); raises ``NotFoundError``."""
        try:
            return self.model.get(org_id, consistent_read=True)
        except self.model.DoesNotExist as e:
            raise NotFoundError("organisation", org_id) from e

    def with_plain_secrets(self) -> list[PlainSecrets]:
        """Organisations still holding secrets in clear (items written before the secret store)."""
        m = self.model
        return [
            PlainSecrets(o.org_id, o.portal_secret, o.erp_webhook_secret)
            for o in m.scan(
                m.portal_secret.exists() | m.erp_webhook_secret.exists(),
                attributes_to_get=["org_id", "portal_secret", "erp_webhook_secret"],
            )
        ]

    def store_secret_refs(self, org: Organisation) -> None:
        """Keep the secrets' references and drop any value stored in clear."""
        m = self.model
        actions: list[Action] = [
            m.portal_secret.remove(),
            m.erp_webhook_secret.remove(),
        ]
        for attr, value in (
            (m.portal_secret_arn, org.portal_secret_arn),
            (m.erp_webhook_secret_arn, org.erp_webhook_secret_arn),
        ):
            actions.append(attr.set(value) if value is not None else attr.remove())
        try:
            m(org.org_id).update(actions=actions, condition=m.org_id.exists())
        except UpdateError as e:
            raise StorageError(str(e)) from e

    def matching_policy(self, org_id: str) -> MatchPolicy:
        """The organisation's matching settings (attribute ``matching_policy``) over defaults."""
        from functions.core.matching import MatchPolicy  # the matching core: match's own import

        try:
            stored = self.model.get(org_id, attributes_to_get=["matching_policy"])
        except self.model.DoesNotExist:
            return MatchPolicy.from_dict(None)
        return MatchPolicy.from_dict(plain_map(stored.matching_policy))

    def get_with_policy(self, org_id: str) -> tuple[Organisation, MatchPolicy]:
        """The organisation and its matching settings from one read (the matcher's, once
        per message); raises ``NotFoundError``."""
        from functions.core.matching import MatchPolicy

        stored = self._stored(org_id)
        return stored.to_domain(), MatchPolicy.from_dict(plain_map(stored.matching_policy))

    def set_matching_policy(self, org_id: str, settings: dict[str, Any]) -> MatchPolicy:
        from functions.core.matching import MatchPolicy

        policy = MatchPolicy.from_dict(settings)  # refuse bad settings before storing them
        m = self.model
        try:
            m(org_id).update(
                actions=[m.matching_policy.set(json.loads(json.dumps(settings)))],
                condition=m.org_id.exists(),
            )
        except UpdateError as e:
            raise StorageError(str(e)) from e
        return policy

    def exists(self, org_id: str) -> bool:
        try:
            self.get(org_id)
        except NotFoundError:
            return False
        return True

    def list_ids(self) -> list[str]:
        return sorted(o.org_id for o in self.model.scan(attributes_to_get=["org_id"]))

    def reserve_viban_sequences(self, org_id: str, count: int) -> range:
        """Atomically reserve ``count`` never-used vIBAN numbers."""
        m = self.model
        org = m(org_id)
        try:
            org.update(actions=[m.viban_next.add(count)], condition=m.org_id.exists())
        except UpdateError as e:
            raise StorageError(str(e)) from e
        end = int(org.viban_next)
        return range(end - count, end)
