"""A small, located, defensive XML reader for autoconfig files.

Autoconfig XML comes from outside (the public ISPDB, a provider's web server, a file a
colleague sent), so it is parsed as untrusted input:

* **No DTD at all.** A document type declaration is refused before its internal
  subset is read, so no entity can be declared: no "billion laughs" expansion, no
  quadratic blow-up, no external entity or file read. The autoconfig format never
  uses a DTD, so nothing legitimate is lost. (This is what ``defusedxml`` does too;
  doing it here with the standard library's expat keeps mailctl free of a
  dependency and gives the line numbers below.)
* **Bounded.** Files over :data:`MAX_FILE_BYTES` and documents with more than
  :data:`MAX_ELEMENTS` elements are refused.
* **Located.** Every element keeps its ``line`` and ``column`` (1-based), so a bad
  host name or port is reported at ``file:line:column``, as in ``domains.yaml``.

The tree is deliberately minimal: tag, attributes, text of leaf elements, children.
"""

from __future__ import annotations

import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import InputError, Location

MAX_FILE_BYTES = 4 * 1024 * 1024  # ISPDB files are a few kB; the largest is ~10 kB
MAX_ELEMENTS = 100_000


@dataclass(slots=True)
class Element:
    tag: str
    attrs: dict[str, str]
    line: int
    column: int
    children: list[Element] = field(default_factory=list)
    _text: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The element's own character data, white space at both ends stripped."""
        return "".join(self._text).strip()

    def find_all(self, tag: str) -> list[Element]:
        return [child for child in self.children if child.tag == tag]

    def find(self, tag: str) -> Element | None:
        for child in self.children:
            if child.tag == tag:
                return child
        return None

    def location(self, file: str) -> Location:
        return Location(file, self.line, self.column)


class _Refused(Exception):
    def __init__(self, message: str, hint: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line
        self.column = column


def _too_big(file: str, size: int) -> InputError:
    return InputError.single(
        Location(file),
        f"file is {size:,} bytes; autoconfig files over {MAX_FILE_BYTES:,} bytes are refused",
        "an autoconfig file describes one provider and is a few kilobytes",
    )


def parse(data: bytes, file: str) -> Element:
    """Parse ``data`` (the bytes of ``file``) into a located tree, or raise InputError."""
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(file, len(data))
    parser = xml.parsers.expat.ParserCreate()
    stack: list[Element] = []
    roots: list[Element] = []
    count = 0

    def here() -> tuple[int, int]:
        return parser.CurrentLineNumber, parser.CurrentColumnNumber + 1

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal count
        count += 1
        if count > MAX_ELEMENTS:
            raise _Refused(
                f"more than {MAX_ELEMENTS:,} elements",
                "an autoconfig file describes one provider and has a few dozen",
                *here(),
            )
        element = Element(tag, attrs, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
        if stack:
            stack[-1].children.append(element)
        else:
            roots.append(element)
        stack.append(element)

    def end(tag: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1]._text.append(data)

    def doctype(*_: object) -> None:
        raise _Refused(
            "a document type declaration (<!DOCTYPE …>) is not allowed",
            "autoconfig files have no DTD; one could declare entities that expand without "
            "bound, so mailctl refuses any",
            *here(),
        )

    def entity(*_: object) -> None:
        raise _Refused("entity declarations are not allowed", "remove the <!ENTITY …>", *here())

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    try:
        parser.Parse(data, True)
    except _Refused as refused:
        where = Location(file, refused.line, refused.column)
        raise InputError.single(where, refused.message, refused.hint) from None
    except xml.parsers.expat.ExpatError as exc:
        message = xml.parsers.expat.ErrorString(exc.code)
        raise InputError.single(
            Location(file, exc.lineno, exc.offset + 1),
            f"malformed XML: {message}",
            "fix the file (is it really an autoconfig XML file?)",
        ) from None
    return roots[0]


def parse_file(path: Path) -> Element:
    """Read and parse one file; a file that cannot be read is an InputError too."""
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _too_big(file, size)
        data = path.read_bytes()
    except OSError as exc:
        raise InputError.single(
            Location(file), f"cannot read the file: {exc.strerror}", "check the path"
        ) from None
    return parse(data, file)
