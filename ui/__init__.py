"""UI components shared by the pages (Streamlit-dependent).

Router guard: Streamlit treats a `pages/` folder beside the entry script as a
legacy multipage app until some session has run `st.navigation`. On a fresh
server, a direct link such as /positions would then run pages/positions.py on
its own, without app.py's sidebar and connection setup. Every page imports
`ui`, so the first such run switches the process to the `st.navigation`
router and reruns; app.py then runs and resolves the same page.
"""

from streamlit.runtime.pages_manager import PagesManager

if PagesManager.uses_pages_directory:
    import streamlit as st

    PagesManager.uses_pages_directory = False
    st.rerun()
