"""What a check of one endpoint asks for and what it found. Values, no I/O.

Evidence is attached to plans (so it is part of the plan document and its schema):
it must never hold a secret. Credentials appear only as the *names* of environment
variables, and only in the request.

Much of the evidence is text a server chose. The checks pass it through
``servertext`` (scrubbed, escaped, cut, quoted); as the last line of defence, every
string of a result is also validated here: control and invisible characters escaped,
each string and each tuple cut to a bound. That validation is idempotent, so a saved
plan loads to exactly the evidence it was saved with.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from reconciler.plan.servertext import printable

Protocol = Literal["imap", "smtp"]
Security = Literal["ssl", "starttls", "none"]
Verdict = Literal["passed", "failed", "refused"]
Step = Literal[
    "resolve",
    "guard",
    "connect",
    "greeting",
    "capability",
    "starttls",
    "tls",
    "certificate",
    "login",
    "logout",
    "deadline",
]


def _text(limit: int) -> AfterValidator:
    return AfterValidator(lambda value: printable(value, limit))


def _first(count: int) -> BeforeValidator:
    def first(value: Any) -> Any:
        return tuple(value[:count]) if isinstance(value, list | tuple) else value

    return BeforeValidator(first)


Word = Annotated[str, _text(100)]  # a version, cipher, address, fingerprint, date
Sentence = Annotated[str, _text(1000)]  # a warning; a certificate name
Message = Annotated[str, _text(2000)]
Words = Annotated[tuple[Word, ...], _first(100)]  # capabilities, mechanisms, addresses
Names = Annotated[tuple[Annotated[str, _text(300)], ...], _first(100)]  # DNS names: 253
Sentences = Annotated[tuple[Sentence, ...], _first(50)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckTarget(_Frozen):
    """One endpoint to check. Many domains sharing a server share one target."""

    protocol: Protocol
    host: str
    port: int
    security: Security
    allow_non_secure_certificate: bool = False
    certificate_sha256: str | None = None
    username_env: str | None = None
    password_env: str | None = None

    @property
    def key(self) -> str:
        return f"{self.protocol}://{self.host}:{self.port}/{self.security}"


class Certificate(_Frozen):
    subject: Sentence
    issuer: Sentence
    sans: Names = ()
    not_after: Word = Field(description="ISO 8601, UTC.")
    sha256: Word = Field(description="Fingerprint, colon-separated upper-case hex pairs.")
    self_signed: bool = False
    trusted: bool = Field(description="Verified against the CA bundle and the host name.")


class Timing(_Frozen):
    step: Step
    milliseconds: float


class CheckResult(_Frozen):
    target: CheckTarget
    verdict: Verdict
    failed_step: Step | None = None
    message: Message = Field(default="", description="For a person: what failed and what to do.")
    warnings: Sentences = ()
    addresses: Words = Field(default=(), description="Addresses resolved and tried.")
    tried_addresses: Words = Field(
        default=(), description="Addresses a connection was attempted to, in order."
    )
    connected_address: Word | None = None
    tls_version: Word | None = None
    cipher: Word | None = None
    certificate: Certificate | None = None
    capabilities: Words = ()
    auth_mechanisms: Words = ()
    login_disabled: bool = False
    logged_in: bool | None = Field(default=None, description="None: no login attempted.")
    timings: tuple[Timing, ...] = ()

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"
