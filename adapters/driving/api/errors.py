"""Refusals the HTTP layer itself makes (authentication, scope, headers, readiness)."""

from __future__ import annotations


class ApiError(Exception):
    """Base of the API's own refusals; ``code`` names the problem type, ``status`` the HTTP status."""

    code = "api-error"
    status = 400
    headers: dict[str, str] | None = None


class Unauthenticated(ApiError):
    """Raised when a request has no bearer token, or one that is unknown, expired or revoked."""

    code = "unauthenticated"
    status = 401
    headers = {"WWW-Authenticate": 'Bearer realm="caretrail"'}  # noqa: RUF012 - constant


class Forbidden(ApiError):
    """Raised when the caller's role does not carry the permission a route declares."""

    code = "forbidden"
    status = 403


class SchoolOutOfScope(ApiError):
    """Raised when a list or a new case names a school the caller is not attached to."""

    code = "school-out-of-scope"
    status = 403


class PurposeRequired(ApiError):
    """Raised when a read that needs a stated purpose (an export) has none."""

    code = "purpose-required"
    status = 422


class IdempotencyKeyReused(ApiError):
    """Raised when an ``Idempotency-Key`` comes back with another request than the first."""

    code = "idempotency-key-reused"
    status = 422


class IdempotencyKeyInFlight(ApiError):
    """Raised when a request comes with a key whose first request is still running."""

    code = "idempotency-key-in-flight"
    status = 409
    headers = {"Retry-After": "1"}  # noqa: RUF012 - constant


class TooManyHeavyReads(ApiError):
    """Raised when a heavy read (an export) would pass the bound per person or overall."""

    code = "too-many-heavy-reads"
    status = 429
    headers = {"Retry-After": "5"}  # noqa: RUF012 - constant


class PositionUnknown(ApiError):
    """Raised when ``min_position`` lies beyond the end of the event log."""

    code = "position-unknown"
    status = 422


class SchoolRequired(ApiError):
    """Raised when a per-school read cannot tell which of the caller's schools is meant."""

    code = "school-required"
    status = 422


class VersionNotFound(ApiError):
    """Raised when a case is asked for at a version it has not reached."""

    code = "version-not-found"
    status = 404


class ViewsBehind(ApiError):
    """Raised when the read models did not reach ``min_position`` within the wait allowed."""

    code = "views-behind"
    status = 503
    headers = {"Retry-After": "1"}  # noqa: RUF012 - constant


class NotReady(ApiError):
    """Raised by the readiness probe when the store is unreachable or the views lag too far."""

    code = "not-ready"
    status = 503
