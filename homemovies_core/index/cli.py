"""`python -m homemovies_core index [FOLDER...] (--media_dir DIR | --bucket NAME ...)`

Writes each folder's `.homemovies.json` (formats.py) and a poster for every plain video
that has none, and says which movies are not listed because adding them has not finished.
The library flags are the app's own (settings.py), so HM_* variables, secrets.toml and the
Vault work here as they do for the app. Safe to run again at any time: only new or changed
videos are probed.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import Sequence

from .. import library
from .. import settings as settings_mod
from ..commands import run_command
from ..configuration import load_parsed_settings
from ..ffmpeg import find_ffmpeg
from ..ingest.console import Progress
from ..library_view import ROOT_PARAM, folder_key
from ..oci.storage import OciStorage
from ..storage.base import Storage
from ..storage.overlay import OverlayStorage, open_library, writable
from .folder import DEFAULT_WORKERS, index_folder

PROG = "python -m homemovies_core index"


class IndexCommandError(Exception):
    """Something the person running the command can fix; one sentence."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[settings_mod.build_parser()],
        conflict_handler="resolve",
        usage="%(prog)s [FOLDER...] [options] (--media_dir DIR | --bucket NAME [OCI sign-in flags])",
        description="Index the videos of a Home Movies library: when each was recorded (from "
        "its metadata), how long it runs and its picture size, kept in a hidden "
        ".homemovies.json per folder that the app reads with the folder. Videos without a "
        "poster get one. Only new or changed videos are probed, so it can run at any time.",
    )
    group = parser.add_argument_group("indexing")
    add = group.add_argument
    add(
        "folders",
        nargs="*",
        metavar="FOLDER",
        help="library folders to index (default: all); '/' is the videos at the top",
    )
    add("--no_posters", action="store_true", help="do not make posters for videos without one")
    add(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help="videos probed at a time (default %(default)s)",
    )
    add(
        "--ffmpeg",
        metavar="PATH",
        help="ffmpeg to use (default: imageio-ffmpeg's, else the one on PATH); ffprobe is "
        "looked for beside it, then on PATH",
    )
    return parser


def connect(settings: settings_mod.Settings) -> Storage:
    if settings.storage_kind == "local":
        # Reading the settings already checked that the media folder exists and is a folder.
        # With --uploads_dir, the movies added there are indexed too (storage/overlay.py).
        found = open_library(settings.media_dir, settings.uploads_dir, secrets.token_bytes(32))
        root = found.write_root.root if isinstance(found, OverlayStorage) else found.root
        if not writable(root):
            raise IndexCommandError(f"The media folder {root} cannot be written by this user.")
        return found  # no URLs are made: any key
    if settings.storage_kind == "oci":
        return OciStorage.from_settings(settings)
    raise IndexCommandError(
        "Say which library to index: give --media_dir (a local folder) or "
        "--bucket (an OCI Object Storage bucket)."
    )


def choose_folders(storage: Storage, asked: Sequence[str]) -> list[str]:
    root = storage.list_level("")
    present = library.folders_in(root)
    if not asked:
        # The top too when all it has is a movie being added: that is reported.
        unlisted = "" not in present and library.unfinished_movies(root)
        return present + [""] if unlisted else present
    chosen = []
    for raw in asked:
        # The page's own rule for a folder named in a URL; an empty name is the top too.
        key = folder_key(raw.strip() or ROOT_PARAM)
        if key not in present:
            shown = library.folder_title(key)
            raise IndexCommandError(f"There is no folder '{shown}' with videos in the library.")
        chosen.append(key)
    return list(dict.fromkeys(chosen))


def run(argv: Sequence[str], ui: Progress | None = None) -> int:
    ui = ui or Progress()
    parsed = build_parser().parse_intermixed_args(list(argv))
    if not 1 <= parsed.workers <= 32:
        raise IndexCommandError("--workers must be between 1 and 32.")
    loaded = load_parsed_settings(parsed)  # flags, HM_*, secrets.toml, then the Vault
    storage = connect(loaded)
    ffmpeg = find_ffmpeg(parsed.ffmpeg)
    folders = choose_folders(storage, parsed.folders)
    started = time.monotonic()
    for folder in folders:
        report = index_folder(
            storage,
            folder,
            ffmpeg=ffmpeg,
            bar=ui.bar,
            say=ui.say,
            posters=not parsed.no_posters,
            workers=parsed.workers,
        )
        print(report.summary(), flush=True)
        for line in report.unreadable:
            print(f"  not a video ffprobe can read: {line}", flush=True)
        for line in report.unfinished:
            print(f"  {line}", flush=True)
    print(f"Indexed {len(folders)} folder(s) in {time.monotonic() - started:.0f} s.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    return run_command(
        lambda: run(argv),
        name="index",
        errors=(IndexCommandError,),
        interrupted="Interrupted. Folders already indexed keep their index; "
        "run it again to finish the rest.",
    )
