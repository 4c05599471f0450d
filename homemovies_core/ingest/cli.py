"""What the person asked for: the command line, checked, with one sentence per mistake.

The library flags are the app's own parser (settings.py), so HM_* variables, secrets.toml
and the Vault work here as they do for the app.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import settings as settings_mod
from ..configuration import load_parsed_settings
from ..library import HLS_SUFFIX
from ..oci.transfer import DEFAULT_WORKERS
from ..settings import Settings

PROG = "python -m homemovies_core.ingest"
DEFAULT_HEIGHTS = (2160, 1080, 720, 480)
PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)


class IngestError(Exception):
    """Something the person running the command can fix; one sentence."""


class ConversionFailed(IngestError):
    """ffmpeg could not make the movie from this input (it is damaged, or not a video)."""


@dataclass(frozen=True)
class Options:
    inputs: tuple[Path, ...]
    folder: str
    name: str | None
    heights: tuple[int, ...]
    preset: str
    segment_seconds: int
    dry_run: bool
    overwrite: bool
    ffmpeg: str | None
    workers: int


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    # The storage flags are the app's parser itself, not a copy: one list of flags to keep.
    parser = argparse.ArgumentParser(
        prog=prog,
        parents=[settings_mod.build_parser()],
        conflict_handler="resolve",
        usage="%(prog)s INPUT... --folder FOLDER [--name NAME] [options] "
        "(--media_dir DIR | --bucket NAME [OCI sign-in flags])",
        description="Convert videos into adaptive HLS movies (a ladder of renditions, a poster "
        "and subtitles) and put them into the Home Movies library: a local folder "
        "(--media_dir) or an OCI Object Storage bucket (--bucket). The library flags are the "
        "app's own and can also come from HM_* variables, secrets.toml or the Vault.",
    )
    movie = parser.add_argument_group("converting")
    add = movie.add_argument
    add("inputs", nargs="+", metavar="INPUT", type=Path, help="video files")
    add("--folder", required=True, help="library folder (a tab in the app), e.g. 'Family 2023'")
    add("--name", help="movie name (only with one INPUT; default: its file name)")
    add(
        "--ladder",
        default=",".join(map(str, DEFAULT_HEIGHTS)),
        help="rendition heights, comma-separated; none above the source is made "
        "(default %(default)s)",
    )
    add(
        "--preset",
        default="veryfast",
        choices=PRESETS,
        help="x264 preset: slower makes smaller files (default %(default)s)",
    )
    add(
        "--segment_seconds",
        type=int,
        default=4,
        help="HLS segment length in seconds (default %(default)s)",
    )
    add("--dry_run", action="store_true", help="print the plan and change nothing")
    add("--overwrite", action="store_true", help="replace a movie of the same name")
    add(
        "--ffmpeg",
        metavar="PATH",
        help="ffmpeg to use (default: imageio-ffmpeg's, else the one on PATH)",
    )
    add(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help="parallel uploads to OCI (default %(default)s)",
    )
    return parser


def parse(argv: Sequence[str], prog: str = PROG) -> tuple[Options, Settings]:
    parsed = build_parser(prog).parse_intermixed_args(list(argv))  # INPUTs anywhere
    options = Options(
        inputs=tuple(parsed.inputs),
        folder=check_folder(parsed.folder),
        name=None if parsed.name is None else check_name(parsed.name, "--name"),
        heights=parse_ladder(parsed.ladder),
        preset=parsed.preset,
        segment_seconds=parsed.segment_seconds,
        dry_run=parsed.dry_run,
        overwrite=parsed.overwrite,
        ffmpeg=parsed.ffmpeg,
        workers=parsed.workers,
    )
    _check_combination(options)
    loaded = load_parsed_settings(parsed)  # flags, HM_*, secrets.toml, then the Vault
    if loaded.storage_kind == "demo":
        raise IngestError(
            "Say where the movies go: give --media_dir (a local library folder) "
            "or --bucket (an OCI Object Storage bucket)."
        )
    return options, loaded


def _check_combination(options: Options) -> None:
    if options.name is not None and len(options.inputs) > 1:
        raise IngestError(
            "--name names one movie: give it with a single INPUT, or leave it out "
            "to name each movie after its file."
        )
    if not 1 <= options.segment_seconds <= 60:
        raise IngestError("--segment_seconds must be between 1 and 60.")
    if not 1 <= options.workers <= 64:
        raise IngestError("--workers must be between 1 and 64.")


def check_folder(raw: str) -> str:
    folder = raw.strip().strip("/")
    if not folder:
        raise IngestError("--folder must name a folder, e.g. --folder 'Family 2023'.")
    if "/" in folder:
        raise IngestError(
            f"--folder '{raw}' has a '/' in it: the app shows one level of "
            "folders, so choose a single folder name."
        )
    if folder.lower().endswith(HLS_SUFFIX):
        raise IngestError(
            f"--folder '{raw}' ends in {HLS_SUFFIX}, which the app would take for "
            "a movie; choose another name."
        )
    return check_name(folder, "--folder")


def check_name(raw: str, flag: str) -> str:
    name = raw.strip()
    if not name:
        raise IngestError(f"{flag} must not be empty.")
    if name.startswith("."):
        raise IngestError(f"{flag} '{raw}' starts with '.', and the app hides such names.")
    if any(c in name for c in "/\\\x00"):
        raise IngestError(f"{flag} '{raw}' must not contain '/', '\\' or NUL.")
    return name


def parse_ladder(raw: str) -> tuple[int, ...]:
    heights = []
    for part in raw.split(","):
        part = part.strip().lower().removesuffix("p")
        if not part:
            continue
        if not part.isdigit() or int(part) < 2 or int(part) % 2 or int(part) > 4320:
            raise IngestError(
                f"--ladder '{raw}' must list even heights from 2 to 4320 separated "
                "by commas, e.g. 2160,1080,720,480."
            )
        heights.append(int(part))
    if not heights:
        raise IngestError("--ladder must list at least one height, e.g. 1080,720,480.")
    return tuple(sorted(set(heights), reverse=True))
