"""Streamlit components: one folder per page, shared pieces beside them."""
