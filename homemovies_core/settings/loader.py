"""Build one validated `Settings` from flags, the environment and secrets files.

Precedence, highest first: flags, `HM_*` variables, secrets.toml keys, then the files that
hold a secret as they rank by where they were named; the Vault fills what is still missing
later (`with_values`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from .checks import validate
from .model import OPTIONS, Settings
from .sources import convert, fill_secrets_from_files, first_given, read_secrets_files


def build_parser() -> argparse.ArgumentParser:
    """Every setting as a flag (and its aliases); a flag not given parses as None, so that
    the environment and secrets files can still give it."""
    parser = argparse.ArgumentParser(
        prog="streamlit run Home.py --",
        description="Home Movies: watch the family's videos from OCI Object Storage or a folder. "
        "Every flag can also be set as an environment variable HM_<NAME> or a key in "
        ".streamlit/secrets.toml; flags win over the environment, the environment over the file.",
    )
    for option in OPTIONS:
        flags = [f"--{option.name}", *(f"--{a}" for a in option.aliases)]
        if option.kind == "bool":
            parser.add_argument(
                *flags, dest=option.name, action="store_true", default=None, help=option.help
            )
        else:
            shown = "" if option.default in (None, ()) else f" (default {option.default})"
            parser.add_argument(
                *flags,
                dest=option.name,
                default=None,
                metavar=option.name.upper(),
                help=option.help + shown,
            )
    return parser


def load(
    argv: Sequence[str], env: Mapping[str, str] | None = None, secrets_files: Sequence[Path] = ()
) -> Settings:
    """Parse and validate. `argparse` itself exits for -h and unknown flags."""
    return load_parsed(build_parser().parse_args(list(argv)), env, secrets_files)


def load_parsed(
    flags: argparse.Namespace | Mapping[str, object],
    env: Mapping[str, str] | None = None,
    secrets_files: Sequence[Path] = (),
) -> Settings:
    """Like `load`, from flags already parsed by `build_parser()` or a parser built on it
    (`parents=[build_parser()]`): a value of None is a flag not given. Other names in
    `flags` are not settings and are ignored."""
    flags = vars(flags) if isinstance(flags, argparse.Namespace) else flags
    env = os.environ if env is None else env
    file_values = read_secrets_files(secrets_files)
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for option in OPTIONS:
        raw, source = first_given(option, flags, env, file_values)
        if raw is not None:
            values[option.name] = convert(option, raw, source)
            sources[option.name] = source
    fill_secrets_from_files(values, sources)
    settings = Settings(**values, sources=sources)
    validate(settings)
    return settings


def with_values(settings: Settings, values: Mapping[str, object], source: str) -> Settings:
    """Fill in values that nothing with higher precedence gave (used by the Vault)."""
    missing = {k: v for k, v in values.items() if getattr(settings, k) in (None, "")}
    sources = {**settings.sources, **{k: source for k in missing}}
    updated = replace(settings, **missing, sources=sources)
    validate(updated)
    return updated


def default_secrets_files(app_dir: Path) -> list[Path]:
    candidates = [
        Path.home() / ".streamlit" / "secrets.toml",
        app_dir / ".streamlit" / "secrets.toml",
        Path.cwd() / ".streamlit" / "secrets.toml",
    ]
    unique: list[Path] = []
    for path in candidates:
        if path.resolve() not in [p.resolve() for p in unique]:
            unique.append(path)
    return unique
