#!/usr/bin/python3
"""powerfs: a pass-through FUSE file system that forgets what was not fsync'd (cf. LazyFS).

    powerfs.py --backing DIR --mount DIR --control SOCKET

Every file operation goes to the backing directory, except file data: a write() is kept in
memory (see overlay.py) until an fsync/fdatasync of that file writes it to the backing file and
syncs it there. On the control socket (one command per line, one JSON line back):

    ping                  -> {"ok": true}
    freeze [ms]           -> the instant of a power cut: from now, or from the next fsync if one comes
                             within ms (that fsync never completes), nothing changes the disk;
                             operations wait, and fail (EIO) once the cut is over
    drop-unsynced [tear]  -> a power cut: every unsynced write is forgotten; with "tear" the first
                             unsynced page of each file reaches the disk in part (whole sectors);
                             ends a freeze; the disk is then off (every change fails) until
    power-on              -> the disk takes changes again (once the killed processes have exited)
    flush                 -> every unsynced write goes to the backing files, synced (a clean shutdown)
    stats                 -> dirty files and bytes, writes, fsyncs, drops

Metadata is durable at once, as in LazyFS: create, mkdir, rename, unlink, link, symlink, chmod,
utimens and truncate go straight to the backing directory. (A real file system may lose a rename
or a new directory entry without an fsync of the directory; LevelDB syncs its directory after
renaming CURRENT, so it would survive that too, but this FS does not test it.) Unsynced data past
MAX_DIRTY_BYTES is written back (not synced) like the kernel's writeback, oldest file first.

When its parent process dies, it writes nothing more back and unmounts itself (lazily).
"""

import argparse
import errno
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fusepy import FUSE, FuseOSError, Operations  # noqa: E402
from overlay import FileOverlay  # noqa: E402

MAX_DIRTY_BYTES = 256 * 1024 * 1024
# Control commands and replies are short; a longer line is refused.
MAX_COMMAND_BYTES = 256


class Dirty:
    """A file with unsynced writes: its overlay and an fd of its own (to write it back even after close or unlink)."""

    def __init__(self, fd, size):
        self.fd = fd
        self.overlay = FileOverlay(size)


def _pread(fd):
    return lambda offset, length: os.pread(fd, length, offset)


class PowerFs(Operations):
    def __init__(self, backing, seed):
        self.root = os.path.realpath(backing)
        self.mutex = threading.RLock()
        # Unsynced files by backing inode number (an inode follows its file through renames).
        self.dirty = OrderedDict()
        self.random = random.Random(seed)
        self.stats = {"writes": 0, "fsyncs": 0, "drops": 0, "droppedBytes": 0, "torn": 0, "writebacks": 0}
        # Open file handles by inode: an unlinked file's overlay lives until the last one is released.
        self.opens = {}
        self.mounted = threading.Event()
        self.parent_gone = False
        # A power cut freezes the disk first: no operation changes it from then on, and those
        # caught waiting fail once the cut is over (they belong to the process that was killed).
        self.changed = threading.Condition(self.mutex)
        self.frozen = False
        self.cut_at_fsync = False
        self.generation = 0
        # Between drop-unsynced and power-on the disk is off: every change fails at once (EIO).
        self.off = False

    @contextmanager
    def _changing(self, is_fsync=False):
        """Holds the mutex for an operation that changes the disk; waits out a freeze (EIO after a cut)."""
        with self.mutex:
            if self.off:
                raise FuseOSError(errno.EIO)
            generation = self.generation
            if is_fsync and self.cut_at_fsync:
                self.frozen = True
                self.changed.notify_all()
            while self.frozen:
                self.changed.wait()
            if generation != self.generation:
                raise FuseOSError(errno.EIO)
            yield

    use_ns = True

    def init(self, path):
        self.mounted.set()

    def _full(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    # --- control -------------------------------------------------------------------------
    def command(self, line):
        words = line.split()
        if not words:
            return {"ok": False, "error": "empty command"}
        with self.mutex:
            if words == ["ping"]:
                return {"ok": True, "mounted": self.mounted.is_set()}
            if words == ["stats"]:
                return {"ok": True, "dirtyFiles": len(self.dirty), "dirtyBytes": self._dirty_bytes(), **self.stats}
            if words == ["flush"]:
                n = len(self.dirty)
                for ino in list(self.dirty):
                    self._write_back(ino, sync=True)
                return {"ok": True, "files": n}
            if words[0] == "drop-unsynced" and words[1:] in ([], ["tear"]):
                return {"ok": True, **self._drop(tear=words[1:] == ["tear"])}
            if words == ["power-on"]:
                self.off = False
                return {"ok": True}
            if words[0] == "freeze" and len(words) <= 2 and all(w.isdigit() for w in words[1:]):
                return {"ok": True, **self._freeze(int(words[1]) if len(words) == 2 else 0)}
        return {"ok": False, "error": f"unknown command {line.strip()[:64]!r} (ping, stats, flush, freeze [ms], drop-unsynced [tear], power-on)"}

    def _freeze(self, at_fsync_within_ms):
        """
        The disk stops taking changes: at the next fsync if one comes within the bound (the worst
        instant, when a write is about to become durable; that fsync never completes), else now.
        """
        waited = time.monotonic()
        if at_fsync_within_ms > 0 and not self.frozen:
            self.cut_at_fsync = True
            self.changed.wait_for(lambda: self.frozen, timeout=min(at_fsync_within_ms, 60_000) / 1000)
        self.cut_at_fsync = False
        at_fsync = self.frozen
        self.frozen = True
        return {"atFsync": at_fsync, "waitedMs": round((time.monotonic() - waited) * 1000), "dirtyFiles": len(self.dirty)}

    def _dirty_bytes(self):
        return sum(d.overlay.dirty_bytes for d in self.dirty.values())

    def _drop(self, tear):
        # The disk is off until power-on: what waited on the freeze fails, and so does any change
        # still on its way from the killed process.
        self.generation += 1
        self.off = True
        self.frozen = False
        self.cut_at_fsync = False
        self.changed.notify_all()
        files, lost, torn = len(self.dirty), 0, 0
        for d in self.dirty.values():
            lost += d.overlay.dirty_bytes
            cut = d.overlay.torn_prefix(self.random.random()) if tear else None
            if cut is not None:
                os.pwrite(d.fd, cut[1], cut[0])
                os.fsync(d.fd)
                torn += 1
            os.close(d.fd)
        self.dirty.clear()
        self.stats["drops"] += 1
        self.stats["droppedBytes"] += lost
        self.stats["torn"] += torn
        return {"files": files, "bytes": lost, "torn": torn}

    def _write_back(self, ino, sync):
        d = self.dirty.pop(ino, None)
        if d is None:
            return
        try:
            for offset, data in d.overlay.extents():
                os.pwrite(d.fd, data, offset)
            if sync:
                os.fsync(d.fd)
        finally:
            os.close(d.fd)

    def _forget(self, ino):
        # Called once no name and no handle reach the inode: the backing FS may reuse its number.
        d = self.dirty.pop(ino, None)
        if d is not None:
            os.close(d.fd)

    def _opened(self, fd):
        ino = os.fstat(fd).st_ino
        self.opens[ino] = self.opens.get(ino, 0) + 1
        return fd

    # --- files ---------------------------------------------------------------------------
    def getattr(self, path, fh=None):
        with self.mutex:
            try:
                st = os.fstat(fh) if fh is not None else os.lstat(self._full(path))
            except OSError as e:
                raise FuseOSError(e.errno)
            attrs = {k: getattr(st, k) for k in ("st_gid", "st_mode", "st_nlink", "st_size", "st_uid", "st_ino")}
            # use_ns: times in nanoseconds
            attrs.update(st_atime=st.st_atime_ns, st_mtime=st.st_mtime_ns, st_ctime=st.st_ctime_ns)
            d = self.dirty.get(st.st_ino)
            if d is not None:
                attrs["st_size"] = d.overlay.size
            return attrs

    def open(self, path, flags):
        # Our own fd reads and writes back at explicit offsets: never O_APPEND; always readable.
        access = os.O_RDWR if os.path.isfile(self._full(path)) else flags & os.O_ACCMODE
        # Only an open that truncates changes the disk (and must wait out a freeze).
        with self._changing() if flags & os.O_TRUNC else self.mutex:
            fd = self._opened(os.open(self._full(path), (flags & ~(os.O_APPEND | os.O_ACCMODE | os.O_TRUNC)) | access))
            if flags & os.O_TRUNC:
                self.truncate(path, 0, fd)
            return fd

    def create(self, path, mode, fi=None):
        with self._changing():
            return self._opened(os.open(self._full(path), os.O_RDWR | os.O_CREAT | os.O_TRUNC, mode))

    def read(self, path, size, offset, fh):
        with self.mutex:
            d = self.dirty.get(os.fstat(fh).st_ino)
            if d is None:
                return os.pread(fh, size, offset)
            return d.overlay.read(size, offset, _pread(fh))

    def write(self, path, data, offset, fh):
        with self._changing():
            st = os.fstat(fh)
            d = self.dirty.get(st.st_ino)
            if d is None:
                d = self.dirty[st.st_ino] = Dirty(os.dup(fh), st.st_size)
            n = d.overlay.write(data, offset, _pread(fh))
            self.stats["writes"] += 1
            while len(self.dirty) > 1 and self._dirty_bytes() > MAX_DIRTY_BYTES:
                self._write_back(next(iter(self.dirty)), sync=False)
                self.stats["writebacks"] += 1
            return n

    def truncate(self, path, length, fh=None):
        with self._changing():
            st = os.fstat(fh) if fh is not None else os.lstat(self._full(path))
            if fh is not None:
                os.ftruncate(fh, length)
            else:
                os.truncate(self._full(path), length)
            d = self.dirty.get(st.st_ino)
            if d is not None:
                d.overlay.truncate(length)

    def fsync(self, path, datasync, fh):
        with self._changing(is_fsync=True):
            self.stats["fsyncs"] += 1
            self._write_back(os.fstat(fh).st_ino, sync=False)
            if datasync:
                os.fdatasync(fh)
            else:
                os.fsync(fh)

    def flush(self, path, fh):
        return 0  # close() syncs nothing

    def release(self, path, fh):
        with self.mutex:
            st = os.fstat(fh)
            os.close(fh)
            left = self.opens.get(st.st_ino, 1) - 1
            if left > 0:
                self.opens[st.st_ino] = left
            else:
                self.opens.pop(st.st_ino, None)
                if st.st_nlink == 0:
                    self._forget(st.st_ino)

    # --- metadata: straight to the backing directory ---------------------------------------
    def access(self, path, amode):
        if not os.access(self._full(path), amode):
            raise FuseOSError(errno.EACCES)

    def chmod(self, path, mode):
        with self._changing():
            os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        with self._changing():
            os.chown(self._full(path), uid, gid)

    def mkdir(self, path, mode):
        with self._changing():
            os.mkdir(self._full(path), mode)

    def rmdir(self, path):
        with self._changing():
            os.rmdir(self._full(path))

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._full(path))

    def readlink(self, path):
        return os.readlink(self._full(path))

    def symlink(self, target, source):
        with self._changing():
            os.symlink(source, self._full(target))

    def link(self, target, source):
        with self._changing():
            os.link(self._full(source), self._full(target))

    def mknod(self, path, mode, dev):
        with self._changing():
            os.mknod(self._full(path), mode, dev)

    def unlink(self, path):
        with self._changing():
            st = os.lstat(self._full(path))
            os.unlink(self._full(path))
            # Still open: its overlay goes when the last handle is released (see release()).
            if st.st_nlink <= 1 and st.st_ino not in self.opens:
                self._forget(st.st_ino)

    def rename(self, old, new):
        with self._changing():
            try:
                replaced = os.lstat(self._full(new))
            except FileNotFoundError:
                replaced = None
            os.rename(self._full(old), self._full(new))
            if replaced is not None and replaced.st_nlink <= 1 and replaced.st_ino not in self.opens:
                self._forget(replaced.st_ino)

    def utimens(self, path, times=None):
        with self._changing():
            os.utime(self._full(path), ns=times) if times else os.utime(self._full(path))

    def statfs(self, path):
        sv = os.statvfs(self._full(path))
        return {k: getattr(sv, k) for k in ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag", "f_frsize", "f_namemax")}

    def fsyncdir(self, path, datasync, fh):
        with self._changing():
            self._fsync_dir(path)

    def _fsync_dir(self, path):
        fd = os.open(self._full(path), os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def destroy(self, path):
        # Unmounted: a clean shutdown writes everything back, as an OS does at shutdown.
        with self.mutex:
            if not self.parent_gone:
                self.command("flush")


def serve_control(fs, path, ready):
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    ready.set()
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle_control, args=(fs, conn), daemon=True).start()


def handle_control(fs, conn):
    with conn:
        buf = b""
        while b"\n" not in buf and len(buf) <= MAX_COMMAND_BYTES:
            chunk = conn.recv(MAX_COMMAND_BYTES)
            if not chunk:
                return
            buf += chunk
        line = buf.split(b"\n", 1)[0]
        try:
            reply = fs.command(line.decode("utf-8", "replace")) if len(line) <= MAX_COMMAND_BYTES else {"ok": False, "error": "command too long"}
        except OSError as e:
            reply = {"ok": False, "error": f"{e.strerror} ({e.filename})"}
        conn.sendall((json.dumps(reply) + "\n").encode())


def watch_parent(fs, mount, parent):
    while os.getppid() == parent:
        time.sleep(0.5)
    fs.parent_gone = True
    subprocess.run(["fusermount", "-u", "-z", mount], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description="pass-through FUSE file system that forgets unsynced writes on command")
    ap.add_argument("--backing", required=True)
    ap.add_argument("--mount", required=True)
    ap.add_argument("--control", required=True, help="unix socket for drop-unsynced, flush, stats, ping")
    ap.add_argument("--seed", type=int, default=1, help="seed of the torn-write draws")
    a = ap.parse_args()
    for d in (a.backing, a.mount):
        if not os.path.isdir(d):
            sys.exit(f"powerfs: {d} is not a directory")
    fs = PowerFs(a.backing, a.seed)
    ready = threading.Event()
    threading.Thread(target=serve_control, args=(fs, a.control, ready), daemon=True).start()
    ready.wait(5)
    threading.Thread(target=watch_parent, args=(fs, a.mount, os.getppid()), daemon=True).start()
    # No attribute or entry caching in the kernel: a size must never outlive a drop.
    FUSE(fs, a.mount, foreground=True, nothreads=False, attr_timeout=0, entry_timeout=0, negative_timeout=0, big_writes=True, hard_remove=True, fsname="powerfs")


if __name__ == "__main__":
    main()
