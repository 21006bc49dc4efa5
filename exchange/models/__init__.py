"""The exchange's tables, one module per domain; importing this package registers them all."""

from exchange.models.advice import Advice, AdviceRequest
from exchange.models.audit import AuditCheckpoint, AuditEvent, AuditResource
from exchange.models.cases import Case, CaseChild, CaseHearing, CaseVersion
from exchange.models.delivery import Delivery, WebhookSubscription
from exchange.models.metrics import MetricCaseFacts, MetricCount, MetricPublication, MetricPublicationCell
from exchange.models.oauth import OAuthClient, RevokedToken, SigningKey, UsedAssertion, UsedDpopProof
from exchange.models.orgs import Organisation
from exchange.models.people import IdentityProvider, PageSession, Person
from exchange.models.returns import (
    CinEpisode,
    LegalStatusEpisode,
    PreProceedings,
    ReturnChild,
    ReturnFinding,
)
from exchange.models.submissions import RawBody, RawBodyChunk, StagedRecord, Submission

__all__ = [
    "Advice",
    "AdviceRequest",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditResource",
    "Case",
    "CaseChild",
    "CaseHearing",
    "CaseVersion",
    "CinEpisode",
    "IdentityProvider",
    "Delivery",
    "LegalStatusEpisode",
    "MetricCaseFacts",
    "MetricCount",
    "MetricPublication",
    "MetricPublicationCell",
    "OAuthClient",
    "Organisation",
    "PageSession",
    "Person",
    "PreProceedings",
    "RawBody",
    "RawBodyChunk",
    "ReturnChild",
    "ReturnFinding",
    "RevokedToken",
    "SigningKey",
    "StagedRecord",
    "Submission",
    "UsedAssertion",
    "UsedDpopProof",
    "WebhookSubscription",
]
