"""The interactive dashboard over the published snapshot (`make dashboard`).

`app.py` is the Streamlit page, `queries.py` every query it runs against the
snapshot, `kpis.py` the tiles and how their numbers read.
"""
