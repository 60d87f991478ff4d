"""ecocomp front end (Streamlit): session state, strings, formatting, charts and one module per page.

The calculation core (``compensation``) never imports this package or streamlit; every number shown here
comes from a core function."""
