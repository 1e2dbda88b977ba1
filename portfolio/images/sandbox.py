"""
Judge one file in a child process with limits on CPU time, memory and wall-clock time.

Decoders are C code: a thread cannot stop one that runs away, and a file whose header lies
about its size can make one allocate far more than the pixel limit allows. A child process
can be limited by the kernel and killed. The budget grows with the pixel count the header
claims, so a large honest file gets what it needs and a small liar gets little.

Forking the web process itself is unsafe (it may run threads), and a freshly started child
would spend longer importing Pillow than judging a photo. So each thread of a web process
has one judge process, a fresh interpreter with the gate imported; it is single-threaded,
and forks a child for each file, which starts in a few milliseconds. A server starts one
judge as it starts (start_spare_judge, from wsgi.py and asgi.py), for the first thread that
uploads: its first upload does not wait for Pillow and the gate to import (half a second
or more, docs/images.md). Another thread starts its own at its first file: a judge started
to replace the one taken would import on the cores the upload is using.
"""

import io
import json
import multiprocessing
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import reduction
from multiprocessing.connection import Connection
from typing import IO

from django.conf import settings

TOO_SLOW = "took too long to decode"
TOO_MUCH_MEMORY = "needs too much memory to decode"
CRASHED = "the file is damaged or unsupported"


class Stopped(Exception):
    """The child ran out of its budget or died: the file is refused with this reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Budget:
    """What judging one file may cost: a base, plus a share per pixel by format."""

    cpu_seconds: float
    cpu_seconds_per_megapixel: float
    memory_bytes: int
    memory_bytes_per_pixel: int
    # Encoding AVIF costs several times more per pixel than any other format.
    avif_cpu_seconds_per_megapixel: float
    avif_memory_bytes_per_pixel: int

    @classmethod
    def from_settings(cls) -> "Budget":
        return cls(
            cpu_seconds=settings.PORTFOLIO_UPLOAD_CPU_SECONDS,
            cpu_seconds_per_megapixel=settings.PORTFOLIO_UPLOAD_CPU_SECONDS_PER_MEGAPIXEL,
            memory_bytes=settings.PORTFOLIO_UPLOAD_MEMORY_BYTES,
            memory_bytes_per_pixel=settings.PORTFOLIO_UPLOAD_MEMORY_BYTES_PER_PIXEL,
            avif_cpu_seconds_per_megapixel=(
                settings.PORTFOLIO_UPLOAD_AVIF_CPU_SECONDS_PER_MEGAPIXEL
            ),
            avif_memory_bytes_per_pixel=settings.PORTFOLIO_UPLOAD_AVIF_MEMORY_BYTES_PER_PIXEL,
        )

    def cpu_seconds_for(self, pixels: int, image_format: str = "") -> float:
        per_megapixel = (
            self.avif_cpu_seconds_per_megapixel
            if image_format == "AVIF"
            else self.cpu_seconds_per_megapixel
        )
        return self.cpu_seconds + per_megapixel * pixels / 1_000_000

    def memory_bytes_for(self, pixels: int, image_format: str = "") -> int:
        per_pixel = (
            self.avif_memory_bytes_per_pixel
            if image_format == "AVIF"
            else self.memory_bytes_per_pixel
        )
        return self.memory_bytes + per_pixel * pixels

    def wall_seconds_for(self, pixels: int, image_format: str = "") -> float:
        # CPU time is the real budget; the clock only catches a child that is starved or
        # stuck, so it leaves room for a busy machine.
        return 1.5 * self.cpu_seconds_for(pixels, image_format) + 2


def run_bounded(function: Callable, *args, budget: Budget, file: IO[bytes] | None = None):
    """
    Return function(*args) called in a child process, or raise what it raised.

    Until the function calls `allow(pixels, image_format)` the child has the base budget,
    then the budget for that many pixels. Raise Stopped when the child is stopped or dies.

    With `file` (open for reading), the child is called function(file, *args) with the
    file's own descriptor, read from its start: its bytes are not copied through the pipes,
    where a 24-MP JPEG's 7 MB were held by this process twice (the bytes and their pickle)
    and by the child twice (bench figure 1). A file that has none (in memory) is spooled to
    a temporary file first. Its position afterwards is anywhere.
    """
    owner, process, connection = getattr(_judges, "judge", None) or (None, None, None)
    if owner != os.getpid() or process.poll() is not None:
        # None yet for this thread, or inherited through a fork, or dead.
        process, connection = _take_judge(function.__module__)
        _judges.judge = (os.getpid(), process, connection)
    # Reading the file (a bucket's download, a full disk) fails as itself, before the judge
    # hears of it; the spool stays until the child has answered.
    with _descriptor_of(file) as descriptor:
        try:
            connection.send((function, args, budget, descriptor is not None))
            if descriptor is not None:
                reduction.send_handle(connection, descriptor, process.pid)
            kind, value = connection.recv()
        except BaseException as error:
            # It died, or this thread was interrupted mid-file: its answer would come to
            # the next file, so it goes and the next file starts another.
            process.kill()
            process.wait()
            connection.close()
            _judges.judge = None
            if isinstance(error, EOFError | OSError):
                raise Stopped(CRASHED) from None
            raise
    if kind == "returned":
        return value
    raise value


@contextmanager
def _descriptor_of(file: IO[bytes] | None) -> Iterator[int | None]:
    if file is None:
        yield None
        return
    try:
        descriptor = file.fileno()
    except (AttributeError, io.UnsupportedOperation):
        descriptor = None  # In memory: spooled below.
    if descriptor is not None:
        yield descriptor
        return
    with tempfile.TemporaryFile() as spool:
        file.seek(0)
        shutil.copyfileobj(file, spool, SPOOL_CHUNK_BYTES)
        spool.flush()  # All of it on the descriptor before the child reads.
        yield spool.fileno()


# What a file without a descriptor is copied to its spool by.
SPOOL_CHUNK_BYTES = 1 << 20


def allow(pixels: int, image_format: str) -> None:
    """In a child: raise the budget to what `pixels` need. Elsewhere: nothing to do."""
    if _running is None:
        return
    sender, budget, start = _running
    _set_limits(
        budget.cpu_seconds_for(pixels, image_format),
        start + budget.memory_bytes_for(pixels, image_format),
    )
    sender.send(("allowed", (pixels, image_format)))


def out_of_memory(error: Exception) -> bool:
    """Whether a decoder or encoder failed for want of memory (the child's limit, usually)."""
    return isinstance(error, MemoryError) or "memory" in str(error).lower()


# One judge process per thread of a web process, started at its first file: a thread never
# waits for another's files, so an upload request's time budget holds with gunicorn's threads.
# A judge ends when its thread does (its pipe closes).
_judges = threading.local()
# Set in a child while it judges a file.
_running = None


def start_spare_judge(module: str) -> None:
    """
    Start a judge that imports `module` (the judged function's), ready for the first thread
    of this process that needs one. Without a call, each thread starts its own.
    """
    global _spare
    with _spare_lock:
        if _spare is None or _spare[0] != os.getpid() or _spare[1].poll() is not None:
            _spare = (os.getpid(), *_start_judge(module))


# The judge started ahead, with its owner's pid (a forked process starts its own).
_spare = None
_spare_lock = threading.Lock()


def _take_judge(module: str):
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is None:
        return _start_judge(module)
    owner, process, connection = spare
    if owner != os.getpid() or process.poll() is not None:
        return _start_judge(module)
    return process, connection


def _start_judge(module: str):
    # A fresh interpreter, whatever threads this process runs, that imports no more than the
    # judge needs (multiprocessing's "spawn" would import the server's own main module too).
    ours, theirs = socket.socketpair()
    with theirs:
        process = subprocess.Popen(
            [sys.executable, "-c", _JUDGE_MAIN, json.dumps([sys.path, theirs.fileno(), module])],
            stdin=subprocess.DEVNULL,
            pass_fds=[theirs.fileno()],
        )
    return process, Connection(ours.detach())


_JUDGE_MAIN = """\
import json, sys
path, fd, module = json.loads(sys.argv[1])
sys.path[:] = path
from portfolio.images.sandbox import serve_judge
serve_judge(fd, module)
"""


def serve_judge(fd: int, module: str) -> None:
    """The judge process: for each file, fork a child, watch it and answer with its outcome."""
    import importlib

    from PIL import Image

    connection = Connection(fd)
    # Pillow's plugins load once here, not in every child; so does the judged function's
    # module (the gate), named by the caller: this module imports nothing that imports it.
    Image.init()
    importlib.import_module(module)
    while True:
        try:
            function, args, budget, with_file = connection.recv()
            descriptor = reduction.recv_handle(connection) if with_file else None
        except EOFError:
            return
        try:
            _judge_in_child(function, args, budget, connection.send, descriptor)
        finally:
            if descriptor is not None:
                os.close(descriptor)  # The child has its own.


def _judge_in_child(
    function: Callable, args: tuple, budget: Budget, answer: Callable, descriptor: int | None
) -> None:
    receiver, sender = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:
        receiver.close()
        try:
            if descriptor is not None:
                # The caller's file, shared with it: read from the start.
                file = os.fdopen(descriptor, "rb")
                file.seek(0)
                args = (file, *args)
            _child_main(sender, budget, function, args)
        finally:
            os._exit(0)
    sender.close()
    try:
        outcome = _wait_for_outcome(receiver, budget)
        if outcome is not None:
            # Answered before the child is reaped: the kernel freeing what a decode held
            # takes a while, which the upload need not wait for.
            answer(outcome)
    finally:
        receiver.close()
        os.kill(pid, signal.SIGKILL)  # nothing to a child that has already ended
        _, status = os.waitpid(pid, 0)
    if outcome is None:
        # It died before answering: the kernel stopped it at its CPU limit, or it crashed.
        stopped = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU
        answer(("raised", Stopped(TOO_SLOW if stopped else CRASHED)))


def _wait_for_outcome(receiver, budget: Budget) -> tuple | None:
    deadline = time.monotonic() + budget.wall_seconds_for(0)
    while True:
        if not receiver.poll(max(0.0, deadline - time.monotonic())):
            return ("raised", Stopped(TOO_SLOW))
        try:
            kind, value = receiver.recv()
        except EOFError:
            return None
        if kind == "allowed":
            deadline = time.monotonic() + budget.wall_seconds_for(*value)
        else:
            return (kind, value)


def _child_main(sender, budget: Budget, function: Callable, args: tuple) -> None:
    global _running
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    start = _data_bytes()
    _running = (sender, budget, start)
    _set_limits(budget.cpu_seconds_for(0), start + budget.memory_bytes_for(0))
    try:
        message = ("returned", function(*args))
    except Exception as error:
        message = ("raised", Stopped(TOO_MUCH_MEMORY) if out_of_memory(error) else error)
    try:
        sender.send(message)
    except MemoryError:
        sender.send(("raised", Stopped(TOO_MUCH_MEMORY)))
    except Exception as error:
        # An exception that does not pickle still reaches the parent as its text.
        sender.send(("raised", RuntimeError(f"{type(error).__name__}: {error}")))


def _set_limits(cpu_seconds: float, data_bytes: int) -> None:
    # Soft limits only, so that allow() can raise them. CPU seconds count every thread of
    # the child; past the limit the kernel sends SIGXCPU, which ends the process.
    used = resource.getrusage(resource.RUSAGE_SELF)
    seconds = int(used.ru_utime + used.ru_stime + cpu_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, resource.RLIM_INFINITY))
    # RLIMIT_DATA counts private writable memory: heap, anonymous mappings, thread stacks,
    # but not the address space malloc only reserves for its arenas (RLIMIT_AS would).
    resource.setrlimit(resource.RLIMIT_DATA, (data_bytes, resource.RLIM_INFINITY))


def _data_bytes() -> int:
    """The memory RLIMIT_DATA already counts in this process (VmData)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0
