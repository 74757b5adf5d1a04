"""What a check of one endpoint asks for and what it found. Values, no I/O.

Evidence is attached to plans (so it is part of the plan document and its schema):
it must never hold a secret. Credentials appear only as the *names* of environment
variables, and only in the request.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
    subject: str
    issuer: str
    sans: tuple[str, ...] = ()
    not_after: str = Field(description="ISO 8601, UTC.")
    sha256: str = Field(description="Fingerprint, colon-separated upper-case hex pairs.")
    self_signed: bool = False
    trusted: bool = Field(description="Verified against the CA bundle and the host name.")


class Timing(_Frozen):
    step: Step
    milliseconds: float


class CheckResult(_Frozen):
    target: CheckTarget
    verdict: Verdict
    failed_step: Step | None = None
    message: str = Field(default="", description="For a person: what failed and what to do.")
    warnings: tuple[str, ...] = ()
    addresses: tuple[str, ...] = Field(default=(), description="Addresses resolved and tried.")
    tried_addresses: tuple[str, ...] = Field(
        default=(), description="Addresses a connection was attempted to, in order."
    )
    connected_address: str | None = None
    tls_version: str | None = None
    cipher: str | None = None
    certificate: Certificate | None = None
    capabilities: tuple[str, ...] = ()
    auth_mechanisms: tuple[str, ...] = ()
    login_disabled: bool = False
    logged_in: bool | None = Field(default=None, description="None: no login attempted.")
    timings: tuple[Timing, ...] = ()

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"
