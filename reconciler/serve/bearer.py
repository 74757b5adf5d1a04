"""The bearer token that opens the writing endpoints, where it comes from and how a
request is checked against it.

The token is read from a file (``--token-file``) or, without one, from
``$MAILCTL_SERVE_TOKEN``. A file that its group or others may read is refused, as ssh
refuses such a key. The token must be a token68 (RFC 7235: letters, digits and
``-._~+/``, then ``=`` padding) of at least :data:`MIN_LENGTH` characters, so that it
can be sent as it is and cannot be guessed. A request is compared with it in constant
time (``hmac.compare_digest``). Nothing here ever puts the token into a message.
"""

from __future__ import annotations

import hmac
import re
import stat
from collections.abc import Mapping
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from reconciler.errors import InputError, Location
from reconciler.serve.respond import problem

ENV_TOKEN = "MAILCTL_SERVE_TOKEN"
ENV_TOKEN_FILE = "MAILCTL_SERVE_TOKEN_FILE"
MIN_LENGTH = 16
MAX_FILE_BYTES = 4096
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_MAKE_ONE = "make one with: openssl rand -hex 32"

CHALLENGE = 'Bearer realm="mailctl"'
NO_TOKEN = "this endpoint needs a bearer token (Authorization: Bearer TOKEN)"
WRONG_TOKEN = "the bearer token is not the one configured"


def load_token(env: Mapping[str, str]) -> str | None:
    """The configured token: from the file ``$MAILCTL_SERVE_TOKEN_FILE`` names, else
    ``$MAILCTL_SERVE_TOKEN``; None when neither is set. InputError (naming the file or
    the variable, never the token) when it is unusable."""
    file = env.get(ENV_TOKEN_FILE)
    if file:
        return _checked(_read(Path(file)), Location(file))
    token = env.get(ENV_TOKEN)
    return _checked(token, Location(f"${ENV_TOKEN}")) if token is not None else None


def _read(path: Path) -> str:
    where = Location(str(path))
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
            raise InputError.single(where, "is not a token file", "give a file holding the token")
        if info.st_mode & 0o077:
            mode = oct(stat.S_IMODE(info.st_mode))[2:]
            raise InputError.single(
                where,
                f"may be read by its group or others (mode {mode})",
                f"chmod 600 {path}",
            )
        return path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise InputError.single(where, f"cannot read the file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError.single(where, "holds other than ASCII text", _MAKE_ONE) from None


def _checked(token: str, where: Location) -> str:
    token = token.strip()
    if not _TOKEN68.fullmatch(token):
        raise InputError.single(
            where, "the token must be letters, digits and -._~+/ only", _MAKE_ONE
        )
    if len(token) < MIN_LENGTH:
        raise InputError.single(
            where, f"the token must be at least {MIN_LENGTH} characters", _MAKE_ONE
        )
    return token


def refusal(request: Request, token: str) -> Response | None:
    """None when the request carries ``token``; else 401 (no bearer token, with the
    challenge) or 403 (another token)."""
    scheme, _, given = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        response = problem(401, NO_TOKEN)
        response.headers["WWW-Authenticate"] = CHALLENGE
        return response
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return problem(403, WRONG_TOKEN)
    return None
