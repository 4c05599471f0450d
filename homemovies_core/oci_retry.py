"""Moved to `homemovies_core.oci.policy`. This name remains only because tests/oci_env.py
still imports it; delete it when that line is changed."""

from .oci.policy import BACKGROUND, INTERACTIVE, CallPolicy

__all__ = ["BACKGROUND", "INTERACTIVE", "CallPolicy"]
