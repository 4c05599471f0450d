"""`python -m homemovies_core COMMAND [flags]`: the command lines next to the app."""

from __future__ import annotations

import sys

USAGE = (
    "usage: python -m homemovies_core {check,ingest,index,users,worker} ...\n"
    "  check    verify a configuration (sign-in, namespace, bucket, a test PAR, Redis)\n"
    "  ingest   convert videos to HLS movies and add them to the library (ingest --help)\n"
    "  index    when each video was filmed, its length and size, and posters (index --help)\n"
    "  users    a login per family member: users add NAME, users remove NAME, users list\n"
    "  worker   turn uploaded videos into movies, from the job queue (worker --help)"
)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "check":
        from .check import run

        return run(rest)
    if command == "index":
        from .index.cli import main as index

        return index(rest)
    if command == "ingest":
        from .ingest import main as ingest

        return ingest(rest, prog="python -m homemovies_core ingest")
    if command == "users":
        from .users_cli import main as users

        return users(rest)
    if command == "worker":
        from .worker_cli import main as worker

        return worker(rest)
    print(f"home-movies: unknown command {command!r}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
