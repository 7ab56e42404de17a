"""Python's cycle collector, paused while a step makes many objects that live on.

The collector runs each time some hundreds of objects have been made, and now
and then goes through every object of the program. A step that makes tens of
thousands of records, cells or module objects that are kept (the modules
until the program ends) makes it run again and again for nothing: none of
them is garbage yet. Such a step runs inside :func:`collection_paused`.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """No cycle collection inside the block; the collector is left as it was found."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
