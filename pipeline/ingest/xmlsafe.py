"""Safe, incremental XML reading for every XML reader.

``iter_children`` reads a binary stream in chunks through defusedxml's expat parser and
yields each completed child of the root element, then drops it, so a file of any size is
never held whole. Entity declarations (billion laughs), external entities and DTDs that
point outside the file are refused with ``InputError('xml_entities')``. A document that
is not well formed raises ``XmlBroken``, which says where, and how far the input was read
cleanly, so a reader can keep what came before.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import BinaryIO

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from pipeline.records import InputError

CHUNK = 1 << 16
TAIL_CAP = 1 << 20  # bytes of an unreadable tail kept for quarantine


class XmlBroken(Exception):
    """The XML is not well formed (or ends early) at ``line``/``column``.

    ``clean_offset`` is the byte offset just after the last child of the root that was
    read completely (0 if none).
    """

    def __init__(self, message: str, line: int, column: int, clean_offset: int):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.clean_offset = clean_offset


class _Target:
    """TreeBuilder front that hands out each finished child of the root, with its offset."""

    def __init__(self) -> None:
        self._tb = ET.TreeBuilder()
        self._depth = 0
        self._root: ET.Element | None = None
        self.expat = None
        self.done: list[tuple[ET.Element, int]] = []

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        el = self._tb.start(tag, attrs)
        self._depth += 1
        if self._depth == 1:
            self._root = el
        return el

    def end(self, tag: str) -> ET.Element:
        el = self._tb.end(tag)
        self._depth -= 1
        if self._depth == 1 and self._root is not None:
            self.done.append((el, self.expat.CurrentByteIndex))
            self._root.remove(el)  # keep memory flat: the root never accumulates entries
        return el

    def data(self, text: str) -> None:
        self._tb.data(text)

    def close(self) -> ET.Element | None:
        return self._tb.close()

    @property
    def root_tag(self) -> str | None:
        return self._root.tag if self._root is not None else None


def _refuse_external_dtd(name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool) -> None:
    if sysid or pubid:
        raise ExternalReferenceForbidden(None, None, sysid, pubid)


def iter_children(fh: BinaryIO, root_tags: tuple[str, ...] = ()) -> Iterator[tuple[ET.Element, int]]:
    """Yield ``(child, end_offset)`` for each completed child of the root element.

    ``end_offset`` is the byte offset (from the stream's start position) of the child's
    closing tag. Raises InputError('xml_entities') for unsafe XML, InputError('not_xml_feed')
    when the root is not one of ``root_tags`` (if given), XmlBroken when not well formed.
    """
    target = _Target()
    parser = DefusedXMLParser(target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    target.expat = parser.parser
    parser.parser.StartDoctypeDeclHandler = _refuse_external_dtd
    last_clean = 0
    try:
        while True:
            chunk = fh.read(CHUNK)
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
            if root_tags and target.root_tag is not None and target.root_tag not in root_tags:
                raise InputError("not_xml_feed", f"XML root is <{_local(target.root_tag)}>, not an Atom <feed>")
            for el, offset in target.done:
                last_clean = offset
                yield el, offset
            target.done.clear()
            if not chunk:
                return
    except EntitiesForbidden as exc:
        raise InputError("xml_entities", f"XML declares an entity (<!ENTITY {exc.name}>); refused: "
                                         "entity expansion and external entities are unsafe") from None
    except ExternalReferenceForbidden as exc:
        raise InputError("xml_entities", f"XML refers to an external resource ({exc.sysid or exc.pubid}); "
                                         "refused: external entities and DTDs are not loaded") from None
    except (DTDForbidden, DefusedXmlException) as exc:
        raise InputError("xml_entities", f"unsafe XML refused ({type(exc).__name__})") from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        message = str(exc).split(":")[0].strip() or "not well-formed"
        raise XmlBroken(message, line, column, last_clean) from None


def read_tail(fh: BinaryIO, start: int, offset: int) -> bytes:
    """The bytes after the closing tag at ``offset`` (relative to ``start``), capped."""
    try:
        fh.seek(start + offset)
    except (OSError, ValueError):
        return b""
    tail = fh.read(TAIL_CAP)
    if offset:
        close = tail.find(b">")
        tail = tail[close + 1:] if close >= 0 else tail
    return tail.lstrip()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


__all__ = ["XmlBroken", "iter_children", "read_tail"]
