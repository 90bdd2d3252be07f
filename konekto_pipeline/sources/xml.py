"""Reading the programs' XML exports (JPK, KEDU) safely and by local name.

Namespaces differ between form versions (and two circulated for some JPK variants), so elements
are matched by their local names only. Files are parsed without expanding entities or DTDs: a
"billion laughs" file or an external entity fails at once instead of hanging or leaking a file.
"""

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import parse as parse_xml


class XmlFileError(Exception):
    """A file that is not usable XML; `message` says why in words an office can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_file(path: Path) -> Element:
    """The root element of an XML file, or XmlFileError saying what is wrong with it."""
    try:
        return parse_xml(str(path)).getroot()
    except DefusedXmlException as error:
        raise XmlFileError(f"the file declares XML entities or a DTD, refused ({error})") from None
    except ParseError as error:
        raise XmlFileError(f"not well-formed XML, perhaps truncated ({error})") from None
    except OSError as error:
        raise XmlFileError(f"cannot be read ({error.strerror})") from None


def split_tag(tag: object) -> tuple[str, str]:
    """`{namespace}Name` -> (namespace, Name); comments and processing instructions have neither."""
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def local_name(tag: object) -> str:
    return split_tag(tag)[1]


def children(parent: Element, name: str) -> Iterator[Element]:
    return (child for child in parent if local_name(child.tag) == name)


def child(parent: Element, name: str) -> Element | None:
    return next(children(parent, name), None)


def text_at(element: Element, *path: str) -> str | None:
    """Stripped text at a path of local names below `element`, or None if absent or empty."""
    for name in path:
        found = child(element, name)
        if found is None:
            return None
        element = found
    return (element.text or "").strip() or None
