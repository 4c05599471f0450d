"""Home Movies core: everything that is not drawing. Streamlit lives only in ui/ (see ui/__init__)."""
