"""Domain errors: each names the rule that was broken; the API maps them to status codes."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error the domain raises on purpose. A subclass names its stable `code`
    (what the API and the console key on) in its class statement: `class X(DomainError,
    code="x")`."""

    code: ClassVar[str] = "domain_error"

    def __init_subclass__(cls, code: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.code = code

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError, code="not_found"): ...


class AlreadyExists(DomainError, code="already_exists"): ...


class InvalidTransition(DomainError, code="invalid_transition"):
    """A command that the aggregate's current status does not allow."""

    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"cannot {action} while status is {status!r}", details={"status": status})


class VersionConflict(DomainError, code="version_conflict"):
    def __init__(self, expected: int | None, actual: int | None) -> None:
        if actual is None:
            message = f"another command recorded version {(expected or 0) + 1} first"
        else:
            message = f"expected version {expected}, but the current version is {actual}"
        super().__init__(message, details={"expected": expected, "current": actual})


class InvalidDeadline(DomainError, code="invalid_deadline"): ...


class UnitInactive(DomainError, code="unit_inactive"): ...


class UnknownReference(DomainError, code="unknown_reference"):
    """A command names a unit, work item or other record that does not exist."""


class InvalidValue(DomainError, code="invalid_value"): ...


class PermissionDenied(DomainError, code="forbidden"): ...


class FormNotForSubject(DomainError, code="form_not_for_subject"):
    """A form of accountability the regulations do not provide for this kind of subject."""


class AppealWindowClosed(DomainError, code="appeal_window_closed"):
    """An appeal lodged after the time allowed from the decision's service (送达)."""


class TolerancePending(DomainError, code="tolerance_pending"):
    """An accountability decision while the fault-tolerance application paired with it is
    undecided (容错认定在先)."""


class PairedRulingDecided(DomainError, code="paired_ruling_decided"):
    """An appeal decision on a fault-tolerance ruling that the accountability ruling paired
    with it no longer allows: closed on the exemption, or decided meanwhile."""


class FormExceedsMitigation(DomainError, code="form_exceeds_mitigation"):
    """A form heavier than a 从轻 fault-tolerance decision on the same case allows."""


class ExcludedFromTolerance(DomainError, code="excluded_from_tolerance"):
    """免责 or 从轻 decided where a case of the negative list (负面清单) was found."""


class FrequencyReached(DomainError, code="spot_check_frequency_reached"):
    """A round of a 随机抽查事项 beyond the rounds a year its 细则 allows (抽查频次)."""


class RenderingUnavailable(DomainError, code="rendering_unavailable"):
    """The machine lacks what renders documents (Pango and its fonts, for PDF)."""
