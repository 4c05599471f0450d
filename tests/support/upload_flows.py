"""What a person does on the Add videos page, one action each (no retries; see flows.py),
and what the test reads back: each upload's row in "Your uploads"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.support.flows import log_in_for_good

# Patience for a video to go from "chosen" to "Ready": an upload, a queue and an encode on a
# busy 2-core machine. A guard against a hang, not a measure of speed.
READY_MS = 600_000


def open_add_videos(page: Page, base: str, *, logged_in: bool = False) -> None:
    page.goto(base + "/add")
    if not logged_in:
        log_in_for_good(page)
    expect(page.get_by_role("heading", name="Add videos")).to_be_visible(timeout=60_000)
    expect(file_input(page)).to_be_attached(timeout=60_000)


def file_input(page: Page):
    return page.get_by_label("Videos to add")


def choose(page: Page, files: Sequence[Path | dict], *, folder: str | None = None) -> None:
    """Pick the folder (an existing one's title), then the files, as a person does."""
    if folder is not None:
        page.get_by_label("Folder", exact=True).select_option(label=folder)
    file_input(page).set_input_files(files)


def new_folder(page: Page, name: str) -> None:
    page.get_by_label("Folder", exact=True).select_option(label="New folder…")
    page.get_by_label("Name of the new folder").fill(name)


def row(page: Page, name: str):
    """The upload named `name` in "Your uploads"."""
    uploads = page.get_by_role("list", name="Your uploads")
    return uploads.get_by_role("listitem").filter(has=page.get_by_text(name, exact=True))


def expect_state(page: Page, name: str, pattern: str, timeout: float = READY_MS) -> None:
    expect(row(page, name)).to_contain_text(re.compile(pattern), timeout=timeout)
