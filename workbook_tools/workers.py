"""Worker processes: how many to start, and the same work done by them on many items.

Making a roster's forms and reading its returned files are the two steps
that do one thing many times over, each a few milliseconds of pure
computing. From a few hundred items on, several processes do it about as
many times faster on as many cores; below that, starting them costs more.
Both steps ask :func:`worker_count` and hand their work to :func:`ordered_map`.

A worker ends when the process that started it ends, however that ends
(killed, out of memory, its window closed): it watches its parent's
sentinel, which the operating system marks ready when the parent is gone.
Without that, workers left waiting for work would live on.

multiprocessing and concurrent.futures are loaded only when processes are
started: a commune's few dozen files never start any, and loading them took
12 ms of its 0.6 s merge.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

R = TypeVar("R")

#: Fewer items than this are done in one process. A worker that starts as a new
#: interpreter (the ``spawn`` start method: Windows, macOS) must first import
#: everything, so there it pays only for many more items.
PARALLEL_MIN = 200
PARALLEL_MIN_SPAWNED = 1000
MAX_WORKERS = 8


def worker_count(items: int) -> int:
    """How many processes to do ``items`` items with: one unless there are many."""
    if items < PARALLEL_MIN or (items < PARALLEL_MIN_SPAWNED and not _forks()):
        return 1
    return max(1, min(MAX_WORKERS, usable_cpus()))


def usable_cpus() -> int:
    """The CPUs this process may run on (a container may get fewer than the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _forks() -> bool:
    """Whether new processes start as copies of this one (the start method in force,
    or the platform's default, without fixing it)."""
    import multiprocessing

    method = multiprocessing.get_start_method(allow_none=True)
    return (method or multiprocessing.get_all_start_methods()[0]) == "fork"


@contextlib.contextmanager
def ordered_map(
    function: Callable[..., R],
    context: object,
    *iterables: Sequence[Any],
    workers: int,
    chunk: int = 16,
) -> Iterator[Iterator[R]]:
    """``function(context, *args)`` for each ``args`` of ``zip(*iterables)``, in order.

    With ``workers`` > 1 the processes start when the block is entered (so that
    what the caller opens inside it, a database say, is never copied into
    them) and are stopped when it is left; ``context`` (the plan, say) is
    handed to each worker once. ``function`` must be a module-level function.
    If a worker dies (killed, out of memory), the items left are done here,
    each as one process would have done it.
    """
    items = list(zip(*iterables, strict=True))
    if workers <= 1 or len(items) < 2:
        yield (function(context, *args) for args in items)
        return
    from concurrent.futures import ProcessPoolExecutor

    size = max(1, min(chunk, len(items) // (workers * 8)))
    pool = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(context,))
    try:
        # The processes start with the first tasks. Not before making the pool:
        # multiprocessing's resource tracker, started there, lets Ctrl-C through.
        with _ctrl_c_held():
            done = pool.map(_call, itertools.repeat(function), *iterables, chunksize=size)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    try:
        yield _until_broken(done, function, context, items)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _until_broken(
    done: Iterable[R], function: Callable[..., R], context: object, items: Sequence[tuple[Any, ...]]
) -> Iterator[R]:
    from concurrent.futures.process import BrokenProcessPool

    count = 0
    try:
        for result in done:
            yield result
            count += 1
    except BrokenProcessPool:
        for args in items[count:]:
            yield function(context, *args)


# Each worker process holds the context it was started with.
_context: object = None


def _start_worker(context: object) -> None:
    global _context
    _context = context
    # Ctrl-C reaches every process of the terminal: the command stops its workers
    # itself, and a worker must not print a traceback of its own. It was held
    # back while the worker started (see _ctrl_c_held): now it is ignored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _end_with_parent()


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Ctrl-C held back, not lost, while worker processes start.

    A process started inside the block starts with Ctrl-C held too (the
    signal mask is inherited, also by a new interpreter), so a Ctrl-C pressed
    while it is still loading Python cannot make it print a traceback; it
    ignores Ctrl-C once it can. This process gets a Ctrl-C pressed meanwhile
    when the block ends. (Windows has no signal mask: there a Ctrl-C at that
    very moment may still show a worker's traceback.)
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _call(function: Callable[..., R], *args: Any) -> R:
    return function(_context, *args)


def _end_with_parent() -> None:
    """End this worker as soon as the process that started it is gone."""
    import multiprocessing.connection

    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return

    def watch(sentinel: int) -> None:
        multiprocessing.connection.wait([sentinel])
        # The worker may be in the middle of an item: nothing of it is kept.
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, args=(parent.sentinel,), daemon=True).start()
