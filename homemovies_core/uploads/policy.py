"""Who may add videos: the operator's switches (`--no_uploads`, `--uploaders`)."""

from __future__ import annotations

from ..settings import Settings

OFF = "Adding videos is turned off on this server."
NOT_YOU = "Your login may not add videos here; ask whoever runs the server."
NO_QUEUE = "Adding videos needs the job queue, which is not running on this server."


def may_upload(settings: Settings, user: str | None) -> bool:
    """Whether `user` (None: nobody logged in) may add videos, by the settings alone."""
    return refusal(settings, user) is None


def refusal(settings: Settings, user: str | None) -> str | None:
    if user is None:
        return "Log in to add videos."
    if settings.no_uploads:
        return OFF
    allowed = {name.strip().lower() for name in settings.uploaders if name.strip()}
    if allowed and user.lower() not in allowed:
        return NOT_YOU
    return None
