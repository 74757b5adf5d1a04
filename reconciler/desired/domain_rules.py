"""One domain entry resolved against the file's defaults and judged: built-in ports and
security filled in; warnings for plain-text endpoints, for a port that is the other
protocol's, and for a security mode at odds with its well-known port; errors for static
addresses without ranges, for a pinned certificate without TLS, and for credential
variables the operator's policy refuses."""

from __future__ import annotations

from typing import Any

from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.findings import Findings
from reconciler.desired.model import BUILTIN_PORTS, BUILTIN_SECURITY, Protocol, Security
from reconciler.desired.spec import Defaults, DomainSpec, EndpointDefaults, EndpointSpec
from reconciler.desired.yamlsource import Locator, YamlDocument

# Domains are resolved as plain dicts and validated into the resolved models in one
# call at the end: one pass in pydantic's core is far cheaper than 30,000 small model
# constructions (model_construct is slower still, being pure Python).


def _endpoint(
    protocol: Protocol, spec: EndpointSpec, defaults: EndpointDefaults | None
) -> dict[str, Any]:
    security = spec.security or (defaults and defaults.security) or BUILTIN_SECURITY
    port = spec.port or (defaults and defaults.port) or BUILTIN_PORTS[(protocol, security)]
    return {"host": spec.host, "port": port, "security": security}


def resolve_domain(name: str, spec: DomainSpec, defaults: Defaults | None) -> dict[str, Any]:
    return {
        "name": name,
        "imap": _endpoint("imap", spec.imap, defaults.imap if defaults else None),
        "smtp": _endpoint("smtp", spec.smtp, defaults.smtp if defaults else None),
        "allow_non_secure_certificate": spec.allow_non_secure_certificate,
        "certificate_sha256": spec.certificate_sha256,
        "use_static_ip_addresses": spec.use_static_ip_addresses,
        "credentials": spec.credentials,
    }


# Well-known ports: the protocol each serves and the security mode its standard fixes
# (None: the port says nothing about security; 25 is SMTP relay, plain or STARTTLS).
_WELL_KNOWN: dict[int, tuple[Protocol, Security | None]] = {
    993: ("imap", "ssl"),
    143: ("imap", "starttls"),
    465: ("smtp", "ssl"),
    587: ("smtp", "starttls"),
    25: ("smtp", None),
}
_SERVES = {
    "imap": "IMAP listens on 993 (security: ssl) or 143 (security: starttls)",
    "smtp": "SMTP submission listens on 465 (security: ssl) or 587 (security: starttls)",
}


def port_warning(
    name: str, protocol: Protocol, port: int, security: Security
) -> tuple[str, str] | None:
    """(message, hint) when ``port`` is another protocol's well-known port, or when its
    standard fixes another security mode than ``security``; None when they agree."""
    known = _WELL_KNOWN.get(port)
    if known is None:
        return None
    serves, expected = known
    if serves != protocol:
        return (
            f"{protocol} of {name} uses port {port}, which is the {serves.upper()} port",
            f"check the port: {_SERVES[protocol]}",
        )
    if expected is None or security in ("none", expected):
        return None
    return (
        f"{protocol} of {name} uses security {security} on port {port}, where "
        f"{protocol.upper()} uses {expected}",
        f"set security: {expected}, or the port the server uses for {security} "
        f"({BUILTIN_PORTS[(protocol, security)]} by standard)",
    )


def check_domain(
    domain: dict[str, Any], doc: Locator, raw_key: str, has_ranges: bool, out: Findings
) -> None:
    name = domain["name"]
    protocol: Protocol
    for protocol in ("imap", "smtp"):
        endpoint = domain[protocol]
        security, port = endpoint["security"], endpoint["port"]
        if security == "none":
            out.warn(
                doc.locate(("domains", raw_key, protocol), key=True),
                f"{protocol} of {name} uses security: none: passwords and mail "
                "cross the network unencrypted",
                "use ssl or starttls unless the server cannot",
            )
        mismatch = port_warning(name, protocol, port, security)
        if mismatch is not None:
            out.warn(doc.locate(("domains", raw_key, protocol), key=True), *mismatch)
    if domain["use_static_ip_addresses"] and not has_ranges:
        out.error(
            doc.locate(("domains", raw_key, "use_static_ip_addresses"), key=True),
            f"{name} uses static IP addresses, but connection_ips lists no ranges",
            "list the service's egress ranges under connection_ips.ranges or .feeds",
        )
    no_tls = domain["imap"]["security"] == domain["smtp"]["security"] == "none"
    if domain["certificate_sha256"] and no_tls:
        out.error(
            doc.locate(("domains", raw_key, "certificate_sha256"), key=True),
            f"{name} pins a certificate, but neither endpoint uses TLS",
            "remove certificate_sha256 or set security to ssl or starttls",
        )


def check_credentials(
    spec: DomainSpec, doc: YamlDocument, raw_key: str, policy: CredentialPolicy, out: Findings
) -> None:
    """Refuse credential variables the operator's policy does not allow: the file must
    not choose which of the environment's secrets a check sends to a server."""
    if spec.credentials is None:
        return
    for key in ("username_env", "password_env"):
        refused = policy.refusal(f"credentials.{key}", getattr(spec.credentials, key))
        if refused is not None:
            out.error(doc.locate(("domains", raw_key, "credentials", key)), *refused)
