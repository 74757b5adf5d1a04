"""Whether a resolved domain is one the loader could have produced. Pure.

The resolved model (``desired.model.Domain``) holds what the loader made of a domains
file, so its fields are plain strings and numbers. A domain that arrives some other way
(a saved plan's target, which anyone can edit and seal again) is judged here by the
loader's own rules: names and hosts in their normalised form, ports 1-65535, a pin as
64 hex digits in colon pairs, environment variable names.
"""

from __future__ import annotations

from reconciler.desired import fingerprints, names
from reconciler.desired.model import Domain, Endpoint


def _endpoint(protocol: str, endpoint: Endpoint) -> list[str]:
    found = []
    try:
        written = names.normalise_host(endpoint.host)
    except names.NameProblem as problem:
        found.append(f"{protocol}.host {endpoint.host!r}: {problem.message}")
    else:
        if written != endpoint.host:
            found.append(f"{protocol}.host {endpoint.host!r} is not written as {written!r}")
    if isinstance(endpoint.port, bool) or not 1 <= endpoint.port <= 65535:
        found.append(f"{protocol}.port {endpoint.port!r} is no port (1-65535)")
    return found


def domain_problems(domain: Domain) -> list[str]:
    """What in ``domain`` no domains file could have produced (empty: nothing)."""
    found = []
    try:
        written = names.normalise_domain(domain.name)
    except names.NameProblem as problem:
        found.append(f"the name {domain.name!r}: {problem.message}")
    else:
        if written != domain.name:
            found.append(f"the name {domain.name!r} is not written as {written!r}")
    found += _endpoint("imap", domain.imap) + _endpoint("smtp", domain.smtp)
    pin = domain.certificate_sha256
    if pin is not None and (not fingerprints.is_sha256(pin) or fingerprints.normalise(pin) != pin):
        found.append(f"certificate_sha256 {pin!r} is not a SHA-256 fingerprint in colon pairs")
    if domain.credentials is not None:
        for env in (domain.credentials.username_env, domain.credentials.password_env):
            try:
                names.check_env_name(env)
            except names.NameProblem as problem:
                found.append(f"credentials: {problem.message}")
    return found
