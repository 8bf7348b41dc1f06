"""AWS API errors: one class per error code, carrying its wire identity.

Services raise these; only the protocol layer renders them (as the Query protocol's
``<ErrorResponse>`` document, or the JSON protocol's error body). The HTTP statuses and
the Sender/Receiver fault types are the ones AWS IAM and STS answer with.
"""

from __future__ import annotations


class ServiceError(Exception):
    """An error that AWS would return to the client."""

    code: str = "InternalFailure"
    status: int = 400
    sender_fault: bool = True

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    @property
    def fault_type(self) -> str:
        return "Sender" if self.sender_fault else "Receiver"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


# -- protocol and request errors ------------------------------------------------------

class ValidationError(ServiceError):
    code = "ValidationError"


class MissingParameter(ServiceError):
    code = "MissingParameter"


class InvalidParameterValue(ServiceError):
    code = "InvalidParameterValue"


class InvalidParameterCombination(ServiceError):
    code = "InvalidParameterCombination"


class MalformedInput(ServiceError):
    """A parameter that cannot be read as its model type (``abc`` for an integer, say).

    AWS's Query front end answers these before any constraint is validated, with this code
    (CloudWatch's "timestamp must follow ISO8601", STS's answer to ``DurationSeconds=NaN``).
    """

    code = "MalformedInput"


class MalformedQueryString(ServiceError):
    code = "MalformedQueryString"
    status = 404


class InvalidAction(ServiceError):
    code = "InvalidAction"


class UnknownPath(ServiceError):
    """A request for a path other than ``/``: the Query and JSON APIs answer only there."""

    code = "NotFound"
    status = 404


class NotImplementedOperation(ServiceError):
    """The operation exists in the service model but iamd does not implement it yet."""

    code = "NotImplemented"
    status = 501
    sender_fault = False


class InternalFailure(ServiceError):
    code = "InternalFailure"
    status = 500
    sender_fault = False


class ServiceFailure(ServiceError):
    code = "ServiceFailure"
    status = 500
    sender_fault = False


class Throttling(ServiceError):
    code = "Throttling"


class RequestEntityTooLarge(ServiceError):
    """AWS's common error for a request too large at the HTTP level ("The request entity
    is too large."); iamd answers it for an oversized body or header section."""

    code = "RequestEntityTooLargeException"
    status = 413


class MalformedHttpRequest(ServiceError):
    """AWS's common error for "problems with the request at the HTTP level": iamd answers
    it for a request its HTTP server cannot parse (a URL too long, a control character in
    a header)."""

    code = "MalformedHttpRequestException"


class MethodNotAllowed(ServiceError):
    """An HTTP method the API does not take (the Query API takes GET and POST)."""

    code = "MethodNotAllowed"
    status = 405


# -- authentication -------------------------------------------------------------------

class MissingAuthenticationToken(ServiceError):
    code = "MissingAuthenticationToken"
    status = 403


class InvalidClientTokenId(ServiceError):
    code = "InvalidClientTokenId"
    status = 403


class SignatureDoesNotMatch(ServiceError):
    code = "SignatureDoesNotMatch"
    status = 403


class IncompleteSignature(ServiceError):
    code = "IncompleteSignature"
    status = 400


class RequestExpired(ServiceError):
    code = "RequestExpired"
    status = 400


class ExpiredToken(ServiceError):
    code = "ExpiredToken"
    status = 403


class InvalidToken(ServiceError):
    code = "InvalidToken"


class AccessDenied(ServiceError):
    code = "AccessDenied"
    status = 403


class OptInRequired(ServiceError):
    code = "OptInRequired"
    status = 403


# -- IAM ------------------------------------------------------------------------------

class NoSuchEntity(ServiceError):
    code = "NoSuchEntity"
    status = 404


class EntityAlreadyExists(ServiceError):
    code = "EntityAlreadyExists"
    status = 409


class DeleteConflict(ServiceError):
    code = "DeleteConflict"
    status = 409


class LimitExceeded(ServiceError):
    code = "LimitExceeded"
    status = 409


class InvalidInput(ServiceError):
    code = "InvalidInput"


class MalformedPolicyDocument(ServiceError):
    code = "MalformedPolicyDocument"


class PolicyNotAttachable(ServiceError):
    code = "PolicyNotAttachable"


class UnmodifiableEntity(ServiceError):
    code = "UnmodifiableEntity"


class ConcurrentModification(ServiceError):
    code = "ConcurrentModification"
    status = 409


class EntityTemporarilyUnmodifiable(ServiceError):
    code = "EntityTemporarilyUnmodifiable"
    status = 409


class PasswordPolicyViolation(ServiceError):
    code = "PasswordPolicyViolation"


class InvalidAuthenticationCode(ServiceError):
    code = "InvalidAuthenticationCode"
    status = 403


class InvalidUserType(ServiceError):
    code = "InvalidUserType"


class InvalidCertificate(ServiceError):
    code = "InvalidCertificate"


class MalformedCertificate(ServiceError):
    code = "MalformedCertificate"


class KeyPairMismatch(ServiceError):
    code = "KeyPairMismatch"


class InvalidPublicKey(ServiceError):
    code = "InvalidPublicKey"


class DuplicateCertificate(ServiceError):
    code = "DuplicateCertificate"
    status = 409


class DuplicateSSHPublicKey(ServiceError):
    code = "DuplicateSSHPublicKey"


class UnrecognizedPublicKeyEncoding(ServiceError):
    code = "UnrecognizedPublicKeyEncoding"


class ServiceNotSupported(ServiceError):
    code = "NotSupportedService"
    status = 404


class CredentialReportNotPresent(ServiceError):
    code = "ReportNotPresent"
    status = 410


class CredentialReportExpired(ServiceError):
    code = "ReportExpired"
    status = 410


class CredentialReportNotReady(ServiceError):
    code = "ReportInProgress"
    status = 404


class PolicyEvaluation(ServiceError):
    code = "PolicyEvaluation"
    status = 500
    sender_fault = False


class FeatureDisabled(ServiceError):
    code = "FeatureDisabled"
    status = 404


class FeatureEnabled(ServiceError):
    code = "FeatureEnabled"
    status = 409


class NameConflict(ServiceError):
    code = "NameConflict"
    status = 409


class OpenIdIdpCommunicationError(ServiceError):
    code = "OpenIdIdpCommunicationError"


class ReportGenerationLimitExceeded(ServiceError):
    code = "ReportGenerationLimitExceeded"
    status = 409


class RoleModified(ServiceError):
    code = "RoleModified"
    status = 409


class RoleTemplateDisabled(ServiceError):
    code = "RoleTemplateDisabled"


class AccountNotManagementOrDelegatedAdministrator(ServiceError):
    code = "AccountNotManagementOrDelegatedAdministratorException"


class CallerIsNotManagementAccount(ServiceError):
    code = "CallerIsNotManagementAccountException"


class OrganizationNotFound(ServiceError):
    code = "OrganizationNotFoundException"


class OrganizationNotInAllFeaturesMode(ServiceError):
    code = "OrganizationNotInAllFeaturesModeException"


class ServiceAccessNotEnabled(ServiceError):
    code = "ServiceAccessNotEnabledException"


class OrganizationLevelResourcesExist(ServiceError):
    code = "OrganizationLevelResourcesExistException"


# -- STS ------------------------------------------------------------------------------

class PackedPolicyTooLarge(ServiceError):
    code = "PackedPolicyTooLarge"


class RegionDisabled(ServiceError):
    code = "RegionDisabledException"
    status = 403


class IDPRejectedClaim(ServiceError):
    code = "IDPRejectedClaim"
    status = 403


class InvalidIdentityToken(ServiceError):
    code = "InvalidIdentityToken"


class InvalidAuthorizationMessage(ServiceError):
    code = "InvalidAuthorizationMessageException"


def error_class_for_code(code: str) -> type[ServiceError]:
    """The error class whose wire code is ``code`` (InternalFailure when none is)."""
    pending: list[type[ServiceError]] = [ServiceError]
    while pending:
        cls = pending.pop()
        if cls.code == code and cls is not ServiceError:
            return cls
        pending.extend(cls.__subclasses__())
    return InternalFailure


class ExpiredTokenException(ServiceError):
    """STS's modelled error for an expired web identity or SAML token.

    Not ``ExpiredToken``, which any service answers for an expired session token in the
    request's own credentials.
    """

    code = "ExpiredTokenException"


class ExpiredTradeInToken(ServiceError):
    code = "ExpiredTradeInTokenException"


class IDPCommunicationError(ServiceError):
    code = "IDPCommunicationError"


class InsufficientSessionLifetime(ServiceError):
    code = "InsufficientSessionLifetime"


class InvalidContextAssertion(ServiceError):
    code = "InvalidContextAssertion"


class InvalidSubjectCredentials(ServiceError):
    code = "InvalidSubjectCredentials"


class JWTPayloadSizeExceeded(ServiceError):
    code = "JWTPayloadSizeExceededException"


class OutboundWebIdentityFederationDisabled(ServiceError):
    code = "OutboundWebIdentityFederationDisabledException"
    status = 403


class SessionDurationEscalation(ServiceError):
    code = "SessionDurationEscalationException"
    status = 403


# Workload identity (IssueWorkloadIdentityContext, GetCertificate): not implemented yet,
# but their modelled errors keep their wire identity.

class InvalidAttestationDocument(ServiceError):
    code = "InvalidAttestationDocument"


class InvalidWorkloadIdentityConfiguration(ServiceError):
    code = "InvalidWorkloadIdentityConfiguration"


class MalformedCertificateSigningRequest(ServiceError):
    code = "MalformedCertificateSigningRequestException"


class RegionalSignerUnavailable(ServiceError):
    code = "RegionalSignerUnavailableException"
    status = 404


class ResourceNotFound(ServiceError):
    code = "ResourceNotFoundException"
    status = 404


class SignerNotConfigured(ServiceError):
    code = "SignerNotConfiguredException"
    status = 404


# -- CloudTrail (JSON protocol) ---------------------------------------------------------------

class InvalidLookupAttributesException(ServiceError):
    code = "InvalidLookupAttributesException"


class InvalidTimeRangeException(ServiceError):
    code = "InvalidTimeRangeException"


class InvalidNextTokenException(ServiceError):
    code = "InvalidNextTokenException"


class InvalidMaxResultsException(ServiceError):
    code = "InvalidMaxResultsException"


class InvalidEventCategoryException(ServiceError):
    code = "InvalidEventCategoryException"
