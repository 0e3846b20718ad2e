"""The error record of a failed call: the wrapped exception and never an empty message."""

from __future__ import annotations

from forensics_tui.capture.calls import error_info


class Quiet(Exception):
    """An exception whose str() is empty, like httpx's async ReadTimeout."""


class WithRequest(Exception):
    def __init__(self) -> None:
        super().__init__()
        self.request = type("R", (), {"url": "http://api.example.com/items"})()


def test_wrapped_exception_is_named() -> None:
    try:
        try:
            raise TimeoutError("upstream took 30 s")
        except TimeoutError as exc:
            raise RuntimeError("the tool failed") from exc
    except RuntimeError as outer:
        info = error_info(outer)
    assert info is not None
    assert (info["type"], info["message"]) == ("RuntimeError", "the tool failed")
    assert info["cause"] == {"type": "TimeoutError", "message": "upstream took 30 s"}


def test_empty_messages_become_type_and_url() -> None:
    assert error_info(Quiet())["message"] == "Quiet"  # type: ignore[index]
    info = error_info(WithRequest())
    assert info["message"] == "WithRequest while requesting http://api.example.com/items"  # type: ignore[index]
    assert "cause" not in info  # type: ignore[operator]
