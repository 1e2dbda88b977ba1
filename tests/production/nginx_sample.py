"""
The nginx configuration docs/production.md gives, read from the page itself, so that the tests
on real nginx and bench figure 10 run what the docs say. Plain Python: the bench imports it.
"""

import re
from pathlib import Path

PRODUCTION_DOCS = Path(__file__).resolve().parents[2] / "docs" / "production.md"


def sample() -> str:
    """The page's nginx sample, as written."""
    return re.search(r"```nginx\n(.*?)```", PRODUCTION_DOCS.read_text(), re.DOTALL)[1]


def catch_all_server(port: int) -> str:
    """The sample's server for hosts not ours, listening on `port` instead."""
    server = next(block for block in sample().split("\n\n") if "server_name _;" in block)
    server = "\n".join(line for line in server.splitlines() if "listen" not in line)
    return server.replace("server {", f"server {{ listen 127.0.0.1:{port} default_server;", 1)


def zip_location(downloads_url: str) -> str:
    """The sample's location for ZIPs, proxying to `downloads_url`."""
    location = re.search(r'^( *)location ~ "\^/\(projects.*?^\1\}', sample(), re.M | re.S)[0]
    return location.replace("http://portfolio_downloads", downloads_url)
