"""What a person's device and keyboard send when adding videos, made safe or refused in one
sentence: file names (never refused: they become safe titles), typed folder names, sizes."""

from __future__ import annotations

import pytest

from homemovies_core.uploads import choice, names
from homemovies_core.uploads.errors import UploadError

GB = 1_000_000_000


@pytest.mark.parametrize(
    ("raw", "title", "extension"),
    [
        ("IMG_0001.MOV", "IMG_0001", ".mov"),
        ("../../etc/passwd.mp4", "passwd", ".mp4"),
        ("C:\\Users\\mum\\Videos\\Beach day.mp4", "Beach day", ".mp4"),
        ("Holidays/..", "Holidays", ""),
        ("..", names.UNTITLED, ""),
        ("/", names.UNTITLED, ""),
        ("", names.UNTITLED, ""),
        (".hidden.mp4", "hidden", ".mp4"),
        # A right-to-left override makes "Birthday\u202e4pm.exe" read as "Birthdayexe.mp4".
        ("Birthday\u202e4pm.exe.mp4", "Birthday4pm.exe", ".mp4"),
        ("a\u2066b\u2069c\u200fd.mp4", "abcd", ".mp4"),
        ("tab\there\nnew\x00line\x7f.mp4", "tab here newline", ".mp4"),
        ("  spaced   out  .mp4", "spaced out", ".mp4"),
        # Zero-width joiners make one family emoji of three: kept.
        ("family 👨\u200d👩\u200d👧.mp4", "family 👨\u200d👩\u200d👧", ".mp4"),
        ("e\u0301te\u0301.mp4", "été", ".mp4"),  # one way of writing é
        ("clip.mp4\u202e", "clip", ".mp4"),
        ("clip.<script>", "clip.<script>", ""),  # not an extension: part of the title
        (None, names.UNTITLED, ""),
        (42, names.UNTITLED, ""),
    ],
)
def test_file_names_become_safe_titles(raw, title, extension):
    found = names.file_name(raw)
    assert (found.title, found.extension) == (title, extension)


def test_a_500_character_name_becomes_a_title_that_fits_a_file_name():
    found = names.file_name("ü" * 500 + ".mp4")
    assert found.extension == ".mp4"
    assert len(found.title) <= names.MAX_TITLE_CHARS
    assert len((found.title + " (99).hls").encode()) <= 255  # one file-system name
    assert set(found.title) == {"ü"}


@pytest.mark.parametrize(
    ("raw", "sentence"),
    [
        ("Trips/2024", "A folder name cannot contain / or \\."),
        ("..\\up", "A folder name cannot contain / or \\."),
        ("...", "Type a name for the new folder (letters or digits, not only dots)."),
        ("\u202e\u200f", "Type a name for the new folder (letters or digits, not only dots)."),
        ("Party.HLS", "A folder name cannot end in .hls (that is how movies are stored)."),
        (None, "Type a name for the new folder."),
    ],
)
def test_bad_folder_names_are_one_sentence(raw, sentence):
    with pytest.raises(UploadError) as refused:
        names.folder_name(raw)
    assert refused.value.message == sentence


def test_a_typed_folder_name_is_cleaned_and_an_existing_one_is_found_in_any_case():
    chosen = {"name": "a.mp4", "size": 5, "modified": 1}
    assert choice.chosen({**chosen, "new_folder": " .Trips\u202e 2024. "}, [], GB).folder == (
        "Trips 2024/"
    )
    assert choice.chosen({**chosen, "new_folder": "holidays"}, ["Holidays/"], GB).folder == (
        "Holidays/"
    )
    assert choice.chosen({**chosen, "folder": ""}, ["", "Holidays/"], GB).folder == ""


@pytest.mark.parametrize(
    ("fields", "sentence", "status"),
    [
        ({"size": 0}, "clip.mp4 is empty (0 bytes): choose the video itself.", 400),
        (
            {"size": 25 * GB},
            "clip.mp4 is 25.0 GB; videos up to 20.0 GB can be added.",
            413,
        ),
        ({"size": -1}, "clip.mp4: the browser did not say its size or date.", 400),
        ({"size": "10"}, "clip.mp4: the browser did not say its size or date.", 400),
        ({"modified": 1e300}, "clip.mp4: the browser did not say its size or date.", 400),
        ({"type": "text/plain"}, "clip.mp4 is not a video.", 400),
        ({"type": "image/jpeg"}, "clip.mp4 is not a video.", 400),
        (
            {"folder": "Nowhere/"},
            "Choose a folder for the videos, or type a name for a new one.",
            400,
        ),
        ({"name": "x" * 5000}, "The file's name is missing or too long.", 400),
    ],
)
def test_what_cannot_be_added_is_one_sentence(fields, sentence, status):
    data = {"name": "clip.mp4", "size": 10, "modified": 1, "folder": "Family/", **fields}
    with pytest.raises(UploadError) as refused:
        choice.chosen(data, ["Family/"], 20 * GB)
    assert (refused.value.message, refused.value.status) == (sentence, status)


def test_a_phone_video_without_a_type_is_left_to_the_job():
    data = {"name": "VID.3gp", "size": 10, "modified": 1, "folder": "Family/", "type": ""}
    assert choice.chosen(data, ["Family/"], GB).file.display == "VID.3gp"
