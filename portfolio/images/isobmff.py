"""
AVIF and HEIF files (ISO base media boxes): the real size of every AV1 image item, and
where the metadata items are.

Pillow reports, and the budget follows, the size the header's ispe property claims, while
the AV1 decoder allocates for the size coded in the item's sequence header: a file claiming
100×100 could decode 12000×10000. HEIF's HEVC items need no such check: libheif refuses a
coded size other than the claimed one.
"""

# Boxes in one container (items, properties, locations), and ipma entries and extents over
# all items: a phone's HEIC of 48 tiles has about 100 boxes in one place, and one ipma entry
# and one extent per item.
MAX_BOXES = 10_000


def refusal_reason(data: bytes) -> str | None:
    """Why an AVIF or HEIF file is refused before it is opened, or None."""
    try:
        return _coded_size_refusal(data)
    except _TooComplex as too_complex:
        return f"too complex to decode safely ({too_complex})"
    except (KeyError, IndexError, ValueError):
        return None  # malformed: the decoder refuses it


def metadata_extents(data: bytes) -> list[tuple[bytes, int, int]]:
    """
    Where a HEIF or AVIF file keeps its metadata items: (b"Exif" or b"mime", offset, length)
    for each extent in the file itself. An item in the meta box's idat or split in pieces
    is reported as one extent per piece.
    """
    boxes = dict(_boxes(data, 0, len(data)))
    if b"meta" not in boxes:
        return []
    start, end = boxes[b"meta"]
    meta = dict(_boxes(data, start + 4, end))
    kinds = _item_types(data, *meta[b"iinf"], wanted=(b"Exif", b"mime"))
    return [
        (kinds[item], offset, length)
        for item, offset, length in _item_extents(data, *meta[b"iloc"], idat=meta.get(b"idat"))
        if item in kinds
    ]


def _coded_size_refusal(data: bytes) -> str | None:
    """Compare every AV1 image item's coded size with the size its ispe claims."""
    boxes = dict(_boxes(data, 0, len(data)))
    if b"meta" not in boxes:
        return None  # an AVIF sequence: the budget bounds its frames
    start, end = boxes[b"meta"]
    meta = dict(_boxes(data, start + 4, end))
    claimed = _claimed_sizes(data, *meta[b"iprp"])
    # The first kilobyte of each item's data, where AV1 puts its sequence header.
    first_bytes = {}
    for item, offset, length in _item_extents(data, *meta[b"iloc"], idat=meta.get(b"idat")):
        first_bytes.setdefault(item, data[offset : offset + min(length, 1024)])
    for item in _item_types(data, *meta[b"iinf"], wanted=(b"av01",)):
        coded = _av1_coded_size(first_bytes.get(item, b""))
        if coded is None:
            return "the file is damaged or incomplete"
        width, height = claimed.get(item, (0, 0))
        # An encoder may pad the coded image, never by more than a 64-pixel superblock.
        if coded[0] > width + 64 or coded[1] > height + 64:
            return "the file is damaged (its picture is larger than its header says)"
    return None


def _boxes(data: bytes, start: int, end: int):
    """Each box between start and end: its type and where its content starts and ends."""
    for _ in range(MAX_BOXES):
        if start + 8 > end:
            return
        size, header = int.from_bytes(data[start : start + 4]), 8
        if size == 1:
            size, header = int.from_bytes(data[start + 8 : start + 16]), 16
        elif size == 0:
            size = end - start
        if size < header or start + size > end:
            raise ValueError("box outside its container")
        yield data[start + 4 : start + 8], (start + header, start + size)
        start += size
    raise _TooComplex(f"more than {MAX_BOXES} boxes")


def _item_types(data: bytes, start: int, end: int, wanted: tuple[bytes, ...]) -> dict[int, bytes]:
    """The type of each item whose type is wanted, by item ID."""
    first = start + 4 + (2 if data[start] == 0 else 4)  # FullBox, then an entry count
    kinds = {}
    for kind, (entry, _) in _boxes(data, first, end):
        version = data[entry]
        if kind == b"infe" and version >= 2:
            id_size = 2 if version == 2 else 4
            item_type = data[entry + 6 + id_size : entry + 10 + id_size]
            if item_type in wanted:
                kinds[int.from_bytes(data[entry + 4 : entry + 4 + id_size])] = item_type
    return kinds


def _claimed_sizes(data: bytes, start: int, end: int) -> dict[int, tuple[int, int]]:
    """Each item's size as its ispe property claims it."""
    iprp = list(_boxes(data, start, end))
    properties = [
        box for kind, (first, last) in iprp if kind == b"ipco" for box in _boxes(data, first, last)
    ]
    sizes, items_declared = {}, 0
    for kind, (position, _) in iprp:
        if kind != b"ipma":
            continue
        version, wide_index = data[position], data[position + 3] & 1
        id_size = 2 if version == 0 else 4
        count = int.from_bytes(data[position + 4 : position + 8])
        # Counted over all ipma boxes: each box's entries may run on over the boxes after it.
        items_declared += count
        if items_declared > MAX_BOXES:
            raise _TooComplex(f"more than {MAX_BOXES} items")
        position += 8
        for _ in range(count):
            item = int.from_bytes(data[position : position + id_size])
            associations = data[position + id_size]
            position += id_size + 1
            for _ in range(associations):
                if wide_index:
                    index = int.from_bytes(data[position : position + 2]) & 0x7FFF
                else:
                    index = data[position] & 0x7F
                position += 2 if wide_index else 1
                if 0 < index <= len(properties) and properties[index - 1][0] == b"ispe":
                    box = properties[index - 1][1][0]
                    sizes[item] = (
                        int.from_bytes(data[box + 4 : box + 8]),
                        int.from_bytes(data[box + 8 : box + 12]),
                    )
    return sizes


def _item_extents(data: bytes, start: int, end: int, idat) -> list[tuple[int, int, int]]:
    """Every extent of every item: (item, offset in the file, length)."""
    version = data[start]
    position = start + 6
    offset_size, length_size = data[start + 4] >> 4, data[start + 4] & 15
    base_size, index_size = data[start + 5] >> 4, data[start + 5] & 15
    if version == 0:
        index_size = 0

    def read(size: int) -> int:
        nonlocal position
        position += size
        return int.from_bytes(data[position - size : position])

    count = read(4 if version == 2 else 2)
    if count > MAX_BOXES:
        raise _TooComplex(f"more than {MAX_BOXES} items")
    extents, extents_declared = [], 0
    for _ in range(count):
        item = read(4 if version == 2 else 2)
        method = read(2) & 15 if version else 0
        read(2)  # data reference
        base = read(base_size)
        extent_count = read(2)
        # Counted over all items: with offset and length fields declared 0 bytes wide, an
        # extent costs no byte of the file.
        extents_declared += extent_count
        if extents_declared > MAX_BOXES:
            raise _TooComplex(f"more than {MAX_BOXES} extents")
        for _ in range(extent_count):
            read(index_size)
            offset, length = base + read(offset_size), read(length_size)
            if method == 1:
                offset += idat[0] if idat else len(data)
            if method in (0, 1):
                extents.append((item, offset, length or len(data) - offset))
    return extents


def _av1_coded_size(payload: bytes) -> tuple[int, int] | None:
    """The largest frame size a sequence header allows, from the OBUs before the first frame."""
    position = 0
    while position < len(payload):
        header = payload[position]
        obu_type = (header >> 3) & 15
        position += 2 if header & 4 else 1  # an extension byte
        size = len(payload) - position
        if header & 2:  # a size field, LEB128
            size = 0
            for byte_number in range(8):
                byte = payload[position]
                position += 1
                size |= (byte & 0x7F) << (7 * byte_number)
                if not byte & 0x80:
                    break
        if obu_type == 1:
            return _sequence_header_size(payload[position : position + size])
        if obu_type in (3, 6):  # a frame, with no sequence header before it
            return None
        position += size
    return None


def _sequence_header_size(obu: bytes) -> tuple[int, int]:
    """max_frame_width and max_frame_height from an AV1 sequence header (AV1 spec 5.5)."""
    bits = _Bits(obu)
    bits.read(3)  # seq_profile
    bits.read(1)  # still_picture
    if bits.read(1):  # reduced_still_picture_header
        bits.read(5)
    else:
        decoder_model_info = False
        if bits.read(1):  # timing_info_present
            bits.read(64)
            if bits.read(1):  # equal_picture_interval
                bits.uvlc()
            decoder_model_info = bits.read(1)
            if decoder_model_info:
                buffer_delay_length = bits.read(5) + 1
                bits.read(32 + 5 + 5)
        initial_display_delay = bits.read(1)
        for _ in range(bits.read(5) + 1):  # operating points
            bits.read(12)
            if bits.read(5) > 7:  # seq_level_idx
                bits.read(1)
            if decoder_model_info and bits.read(1):
                bits.read(2 * buffer_delay_length + 1)
            if initial_display_delay and bits.read(1):
                bits.read(4)
    width_bits, height_bits = bits.read(4) + 1, bits.read(4) + 1
    return bits.read(width_bits) + 1, bits.read(height_bits) + 1


class _Bits:
    def __init__(self, data: bytes) -> None:
        self.value, self.left = int.from_bytes(data), 8 * len(data)

    def read(self, count: int) -> int:
        self.left -= count
        if self.left < 0:
            raise ValueError("sequence header too short")
        return (self.value >> self.left) & ((1 << count) - 1)

    def uvlc(self) -> int:
        leading_zeros = 0
        while not self.read(1):
            leading_zeros += 1
        return self.read(leading_zeros) + (1 << leading_zeros) - 1 if leading_zeros < 32 else 0


class _TooComplex(Exception):
    pass
