"""
XMP for the credit: the packet of our own that carries it into stored files, and the credit
read from an upload's packet. What is kept and why is images/metadata.py's.
"""

import re
from collections.abc import Mapping
from xml.etree import ElementTree
from xml.sax.saxutils import escape

# Lightroom's packets run to tens of KB (edit history included); JPEG holds 64 KB in one.
XMP_MAX_BYTES = 1024 * 1024

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# IPTC Core's XMP properties for the four credit fields.
_CREDIT_PROPERTIES = {
    "{http://purl.org/dc/elements/1.1/}creator": "creator",
    "{http://purl.org/dc/elements/1.1/}rights": "copyright_notice",
    "{http://ns.adobe.com/photoshop/1.0/}Credit": "credit_line",
    "{http://ns.adobe.com/xap/1.0/rights/}WebStatement": "rights_url",
}
_DECLARATION = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def credit_packet(credit: Mapping[str, str]) -> bytes:
    """An XMP packet holding the given credit fields alone, escaped."""
    properties = []
    if creator := credit.get("creator"):
        properties.append(
            f"<dc:creator><rdf:Seq><rdf:li>{escape(creator)}</rdf:li></rdf:Seq></dc:creator>"
        )
    if notice := credit.get("copyright_notice"):
        properties.append(
            '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">'
            f"{escape(notice)}</rdf:li></rdf:Alt></dc:rights>"
        )
    if credit_line := credit.get("credit_line"):
        properties.append(f"<photoshop:Credit>{escape(credit_line)}</photoshop:Credit>")
    if rights_url := credit.get("rights_url"):
        properties.append(f"<xmpRights:WebStatement>{escape(rights_url)}</xmpRights:WebStatement>")
    marked = ' xmpRights:Marked="True"' if credit.get("copyright_notice") else ""
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        f'<rdf:RDF xmlns:rdf="{_RDF}">'
        '<rdf:Description rdf:about=""'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
        f' xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"{marked}>'
        f"{''.join(properties)}"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="r"?>'
    )
    return packet.encode()


def read_credit(packet: bytes | str) -> dict[str, str]:
    """
    The credit fields a packet holds, as written (metadata.py cleans them); {} for a packet
    over XMP_MAX_BYTES or with a DTD. Raise what the XML parser raises for a damaged one.
    """
    if isinstance(packet, str):
        packet = packet.encode()
    if not packet or len(packet) > XMP_MAX_BYTES:
        return {}
    if _DECLARATION.search(packet):
        return {}  # A DTD or entities: no XMP writer makes them, so such a packet is not parsed.
    # Trailing padding and NULs some writers leave after the packet.
    root = ElementTree.fromstring(packet.rstrip(b"\x00 \t\r\n"))
    credit = {}
    for description in root.iter(f"{{{_RDF}}}Description"):
        for attribute, value in description.attrib.items():
            if name := _CREDIT_PROPERTIES.get(attribute):
                credit.setdefault(name, value)
        for element in description:
            if (name := _CREDIT_PROPERTIES.get(element.tag)) and (value := _value(element)):
                credit.setdefault(name, value)
    return credit


def _value(element: ElementTree.Element) -> str:
    """A property's text: simple, a URI resource, or the items of a Seq, Bag or Alt."""
    if resource := element.get(f"{{{_RDF}}}resource"):
        return resource
    items = list(element.iter(f"{{{_RDF}}}li"))
    if not items:
        return element.text or ""
    for item in items:
        if item.get(_XML_LANG) == "x-default":
            return item.text or ""
    return ", ".join(item.text for item in items if item.text)
