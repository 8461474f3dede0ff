"""The pure part of powerfs: one file's writes that no fsync has covered yet.

A file's unsynced data is held as whole pages (PAGE bytes) plus the size the writes gave it.
Reads see the backing file with these pages laid over it; an fsync writes them to the backing
file (extents()); a power cut forgets them (the object is dropped), or tears the first of them
(torn_prefix()): part of that page reached the disk, as when a cut lands mid-write.

No I/O here: the backing file is read through a function (offset, length) -> bytes, which may
return fewer bytes than asked (past its end); unread bytes are zeros.
"""

from typing import Callable, Dict, List, Optional, Tuple

PAGE = 4096
SECTOR = 512

ReadBacking = Callable[[int, int], bytes]


class FileOverlay:
    def __init__(self, durable_size: int) -> None:
        self.pages: Dict[int, bytearray] = {}
        # The file's size as the writes made it (a write past the end grows it).
        self.size = durable_size

    @property
    def dirty_bytes(self) -> int:
        return len(self.pages) * PAGE

    def _page(self, index: int, read_backing: ReadBacking) -> bytearray:
        page = self.pages.get(index)
        if page is None:
            page = bytearray(PAGE)
            # Only what lies below the current size is the file's data; beyond it, zeros.
            valid = max(0, min(PAGE, self.size - index * PAGE))
            if valid > 0:
                got = read_backing(index * PAGE, valid)
                page[: len(got)] = got
            self.pages[index] = page
        return page

    def write(self, data: bytes, offset: int, read_backing: ReadBacking) -> int:
        if offset < 0:
            raise ValueError(f"negative offset {offset}")
        pos = 0
        while pos < len(data):
            at = offset + pos
            index, within = divmod(at, PAGE)
            n = min(PAGE - within, len(data) - pos)
            page = self._page(index, read_backing)
            page[within : within + n] = data[pos : pos + n]
            pos += n
        self.size = max(self.size, offset + len(data))
        return len(data)

    def read(self, length: int, offset: int, read_backing: ReadBacking) -> bytes:
        end = min(offset + length, self.size)
        if offset >= end:
            return b""
        out = bytearray(end - offset)
        got = read_backing(offset, end - offset)
        out[: len(got)] = got
        first, last = offset // PAGE, (end - 1) // PAGE
        for index in range(first, last + 1):
            page = self.pages.get(index)
            if page is None:
                continue
            lo = max(offset, index * PAGE)
            hi = min(end, (index + 1) * PAGE)
            out[lo - offset : hi - offset] = page[lo - index * PAGE : hi - index * PAGE]
        return bytes(out)

    def truncate(self, length: int) -> None:
        """The size changes now (truncate is applied to the backing file at once, see powerfs.py)."""
        if length < 0:
            raise ValueError(f"negative length {length}")
        for index in [i for i in self.pages if i * PAGE >= length]:
            del self.pages[index]
        tail = self.pages.get(length // PAGE)
        if tail is not None:
            cut = length % PAGE
            tail[cut:] = bytes(PAGE - cut)
        self.size = length

    def extents(self) -> List[Tuple[int, bytes]]:
        """What an fsync writes to the backing file: (offset, bytes), in file order, up to the size."""
        out = []
        for index in sorted(self.pages):
            start = index * PAGE
            n = min(PAGE, self.size - start)
            if n > 0:
                out.append((start, bytes(self.pages[index][:n])))
        return out

    def torn_prefix(self, draw: float) -> Optional[Tuple[int, bytes]]:
        """
        A torn write: the first unsynced page reached the disk only in part, a whole number of
        sectors of it (draw in [0, 1) picks how many; at least one, never all). None when the page
        holds no more than one sector of data (nothing can tear).
        """
        ext = self.extents()
        if not ext:
            return None
        start, data = ext[0]
        sectors = (len(data) - 1) // SECTOR
        if sectors < 1:
            return None
        keep = SECTOR * (1 + int(draw * sectors))
        return (start, data[: min(keep, len(data) - 1)])
