"""Start the lägesbild app, building the starting picture while the server starts.

``make run`` runs ``.venv/bin/python apps/serve.py [streamlit options]``, which is
``streamlit run apps/lagesbild_app.py [streamlit options]`` plus the warm-up of
:mod:`app_warm`: the app's modules are imported and Exempelkommun's picture (or the
folder in ``LAGESBILD_DATA``) is computed or read from the warm-start folder in the
background, so the first visit shows the map at once. ``LAGESBILD_WARM=off`` leaves the
warm-up out.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

import app_warm  # noqa: E402
from streamlit.web import cli  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if os.environ.get("LAGESBILD_WARM", "").strip().lower() not in ("off", "av", "0", "false", "nej"):
        app_warm.start()
    cli.main(["run", str(APP_DIR / "lagesbild_app.py"), *args], prog_name="streamlit")


if __name__ == "__main__":
    main()
