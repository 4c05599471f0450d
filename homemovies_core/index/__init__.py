"""Facts about videos that a listing cannot tell: when each was recorded, how long it
runs, its picture size.

- `format`: the two small JSON files that carry them. `.homemovies.json` in a folder (one
  entry per video of the folder, written by `python -m homemovies_core index`) and
  `info.json` inside an `.hls/` movie (written by ingest). Pure, bounded, lenient.
- `probing`: reading a video of the library with ffprobe — a file on disk, or an object
  through a short-lived pre-authenticated URL — and making a poster for it.
- `folder`: indexing one folder: probe what is new or changed, keep the rest.
- `cli`: the `index` command.

The catalog reads a folder's `.homemovies.json` together with its listing; nothing here
imports Streamlit.
"""
