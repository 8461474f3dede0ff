"""Unit tests of powerfs's overlay (run: /usr/bin/python3 -m unittest discover -s tools/powerfs -p 'test_*.py')."""

import unittest

from overlay import PAGE, SECTOR, FileOverlay


def backing_of(data):
    return lambda offset, length: bytes(data[offset : offset + length])


class OverlayTest(unittest.TestCase):
    def test_reads_see_unsynced_writes_over_the_backing_file(self):
        disk = bytearray(b"a" * 100)
        o = FileOverlay(len(disk))
        o.write(b"XYZ", 10, backing_of(disk))
        self.assertEqual(o.read(20, 5, backing_of(disk)), b"aaaaaXYZaaaaaaaaaaaa")
        self.assertEqual(disk, b"a" * 100, "the backing file is untouched before an fsync")

    def test_appends_grow_the_size_and_cross_pages(self):
        disk = bytearray(b"d" * (PAGE - 2))
        o = FileOverlay(len(disk))
        o.write(b"0123456789", PAGE - 2, backing_of(disk))
        self.assertEqual(o.size, PAGE + 8)
        self.assertEqual(sorted(o.pages), [0, 1])
        self.assertEqual(o.read(100, PAGE - 4, backing_of(disk)), b"dd0123456789")
        self.assertEqual(o.read(10, PAGE + 8, backing_of(disk)), b"", "nothing past the size")

    def test_a_hole_reads_as_zeros(self):
        o = FileOverlay(0)
        o.write(b"z", 3 * PAGE, backing_of(bytearray()))
        self.assertEqual(o.read(4, 3 * PAGE - 3, backing_of(bytearray())), b"\0\0\0z")

    def test_extents_are_what_an_fsync_writes(self):
        disk = bytearray(b"q" * 10)
        o = FileOverlay(len(disk))
        o.write(b"W", PAGE + 1, backing_of(disk))
        o.write(b"r", 2, backing_of(disk))
        # Whole pages up to the size, the untouched bytes as the backing file had them.
        self.assertEqual(o.extents(), [(0, b"qqrqqqqqqq" + bytes(PAGE - 10)), (PAGE, b"\0W")])

    def test_truncate_cuts_unsynced_pages_and_zeroes_the_tail(self):
        disk = bytearray()
        o = FileOverlay(0)
        o.write(b"x" * (2 * PAGE), 0, backing_of(disk))
        o.truncate(PAGE + 10)
        self.assertEqual(sorted(o.pages), [0, 1])
        o.truncate(10)
        self.assertEqual(sorted(o.pages), [0])
        o.write(b"y", 20, backing_of(disk))
        self.assertEqual(o.read(21, 0, backing_of(disk)), b"x" * 10 + b"\0" * 10 + b"y")

    def test_a_torn_write_keeps_whole_sectors_never_all(self):
        o = FileOverlay(0)
        o.write(b"t" * 3000, 0, backing_of(bytearray()))
        for draw in (0.0, 0.5, 0.999):
            off, data = o.torn_prefix(draw)
            self.assertEqual(off, 0)
            self.assertTrue(0 < len(data) < 3000 and len(data) % SECTOR == 0, len(data))
        small = FileOverlay(0)
        small.write(b"s" * SECTOR, 0, backing_of(bytearray()))
        self.assertIsNone(small.torn_prefix(0.5), "one sector cannot tear")
        self.assertIsNone(FileOverlay(5).torn_prefix(0.5), "nothing unsynced")


if __name__ == "__main__":
    unittest.main()
