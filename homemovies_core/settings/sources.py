"""Where a setting's raw value comes from, and how to name that place in a sentence.

Flags (already parsed), `HM_*` variables, keys of secrets.toml, and the files that hold a
secret (`--password_file`). Values are converted to the field's type here; errors name
where the value was given, in the words the user typed, and never show a secret.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..files import read_head
from ..users import MAX_BYTES as WHOLE_FILE_MAX_BYTES
from .model import BY_NAME, OPTIONS, SECRET_FILES, Option, Settings, SettingsError

# Lower is stronger: a value given at a stronger level wins over a file given at a weaker one.
PRECEDENCE = {"flag": 0, "env": 1, "secrets": 2}
# A secrets file holds one short line; read no more than this before deciding.
SECRET_FILE_MAX_BYTES = 4096
# Keys of secrets.toml that are ours: the file may also hold unrelated Streamlit secrets.
_OUR_KEYS = frozenset(key for o in OPTIONS for key in (o.name, *o.aliases))


def where(option: Option, source: str) -> str:
    """How the user gave an option, in the words they typed: `--password`, `HM_PASSWORD`…"""
    return {
        "flag": f"--{option.name}",
        "env": option.env_name,
        "secrets": f"'{option.name}' in secrets.toml",
        "vault": f"The Vault secret '{option.vault_name}'",
    }.get(source, f"--{option.name}")


def describe_source(s: Settings, name: str) -> str:
    """Where the value of `name` came from, for an error sentence that never shows it."""
    source = s.sources.get(name, "default")
    file_name = SECRET_FILES.get(name)
    if file_name and getattr(s, file_name) is not None and s.sources.get(file_name) == source:
        label = name.replace("_", " ")
        return f"The {label} in {getattr(s, file_name)} ({where(BY_NAME[file_name], source)})"
    return where(BY_NAME[name], source)


def first_given(
    option: Option,
    flags: Mapping[str, object],
    env: Mapping[str, str],
    file_values: Mapping[str, object],
) -> tuple[object, str]:
    """The raw value from the strongest source that gave one, and that source."""
    if flags.get(option.name) is not None:
        return flags[option.name], "flag"
    for name in (option.env_name, *("HM_" + a.upper().replace("-", "_") for a in option.aliases)):
        if env.get(name, "") != "":
            return env[name], "env"
    for key in (option.name, *option.aliases):
        if key in file_values:
            return file_values[key], "secrets"
    return None, "default"


def read_secrets_files(paths: Sequence[Path]) -> dict[str, object]:
    merged: dict[str, object] = {}
    for path in paths:  # later files win, like Streamlit's own order
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"The secrets file {path} could not be read: {exc}.") from None
        merged.update({k: v for k, v in data.items() if k in _OUR_KEYS})
    return merged


def convert(option: Option, raw: object, source: str) -> object:
    """`raw` (text, or a TOML value) as the option's type."""
    if option.kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise SettingsError(f"{where(option, source)} must be true or false, not {raw!r}.")
    if option.kind in ("int", "float"):
        try:
            return int(str(raw)) if option.kind == "int" else float(str(raw))
        except ValueError:
            raise SettingsError(f"{where(option, source)} must be a number, not {raw!r}.") from None
    if option.kind == "list":
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        return tuple(str(i).strip() for i in items if str(i).strip())
    if option.kind == "path":
        return Path(str(raw)).expanduser()
    text = str(raw).strip()
    return text or None


def fill_secrets_from_files(values: dict[str, object], sources: dict[str, str]) -> None:
    """Fill each secret from the file option beside it (`password_file`), unless a stronger
    source gave the secret itself."""
    for name, file_name in SECRET_FILES.items():
        if file_name not in values:
            continue
        file_source = sources[file_name]
        if name in sources:
            if sources[name] == file_source:
                raise SettingsError(
                    f"Give either {where(BY_NAME[name], file_source)} or "
                    f"{where(BY_NAME[file_name], file_source)}, not both."
                )
            if PRECEDENCE[sources[name]] < PRECEDENCE[file_source]:
                continue
        read = read_whole_file if BY_NAME[name].whole_file else read_secret_file
        values[name] = read(values[file_name], where(BY_NAME[file_name], file_source))
        sources[name] = file_source


def read_secret_file(path: Path, where: str) -> str:
    """The first line of `path` without its line ending; nothing else is trimmed, since
    spaces may be part of a password."""
    head = _read_head(path, where, SECRET_FILE_MAX_BYTES + 1)
    line, newline, _rest = head.partition(b"\n")
    if not newline and len(head) > SECRET_FILE_MAX_BYTES:
        raise SettingsError(
            f"The first line of {path} (given by {where}) is longer than "
            f"{SECRET_FILE_MAX_BYTES} bytes; it should hold just the secret."
        )
    try:
        # utf-8-sig: an editor's byte-order mark is not part of the secret.
        text = line.removesuffix(b"\r").decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SettingsError(
            f"The first line of {path} (given by {where}) is not UTF-8 text."
        ) from None
    if not text:
        raise SettingsError(
            f"The first line of {path} (given by {where}) is empty: put the secret there."
        )
    return text


def read_whole_file(path: Path, where: str) -> str:
    """All of `path` (a users file), if it is no larger than `WHOLE_FILE_MAX_BYTES`."""
    data = _read_head(path, where, WHOLE_FILE_MAX_BYTES + 1)
    if len(data) > WHOLE_FILE_MAX_BYTES:
        raise SettingsError(
            f"The file {path} (given by {where}) is larger than "
            f"{WHOLE_FILE_MAX_BYTES // 1024} KiB, far more than it should hold."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SettingsError(f"The file {path} (given by {where}) is not UTF-8 text.") from None


def _read_head(path: Path, where: str, limit: int) -> bytes:
    """At most `limit` bytes from the start of `path`: bounded before it is read."""
    return read_head(path, limit, called=f"The file {path} given by {where}", error=SettingsError)
