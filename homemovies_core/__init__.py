"""Home Movies core: everything that is not drawing. Free of Streamlit (but player/ and auth.py)."""
