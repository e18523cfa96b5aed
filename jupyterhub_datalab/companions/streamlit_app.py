"""A Streamlit app as an ASGI application, so uvicorn can serve it on a Unix socket.

``streamlit run`` only listens on TCP ports, which every process of the machine reaches;
an app published on one machine must answer only the datalab's authenticated proxy. So the
local backend runs ``python -m uvicorn --factory
jupyterhub_datalab.companions.streamlit_app:make_app --uds <socket>`` with ``APP_FILE``
(the script) and ``APP_PREFIX`` (its base path) in the environment.
"""

import os


def make_app():
    import streamlit as st
    from streamlit import config

    config.set_option("server.baseUrlPath", os.environ.get("APP_PREFIX", ""))
    config.set_option("server.headless", True)
    config.set_option("browser.gatherUsageStats", False)
    return st.App(os.environ["APP_FILE"])
