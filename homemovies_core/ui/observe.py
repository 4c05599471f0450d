"""The Streamlit side of what an operator sees: each script run timed per page, with a
request id on every line it logs; and the number of browser sessions on this replica.

Home.py wraps each run in `script_run()` and says which page it is and who is logged in with
`note()`. A run's widget callbacks execute before Home.py's code; the first line they log
binds the run's id (`_run_id_for_callbacks`), which `script_run()` then adopts, so the login
callback's lines carry the same id as the run they belong to.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit.logger as streamlit_logger
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.stats import ACTIVE_SESSIONS_FAMILY

from ..observability import context
from ..observability.logs import user_ref
from ..observability.metrics import SCRIPT_RUN_DURATION, SESSIONS_ACTIVE

log = logging.getLogger("homemovies.script")

LOGIN = "login"  # the page label of a run that showed the login form instead of its page
UNKNOWN = "unknown"  # a run that ended before it knew its page (an error, a redirect)


def install(*, json_logs: bool = False) -> None:
    """Once per process, at start-up: count sessions at each scrape; give callbacks an id;
    with JSON logs, Streamlit's own lines in JSON too."""
    SESSIONS_ACTIVE.set_function(active_sessions)
    context.set_late_binder(_run_id_for_callbacks)
    if json_logs:
        _streamlit_lines_to_ours()


def _streamlit_lines_to_ours() -> None:
    """Streamlit gives each of its loggers a console handler of its own (streamlit.logger),
    which would write plain text lines into a JSON log. Streamlit's own loggers, those made
    so far and (through the function Streamlit calls for each new one) those made later,
    send their records to the root logger's handler instead (observability/logs.py).

    Only `streamlit.*`: Streamlit also sets up uvicorn's loggers this way, and uvicorn's
    access log (off in Streamlit) would come back on through the root logger, with every
    request's path in it — share tokens and poster tokens included."""
    original = streamlit_logger.setup_formatter

    def streamlit_s(logger: logging.Logger) -> bool:
        return logger.name == "streamlit" or logger.name.startswith("streamlit.")

    def to_root(logger: logging.Logger) -> None:
        handler = getattr(logger, "streamlit_console_handler", None)
        if handler is not None:
            logger.removeHandler(handler)
        logger.propagate = True

    def set_up(logger: logging.Logger) -> None:
        (to_root if streamlit_s(logger) else original)(logger)

    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and streamlit_s(logger):
            to_root(logger)
    streamlit_logger.setup_formatter = set_up


def active_sessions() -> int:
    """Browser sessions connected now, as Streamlit's own /_stcore/metrics counts them
    (its stats manager: the runtime's public way to read them)."""
    if not runtime.exists():
        return 0
    stats = runtime.get_instance().stats_mgr.get_stats(family_names=[ACTIVE_SESSIONS_FAMILY])
    return int(sum(stat.value for stat in stats.get(ACTIVE_SESSIONS_FAMILY, ())))


def _run_id_for_callbacks() -> str | None:
    """A new request id for a line logged in a script thread before its run began; None
    in any other thread."""
    return context.new_request_id() if get_script_run_ctx(suppress_warning=True) else None


@contextmanager
def script_run() -> Iterator[None]:
    """One script run: its duration by page, and its id on every line logged meanwhile."""
    if "request_id" not in context.current():  # else a callback of this run bound one
        context.bind(request_id=context.new_request_id())
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - started
        page = str(context.current().get("page") or UNKNOWN)
        SCRIPT_RUN_DURATION.labels(page=page).observe(seconds)
        log.info("script run", extra={"duration_ms": round(seconds * 1000, 1)})
        context.clear()  # the script thread may run the next run: it gets an id of its own


def note(*, page: str, user: str | None = None) -> None:
    """What this run is: its page (a url path of Home.pages(), or LOGIN) and who is logged
    in (shown as a hash, never the name)."""
    context.bind(page=page or "home", **({"user": user_ref(user)} if user else {}))
