"""Local stand-ins for the outside world, so tests exercise the exact code a GPU box runs:

    fake_conda.py   a `conda`/`mamba`/`micromamba` executable backed by venvs (install_fake_conda)
    servers.py      one threaded HTTP server on 127.0.0.1: plain files with Range, a Hugging Face-compatible
                    hub (HF_ENDPOINT), a Google Drive look-alike, a PEP 503 package index; records requests
    gitrepo.py      throwaway upstream repositories cloned by file:// URL
    packages.py     tiny wheels written by hand and a source package whose build waits for a signal
    installed.py    a solution installed as setup would leave it, without running setup

Nothing here touches the network or the user's home.
"""
