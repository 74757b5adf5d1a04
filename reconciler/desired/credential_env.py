"""Which environment variables a domains file may name as credentials. Pure.

``credentials.username_env`` and ``password_env`` tell the live checks which
variables to read a login from, and the checks send that value to the server the same
file names. Whoever edits the file (a pull request) would otherwise choose which of
CI's secrets is sent where: ``password_env: MAILCTL_STATE`` sent the store's URL as a
LOGIN password. So the choice is split:

* the operator, outside the file, allows names with ``MAILCTL_CREDENTIAL_ENV``: exact
  names and ``PREFIX*`` prefixes, separated by commas or white space. Unset, it is
  ``MAIL_LOGIN_*``: only variables set for this purpose are usable. Set but empty,
  no variable is (logins are not checked);
* some names are never usable, whatever the setting says (:data:`DENIED`):
  mailctl's own ``MAILCTL_*`` variables, and the secrets that CI systems, clouds,
  databases and package registries keep in the environment.

A refused name is an input error at its line (``reconciler.desired.loader``), and is judged
again where the checks read the environment, so a name that reached the checks some
other way (a stored state, a saved plan) is never read either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.errors import InputError, Location

SETTING = "MAILCTL_CREDENTIAL_ENV"
DEFAULT_SETTING = "MAIL_LOGIN_*"

# Never usable as a credential: name, or PREFIX*, -> what such a variable is.
# Compared case-insensitively (the environment of Windows runners is).
DENIED: dict[str, str] = {
    "MAILCTL_*": "one of mailctl's own variables (the store URL, its settings, its keys)",
    "GITHUB_*": "a GitHub Actions variable (GITHUB_TOKEN)",
    "ACTIONS_*": "a GitHub Actions runtime token",
    "RUNNER_*": "a GitHub Actions runner variable",
    "INPUT_*": "an input of a GitHub Action (tokens among them)",
    "GH_*": "a GitHub CLI token",
    "CI_*": "a GitLab CI variable (CI_JOB_TOKEN)",
    "GITLAB_*": "a GitLab variable",
    "BITBUCKET_*": "a Bitbucket Pipelines variable",
    "CIRCLE_*": "a CircleCI variable",
    "BUILDKITE_*": "a Buildkite variable",
    "TRAVIS_*": "a Travis CI variable",
    "JENKINS_*": "a Jenkins variable",
    "SYSTEM_ACCESSTOKEN": "the Azure Pipelines job token",
    "AWS_*": "an AWS credential",
    "AZURE_*": "an Azure credential",
    "ARM_*": "an Azure Resource Manager credential",
    "GOOGLE_*": "a Google Cloud credential",
    "GCLOUD_*": "a Google Cloud credential",
    "CLOUDSDK_*": "a Google Cloud SDK setting",
    "PG*": "a PostgreSQL client variable (PGPASSWORD, the store's login)",
    "DATABASE_URL": "a database URL",
    "MYSQL_*": "a MySQL credential",
    "VAULT_*": "a HashiCorp Vault token",
    "DOCKER_*": "a Docker registry credential",
    "NPM_*": "an npm registry token",
    "NODE_AUTH_TOKEN": "an npm registry token",
    "PYPI_*": "a PyPI token",
    "TWINE_*": "a PyPI upload credential",
    "SSH_*": "an SSH agent or key",
    "GIT_*": "a Git setting (askpass, credentials)",
    "TF_*": "a Terraform or OpenTofu setting (TF_TOKEN_*)",
    "CLOUDFLARE_*": "a Cloudflare API token",
}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def denied(name: str) -> str | None:
    """What ``name`` is when it is never usable (:data:`DENIED`), else None."""
    upper = name.upper()
    for pattern, what in DENIED.items():
        stem = pattern.removesuffix("*")
        if upper.startswith(stem) if pattern.endswith("*") else upper == pattern:
            return what
    return None


@dataclass(frozen=True)
class CredentialPolicy:
    """The names (``names``) and prefixes (``prefixes``) the operator allows."""

    names: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ("MAIL_LOGIN_",)

    @property
    def setting(self) -> str:
        """The policy as the value of ``MAILCTL_CREDENTIAL_ENV``."""
        return " ".join([*(p + "*" for p in self.prefixes), *sorted(self.names)])

    def allows(self, name: str) -> bool:
        return name in self.names or any(
            name.startswith(p) and len(name) > len(p) for p in self.prefixes
        )

    def refusal(self, field: str, name: str) -> tuple[str, str] | None:
        """(message, hint) when ``name`` may not be read for ``field`` (a key such as
        ``credentials.password_env``); None when it may."""
        what = denied(name)
        if what is not None:
            return (
                f"{field} names {name}, {what}: never usable as a mail login, "
                f"whatever {SETTING} allows",
                f"set the login in a variable of its own, e.g. {self._example(field)}, "
                "in the job that runs mailctl, and name that",
            )
        if self.allows(name):
            return None
        allowed = self.setting or "nothing: logins are not checked"
        return (
            f"{field} names {name}, which is not allowed for credentials (allowed: {allowed})",
            f"name a variable such as {self._example(field)}, or ask the operator to allow "
            f"{name} in {SETTING}, outside the domains file",
        )

    def _example(self, field: str) -> str:
        prefix = self.prefixes[0] if self.prefixes else "MAIL_LOGIN_"
        return prefix + ("PASSWORD" if field.endswith("password_env") else "USER")

    @classmethod
    def parse(cls, setting: str) -> CredentialPolicy:
        """The policy that ``setting`` (``MAILCTL_CREDENTIAL_ENV``'s value) describes;
        raises InputError when an item is not a name or a ``PREFIX*``."""
        names: set[str] = set()
        prefixes: list[str] = []
        for item in re.split(r"[\s,]+", setting.strip()):
            if not item:
                continue
            stem = item.removesuffix("*")
            if not _NAME.fullmatch(stem):
                raise InputError.single(
                    Location(f"${SETTING}"),
                    f"{item!r} is neither a variable name nor a PREFIX* "
                    "(a bare * would let a domains file pick any variable)"
                    if item.startswith("*")
                    else f"{item!r} is neither a variable name nor a PREFIX*",
                    f"list names or prefixes, e.g. {SETTING}='{DEFAULT_SETTING} LEGACY_USER'",
                )
            if item.endswith("*"):
                prefixes.append(stem)
            else:
                names.add(item)
        return cls(frozenset(names), tuple(dict.fromkeys(prefixes)))

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CredentialPolicy:
        """The policy that ``env`` sets (the default when ``MAILCTL_CREDENTIAL_ENV`` is
        unset); raises InputError for a malformed setting."""
        return cls.parse(env.get(SETTING, DEFAULT_SETTING))


DEFAULT = CredentialPolicy()
