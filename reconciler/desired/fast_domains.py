"""Judge and resolve one domain entry read by :mod:`~reconciler.desired.fast_yaml`.

This accepts only entries that the schema (:class:`~reconciler.desired.spec.DomainSpec`)
accepts, resolves them exactly as :func:`~reconciler.desired.domain_rules.resolve_domain`
does, and only those about which :mod:`~reconciler.desired.domain_rules` would say no
error. Anything else raises :class:`~reconciler.desired.fast_yaml.Unsupported`, and the
located loader reads the file again to say what is wrong and where. A domain that
deserves a warning is marked (:attr:`Resolver.warned`); :mod:`fast_warnings` says it.
Values are normalised by the same functions the schema's validators call, so both
paths agree on every value.

Equal endpoints and credentials are shared: a host's thousand customer domains hold one
``Endpoint`` each for IMAP and SMTP, not a thousand.
"""

from __future__ import annotations

from typing import Any, cast, get_args

from reconciler.desired import fingerprints, names
from reconciler.desired.credential_env import CredentialPolicy
from reconciler.desired.domain_rules import port_warning
from reconciler.desired.fast_yaml import Unsupported
from reconciler.desired.model import (
    BUILTIN_PORTS,
    BUILTIN_SECURITY,
    Credentials,
    Endpoint,
    Protocol,
    Security,
)
from reconciler.desired.spec import Defaults, DomainSpec, EndpointDefaults, EndpointSpec

# The keys and values the schema accepts, taken from it so that the two cannot drift.
_DOMAIN_KEYS = frozenset(DomainSpec.model_fields)
_ENDPOINT_KEYS = frozenset(EndpointSpec.model_fields)
_SECURITY: frozenset[str] = frozenset(get_args(Security))


class Resolver:
    """Resolves the entries of one load against the defaults and policy in force."""

    def __init__(
        self, defaults: Defaults | None, has_ranges: bool, credentials: CredentialPolicy
    ) -> None:
        self._defaults = {
            "imap": defaults.imap if defaults else None,
            "smtp": defaults.smtp if defaults else None,
        }
        self.has_ranges = has_ranges
        self._policy = credentials
        self._endpoints: dict[tuple[str, str, int, str], Endpoint] = {}
        self._credentials: dict[tuple[str, str], Credentials] = {}
        self.warned = False  # the last domain resolved deserves a warning

    def domain(self, name: str, entry: Any) -> dict[str, Any]:
        """The resolved fields of domain ``name`` (a ``Domain`` model's input);
        :attr:`warned` says whether it deserves a warning."""
        self.warned = False
        if type(entry) is not dict or not entry.keys() <= _DOMAIN_KEYS:
            raise Unsupported("domain keys")
        imap = self._endpoint(name, "imap", entry.get("imap"))
        smtp = self._endpoint(name, "smtp", entry.get("smtp"))
        insecure = entry.get("allow_non_secure_certificate", False)
        static = entry.get("use_static_ip_addresses", False)
        if type(insecure) is not bool or type(static) is not bool:
            raise Unsupported("flag")
        if static and not self.has_ranges:
            raise Unsupported("static addresses without ranges")
        pin = entry.get("certificate_sha256")
        if pin is not None:
            if type(pin) is not str or not fingerprints.is_sha256(pin):
                raise Unsupported("pin")
            if imap.security == smtp.security == "none":
                raise Unsupported("pin without TLS")
            pin = fingerprints.normalise(pin)
        return {
            "name": name,
            "imap": imap,
            "smtp": smtp,
            "allow_non_secure_certificate": insecure,
            "certificate_sha256": pin,
            "use_static_ip_addresses": static,
            "credentials": self._login(entry.get("credentials")),
        }

    def _endpoint(self, name: str, protocol: Protocol, raw: Any) -> Endpoint:
        if type(raw) is not dict or "host" not in raw or not raw.keys() <= _ENDPOINT_KEYS:
            raise Unsupported("endpoint keys")
        host, port, security = raw["host"], raw.get("port"), raw.get("security")
        if type(host) is not str:
            raise Unsupported("host")
        if port is not None and (type(port) is not int or not 1 <= port <= 65535):
            raise Unsupported("port")
        if security is not None and (type(security) is not str or security not in _SECURITY):
            raise Unsupported("security")
        defaults: EndpointDefaults | None = self._defaults[protocol]
        written = cast(Security | None, security)  # one of _SECURITY, checked above
        chosen: Security = written or (defaults and defaults.security) or BUILTIN_SECURITY
        number = port or (defaults and defaults.port) or BUILTIN_PORTS[(protocol, chosen)]
        if chosen == "none" or port_warning(name, protocol, number, chosen) is not None:
            self.warned = True  # said, and located, by fast_warnings
        key = (protocol, host, number, chosen)
        found = self._endpoints.get(key)
        if found is None:
            try:
                normal = names.normalise_host(host)
            except names.NameProblem:
                raise Unsupported("host") from None
            found = Endpoint(host=normal, port=number, security=chosen)
            self._endpoints[key] = found
        return found

    def _login(self, raw: Any) -> Credentials | None:
        if raw is None:
            return None
        if type(raw) is not dict or raw.keys() != {"username_env", "password_env"}:
            raise Unsupported("credentials")
        user, password = raw["username_env"], raw["password_env"]
        if type(user) is not str or type(password) is not str:
            raise Unsupported("credentials")
        found = self._credentials.get((user, password))
        if found is None:
            try:
                for key, value in (("username_env", user), ("password_env", password)):
                    names.check_env_name(value)
                    if self._policy.refusal(f"credentials.{key}", value) is not None:
                        raise Unsupported("credential policy")
            except names.NameProblem:
                raise Unsupported("env name") from None
            found = Credentials(username_env=user, password_env=password)
            self._credentials[(user, password)] = found
        return found
