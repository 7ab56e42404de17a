"""The cycle collector paused for a step, and left as it was found."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from workbook_tools.collector import collection_paused


@pytest.fixture
def restore_collector() -> Iterator[None]:
    was = gc.isenabled()
    yield None
    if was:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.usefixtures("restore_collector")
@pytest.mark.parametrize("enabled", [True, False])
def test_paused_inside_and_left_as_it_was(enabled: bool) -> None:
    gc.enable() if enabled else gc.disable()
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled() is enabled


@pytest.mark.usefixtures("restore_collector")
def test_left_running_when_the_step_fails() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("the step failed")
    assert gc.isenabled()
