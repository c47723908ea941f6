"""`thangngoen`: the API's command line, serving the API, Swagger UI and the staff console together."""

from __future__ import annotations


def main() -> None:
    from api.cli import main as api_main
    from console import create_app

    api_main(create_app)
