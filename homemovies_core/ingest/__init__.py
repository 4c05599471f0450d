"""Command line: turn camera files into adaptive HLS movies and put them in the library.

    python -m homemovies_core ingest INPUT... --folder "Family 2023" [--name "Beach day"]
        [--ladder 2160,1080,720,480] [--preset veryfast] [--segment_seconds 4]
        [--dry_run] [--overwrite] [--ffmpeg PATH] [--workers 16]
        (--media_dir DIR | --bucket NAME [--oci_config ... | --instance_principal | ...])

(`python -m homemovies_core.ingest` works too.) Each input becomes `<folder>/<name>.hls/`
(the layout library.py reads): `output.m3u8` over one H.264/AAC rendition per ladder rung
(never above the source), `poster.jpg`, `info.json` (when it was recorded — from the
video's QuickTime or container creation date, else the file's time, which the output
says — its duration, size and the renditions made; index/formats.py) and the input's
`.vtt` sidecars. The movie is also added to its folder's index (`.homemovies.json`) so the
app shows its recorded date at once. The storage flags are the app's own (settings.py),
and so are the HM_* variables, secrets.toml and the Vault.

- Local library: the movie is written into a hidden folder on the same file system and
  renamed into place in one step, so the app never lists a half-written movie; a
  failure removes the hidden folder.
- OCI: the files are uploaded in parallel with their content types. Re-running resumes:
  objects already under the prefix with the same size and MD5 are skipped. OCI has no
  rename, so the master playlist goes last; until it is there the movie cannot start,
  though the app lists the `.hls/` prefix from its first object on. The encoded files
  are kept in the system temp folder until the upload has finished, so a resumed
  upload does not encode again.
- Each run first removes what killed runs left behind: hidden staging folders in the
  library untouched for a day, and encodes in the temp folder that were cut off a day
  ago or not resumed for a week; it says what it removed.

Modules: `cli` (flags and their checks), `plan` (jobs and the plan text), `console`
(progress), `movie` (encoding, the encode cache), `info` (info.json and the folder's
index), `targets` (local folder or bucket), `command` (the run itself).
"""

from .command import main, run

__all__ = ["main", "run"]
