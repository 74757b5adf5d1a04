"""Certificate facts and what a verification failure means to a person. Pure.

Facts come from the DER bytes the server sent (parsed with ``cryptography``), so they
are available even when the handshake that verified the chain failed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress

from cryptography import x509
from cryptography.x509.oid import NameOID

from reconciler.desired import fingerprints
from reconciler.plan.evidence import Certificate

EXPIRY_WARNING = dt.timedelta(days=21)

# OpenSSL X509_V_ERR_* codes (ssl.SSLCertVerificationError.verify_code).
_NOT_YET_VALID = 9
_EXPIRED = 10
_DEPTH_ZERO_SELF_SIGNED = 18
_SELF_SIGNED_IN_CHAIN = 19
_UNTRUSTED_ISSUER = frozenset({2, 20, 21, 27})
_REVOKED = 23
_HOSTNAME_MISMATCH = 62
_IP_MISMATCH = 64


def fingerprint(der: bytes) -> str:
    """SHA-256 of the DER certificate as colon-separated upper-case hex pairs."""
    return fingerprints.normalise(hashlib.sha256(der).hexdigest())


def facts(der: bytes, *, trusted: bool) -> Certificate:
    """The recorded facts of a DER certificate; ``trusted`` is what the handshake proved."""
    cert = x509.load_der_x509_certificate(der)
    return Certificate(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        sans=_names(cert),
        not_after=cert.not_valid_after_utc.isoformat().replace("+00:00", "Z"),
        sha256=fingerprint(der),
        self_signed=_self_signed(cert),
        trusted=trusted,
    )


def _names(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    dns = san.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return (*dns, *ips)


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.subject != cert.issuer:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # any failure (bad signature, unsupported key) means "not"
        return False
    return True


def _day(moment: str) -> str:
    return moment[:10]


def names_for_people(cert: Certificate) -> str:
    """The names a certificate is for: its SANs, else its subject."""
    return ", ".join(cert.sans) if cert.sans else cert.subject


def verification_message(
    code: int, reason: str, host: str, cert: Certificate | None, *, pin_hint: bool = True
) -> str:
    """Turn an OpenSSL verification failure into a sentence with the next step.

    ``cert`` is None when the certificate could not be read a second time; the message
    then has no fingerprint.
    """
    pin = ""
    if pin_hint and cert is not None:
        pin = f"; set allow_non_secure_certificate and pin certificate_sha256: {cert.sha256}"
    if code in (_DEPTH_ZERO_SELF_SIGNED,) or (cert is not None and cert.self_signed):
        return f"certificate is self-signed{pin}"
    if code == _EXPIRED:
        when = f" on {_day(cert.not_after)}" if cert is not None else ""
        return f"certificate has expired{when}"
    if code == _NOT_YET_VALID:
        return "certificate is not valid yet (check the server's clock)"
    if code in (_HOSTNAME_MISMATCH, _IP_MISMATCH):
        names = names_for_people(cert) if cert is not None else "another name"
        return f"certificate is for {names}, not {host}"
    if code == _REVOKED:
        return "certificate has been revoked"
    if code in _UNTRUSTED_ISSUER or code == _SELF_SIGNED_IN_CHAIN:
        return f"certificate is not signed by a trusted CA{pin}"
    return f"certificate verification failed ({reason}){pin}"


def matches_host(cert: Certificate, host: str) -> bool:
    """Whether ``host`` is one of the certificate's names (one-label wildcards allowed)."""
    wanted = host.lower().rstrip(".")
    literal = _ip(wanted)
    for name in cert.sans or _common_names(cert):
        name = name.lower().rstrip(".")
        if literal is not None:
            if _ip(name) == literal:
                return True
        elif name == wanted or (
            name.startswith("*.") and "." in wanted and wanted.split(".", 1)[1] == name[2:]
        ):
            return True
    return False


def _common_names(cert: Certificate) -> tuple[str, ...]:
    parsed = x509.Name.from_rfc4514_string(cert.subject)
    return tuple(str(a.value) for a in parsed.get_attributes_for_oid(NameOID.COMMON_NAME))


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return None


def expiry_problem(cert: Certificate, now: dt.datetime) -> tuple[bool, str | None]:
    """(expired, sentence): expired, expiring within 21 days, or fine (False, None)."""
    not_after = dt.datetime.fromisoformat(cert.not_after.replace("Z", "+00:00"))
    if not_after <= now:
        return True, f"certificate has expired on {_day(cert.not_after)}"
    if not_after - now <= EXPIRY_WARNING:
        days = (not_after - now).days
        return False, f"certificate expires in {days} days, on {_day(cert.not_after)}"
    return False, None


def judge(
    cert: Certificate,
    *,
    trusted: bool,
    host: str,
    allow_non_secure: bool,
    pin: str | None,
    now: dt.datetime,
) -> tuple[str | None, list[str]]:
    """Decide on a certificate that completed a handshake: (problem, warnings).

    A pin that does not match is a problem, whether or not the chain was trusted. An
    untrusted certificate (only possible with ``allow_non_secure``) gets warnings for
    a wrong name, an expiry, and a missing pin; a trusted one, for being close to expiry.
    """
    warnings: list[str] = []
    if pin is not None and fingerprints.normalise(pin) != cert.sha256:
        problem = (
            f"certificate fingerprint {cert.sha256} does not match the pinned "
            f"certificate_sha256 {fingerprints.normalise(pin)}"
        )
        return problem, warnings
    _, expiry = expiry_problem(cert, now)
    if expiry is not None:
        warnings.append(expiry)
    if trusted:
        if allow_non_secure:
            warnings.append("certificate is trusted; allow_non_secure_certificate is not needed")
        return None, warnings
    if not matches_host(cert, host):
        warnings.append(
            f"certificate is for {names_for_people(cert)}, not {host} "
            "(accepted: allow_non_secure_certificate)"
        )
    if pin is None:
        warnings.append(
            f"certificate is not verified and not pinned; pin certificate_sha256: {cert.sha256}"
        )
    return None, warnings
