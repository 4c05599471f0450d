"""Our HTTP routes beside Streamlit's (Starlette): the edge of the app, built from Services.

The same layer as ui/, without Streamlit: a route reads a bounded request, calls services
and core, and answers. Nothing below this package imports it.
"""
