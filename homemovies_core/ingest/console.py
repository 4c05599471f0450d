"""Progress on the console: tqdm bars on stderr when it is a terminal, a line per step
otherwise (a log file or a pipe gets no control characters)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


class Progress:
    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    @contextmanager
    def bar(
        self, label: str, total: float, unit: str, scale: bool = False
    ) -> Iterator[Callable[[float], None]]:
        """Yields `advance(amount)`, safe to call from any thread."""
        if not self.tty:
            self.say(f"{label}…")
            yield lambda _amount: None
            return
        lock = threading.Lock()
        # A percentage bar needs no "48.0/100.0 [64.73%/s]" counter after it.
        shape = "{l_bar}{bar}| {elapsed}<{remaining}" if unit == "%" else None
        with tqdm(
            total=total,
            desc=label,
            unit=unit,
            unit_scale=scale,
            unit_divisor=1024,
            file=self.stream,
            leave=True,
            dynamic_ncols=True,
            bar_format=shape,
        ) as shown:

            def advance(amount: float) -> None:
                with lock:
                    shown.update(amount)

            yield advance

    def byte_bar(self, label: str, total: int):
        """A bar counting bytes (the shape `oci.transfer` asks for)."""
        return self.bar(label, total, "B", scale=True)
