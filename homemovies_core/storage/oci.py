"""Moved to `homemovies_core.oci.storage`. This name remains only because
tests/oci_grant_worker.py still imports it; delete it when that line is changed."""

from ..oci.storage import OciStorage

__all__ = ["OciStorage"]
