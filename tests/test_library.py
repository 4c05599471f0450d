from datetime import UTC, datetime

import pytest

from homemovies_core import incomplete, library
from homemovies_core.library import Kind
from homemovies_core.storage.base import Listing, ObjectInfo


@pytest.mark.parametrize(
    "name, title, kind, badge",
    [
        ("Holidays/Beach day.mp4", "Beach day", Kind.PROGRESSIVE, "MP4"),
        ("Holidays/UPPER.MP4", "UPPER", Kind.PROGRESSIVE, "MP4"),
        ("Holidays/Party #2 ?.mov", "Party #2 ?", Kind.PROGRESSIVE, "MOV"),
        ("Holidays/odd+name%20.mp4", "odd+name%20", Kind.PROGRESSIVE, "MP4"),
        ("Holidays/Ünïcode café.m4v", "Ünïcode café", Kind.PROGRESSIVE, "M4V"),
        ("Holidays/My.Movie.2023.mp4", "My.Movie.2023", Kind.PROGRESSIVE, "MP4"),
        ("Old/tape.AVI", "tape", Kind.DOWNLOAD, "AVI"),
        ("Old/tape.mkv", "tape", Kind.DOWNLOAD, "MKV"),
    ],
)
def test_files_are_classified_with_display_names(name, title, kind, badge):
    listing = Listing((ObjectInfo(name, 10),), ())
    (video,) = library.videos_in(name.split("/")[0] + "/", listing)
    assert (video.title, video.kind, video.badge) == (title, kind, badge)


def test_hls_folder_is_one_video_with_poster_and_playlist():
    listing = Listing(
        (), (ObjectInfo("Birthdays/Party #2 ?.HLS/"), ObjectInfo("Birthdays/nested folder/"))
    )
    (video,) = library.videos_in("Birthdays/", listing)
    assert video.kind is Kind.HLS and video.title == "Party #2 ?"
    assert video.playlist == "Birthdays/Party #2 ?.HLS/output.m3u8"
    assert video.poster == "Birthdays/Party #2 ?.HLS/poster.jpg"


def test_sidecars_attach_and_are_not_videos():
    names = [
        "F/Beach day.mp4",
        "F/Beach day.jpg",
        "F/Beach day.en.vtt",
        "F/Beach day.vtt",
        "F/Beach day.fr.vtt",
        "F/Beach.vtt",
        "F/notes.txt",
        "F/cover.jpg",
    ]
    videos = library.videos_in("F/", Listing(tuple(ObjectInfo(n) for n in names), ()))
    assert [v.title for v in videos] == ["Beach day"]
    v = videos[0]
    assert v.poster == "F/Beach day.jpg"
    assert [(s.language, s.label) for s in v.subtitles] == [
        ("en", "English"),
        ("fr", "Français"),
        ("", "Subtitles"),
    ]


def test_root_files_make_unsorted_and_hls_folders_are_not_folders():
    root = Listing(
        (ObjectInfo("Loose clip.mp4"), ObjectInfo("readme.txt")),
        (
            ObjectInfo("Zoo/"),
            ObjectInfo("Holidays 10/"),
            ObjectInfo("Holidays 9/"),
            ObjectInfo("Root movie.hls/"),
        ),
    )
    assert library.folders_in(root) == ["Holidays 9/", "Holidays 10/", "Zoo/", ""]
    assert library.folder_title("") == "Unsorted"
    assert [v.title for v in library.videos_in("", root)] == ["Loose clip", "Root movie"]


def test_a_movie_with_its_marker_beside_it_is_not_listed_yet():
    folder = Listing(
        (
            ObjectInfo("F/Pond.hls.incomplete"),  # Pond is being added
            ObjectInfo("F/Lake.HLS.incomplete"),  # a marker is the movie's own name
            ObjectInfo("F/Gone.hls.incomplete"),  # its movie's first object is not up yet
        ),
        (ObjectInfo("F/Pond.hls/"), ObjectInfo("F/Lake.hls/"), ObjectInfo("F/Lake.HLS/")),
    )
    assert [v.key for v in library.videos_in("F/", folder)] == ["F/Lake.hls/"]
    assert sorted(library.unfinished_movies(folder)) == ["F/Lake.HLS/", "F/Pond.hls/"]
    assert incomplete.marker("F/Pond.hls/") == "F/Pond.hls.incomplete"
    # At the top: a movie being added makes no "Unsorted" folder yet.
    root = Listing((ObjectInfo("Pond.hls.incomplete"),), (ObjectInfo("Pond.hls/"),))
    assert library.folders_in(root) == [] and library.videos_in("", root) == []


def test_root_without_loose_videos_has_no_unsorted():
    root = Listing((ObjectInfo("notes.txt"),), (ObjectInfo("A/"),))
    assert library.folders_in(root) == ["A/"]


def test_folder_of():
    assert library.folder_of("A/b.mp4") == "A/"
    assert library.folder_of("b.mp4") == ""
    assert library.folder_of("A/x.hls/") == "A/"
    assert library.folder_of("x.hls/") == ""


def test_fold_ignores_case_and_accents():
    assert library.fold("Ünïcode CAFÉ") == "unicode cafe"


def test_hls_subtitles_inside_folder():
    listing = Listing(
        (
            ObjectInfo("A/m.hls/output.m3u8"),
            ObjectInfo("A/m.hls/subs.de.vtt"),
            ObjectInfo("A/m.hls/en.vtt"),
        ),
        (),
    )
    subs = library.hls_subtitles(listing)
    assert [(s.language, s.label) for s in subs] == [("en", "English"), ("de", "Deutsch")]


def test_listing_json_round_trip():
    when = datetime(2023, 6, 1, 12, 0, tzinfo=UTC)
    listing = Listing((ObjectInfo("a b#.mp4", 12, when),), (ObjectInfo("x.hls/", None, None),))
    assert library.listing_from_json(library.listing_to_json(listing)) == listing


def _catalog(root):
    from homemovies_core import signing
    from homemovies_core.cache import LocalCache
    from homemovies_core.catalog import Catalog
    from homemovies_core.storage.local import LocalStorage

    return Catalog(
        LocalStorage(root, signing.derive_key("k", "v")),
        LocalCache(),
        listing_ttl=60,
        count_eagerly=True,
    )


def _jpeg(size, **save):
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, "JPEG", **save)
    return out.getvalue()


def _image(data):
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.format, image.size


def test_broken_poster_becomes_the_placeholder(tmp_path):
    (tmp_path / "F").mkdir()
    for name in ("Good", "Broken"):
        (tmp_path / "F" / f"{name}.mp4").write_bytes(b"\0")
    (tmp_path / "F" / "Good.jpg").write_bytes(_jpeg((16, 9)))
    (tmp_path / "F" / "Broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    catalog = _catalog(tmp_path)
    posters = catalog.posters(list(catalog.folder_view("F/").videos))
    assert posters["F/Broken.mp4"] is None
    assert _image(posters["F/Good.mp4"]) == ("JPEG", (16, 9))


def test_a_huge_poster_is_cached_as_a_small_thumbnail(tmp_path):
    # 8000×8000 in one flat colour: a few hundred KB on disk, 192 MB once decoded. Before,
    # those bytes were cached and drawn as they were on every card of every rerun.
    (tmp_path / "F").mkdir()
    (tmp_path / "F" / "Big.mp4").write_bytes(b"\0")
    big = _jpeg((8000, 8000), quality=10, optimize=True)
    assert len(big) < 512 * 1024  # under the byte cap: only pixels can stop it
    (tmp_path / "F" / "Big.jpg").write_bytes(big)
    catalog = _catalog(tmp_path)
    poster = catalog.posters(list(catalog.folder_view("F/").videos))["F/Big.mp4"]
    kind, (width, height) = _image(poster)
    assert kind == "JPEG" and width <= 640 and height <= 640
    assert len(poster) < 64 * 1024


def test_a_poster_with_too_many_pixels_to_decode_is_not_drawn(tmp_path):
    import io

    from PIL import Image

    # PNG cannot be decoded at a reduced size: 8000×8000 would cost 192 MB, so it is refused
    # from its header alone.
    (tmp_path / "F").mkdir()
    (tmp_path / "F" / "Flat.mp4").write_bytes(b"\0")
    png = io.BytesIO()
    Image.new("RGB", (8000, 8000), "blue").save(png, "PNG")
    assert len(png.getvalue()) < 512 * 1024
    (tmp_path / "F" / "Flat.png").write_bytes(png.getvalue())
    catalog = _catalog(tmp_path)
    assert catalog.posters(list(catalog.folder_view("F/").videos)) == {"F/Flat.mp4": None}


# -- facts from a folder's index ----------------------------------------------------------------
def _facts(year: int):
    from datetime import timedelta, timezone

    from homemovies_core.index.formats import VideoFacts

    when = datetime(year, 7, 14, 16, 2, tzinfo=timezone(timedelta(hours=2)))
    return VideoFacts(when, "quicktime", 61.5, 1920, 1080)


def test_index_facts_are_merged_into_videos_of_unchanged_files():
    from homemovies_core.index.formats import IndexEntry

    when = datetime(2024, 1, 1, tzinfo=UTC)
    listing = Listing(
        (
            ObjectInfo("F/Beach.mp4", 100, when),
            ObjectInfo("F/Swapped.mp4", 200, when),
            ObjectInfo("F/Touched.mp4", 100, when),
            ObjectInfo("F/New.mp4", 5, when),
        ),
        (ObjectInfo("F/Party.hls/"),),
    )
    index = {
        "Beach.mp4": IndexEntry(_facts(2023), 100, when),
        "Swapped.mp4": IndexEntry(_facts(2022), 999, when),  # since replaced: other size
        "Touched.mp4": IndexEntry(_facts(2021), 100, when.replace(year=2020)),
        "Party.hls/": IndexEntry(_facts(2019)),  # from the movie's info.json
        "Gone.mp4": IndexEntry(_facts(2018), 1, when),
    }
    videos = {v.title: v for v in library.videos_in("F/", listing, index)}
    beach = videos["Beach"]
    assert (beach.recorded, beach.recorded_source, beach.duration, beach.width, beach.height) == (
        _facts(2023).recorded,
        "quicktime",
        61.5,
        1920,
        1080,
    )
    assert beach.modified == when  # the file time stays what it was
    assert videos["Party"].recorded.year == 2019
    for title in ("Swapped", "Touched", "New"):
        v = videos[title]
        assert (v.recorded, v.recorded_source, v.duration, v.width, v.height) == (None,) * 5
    assert set(videos) == {"Beach", "Swapped", "Touched", "New", "Party"}


def test_without_an_index_videos_are_as_before():
    listing = Listing((ObjectInfo("F/Beach.mp4", 100, datetime(2024, 1, 1, tzinfo=UTC)),), ())
    assert library.videos_in("F/", listing) == library.videos_in("F/", listing, {})
    (video,) = library.videos_in("F/", listing)
    assert video.recorded is None and video.duration is None


def test_root_videos_are_looked_up_by_their_own_name():
    from homemovies_core.index.formats import IndexEntry

    listing = Listing((ObjectInfo("Loose.mp4", 1, None),), (ObjectInfo("Top.hls/"),))
    index = {"Loose.mp4": IndexEntry(_facts(2020), 1, None), "Top.hls/": IndexEntry(_facts(2017))}
    found = {v.title: v.recorded.year for v in library.videos_in("", listing, index)}
    assert found == {"Loose": 2020, "Top": 2017}
