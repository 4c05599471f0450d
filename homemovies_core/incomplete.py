"""Movies still being added: the marker object beside each one.

OCI has no rename, so a movie's objects appear one by one. Before the first of them, the
publisher (oci/transfer.py) writes a small object beside the movie, `Folder/Name.hls.incomplete`,
and removes it once the movie is whole and in its folder's index. Being at the same level as
the movie's `Name.hls/` prefix, it is in the same one-level listing of the folder, so the
layout rules (library.py) hide a movie being added at no extra call. Its name has no leading
dot: listings drop hidden names. A local library needs none: a movie arrives there by rename.
"""

from __future__ import annotations

from .storage.base import Listing, ObjectInfo

SUFFIX = ".incomplete"


def marker(movie_key: str) -> str:
    """The marker of the movie at `movie_key`: "F/Name.hls/" -> "F/Name.hls.incomplete"."""
    return movie_key.rstrip("/") + SUFFIX


def marked(listing: Listing) -> dict[str, ObjectInfo]:
    """Each prefix of `listing` whose marker is in it too, with that marker (its `modified`
    says since when)."""
    markers = {o.name: o for o in listing.objects if o.name.endswith(SUFFIX)}
    prefixes = (p.name for p in listing.prefixes if markers)
    return {name: markers[m] for name in prefixes if (m := marker(name)) in markers}
