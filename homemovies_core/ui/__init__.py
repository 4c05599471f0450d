"""Everything that imports Streamlit (besides pages/ and Home.py): the drawing side.

Layers, top to bottom: pages → ui → services → core modules → storage/ and oci/. Nothing
below this package imports it or Streamlit (tests/test_layers.py holds that).
"""
