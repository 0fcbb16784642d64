"""``python -m itp6crawl.replica``: serve the replica by hand, or write it to a directory."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

from .profiles import PROFILES
from .server import ReplicaServer
from .site import DEFAULT_NOW, build_site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m itp6crawl.replica", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--now", default=DEFAULT_NOW.isoformat(), help="the site's clock, ISO 8601 with offset")
    parser.add_argument(
        "--theme-drift", action="store_true", help="rename the theme's class names on article and listing pages"
    )
    parser.add_argument(
        "--profile", choices=list(PROFILES), default="friendly", help="how the server behaves (friendly: validators)"
    )
    parser.add_argument("--write", type=Path, metavar="DIR", help="write every page and gold.json to DIR, then exit")
    parser.add_argument("--base-url", help="home URL used in written pages (default http://HOST:PORT)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    site = build_site(args.articles, seed=args.seed, now=datetime.fromisoformat(args.now), theme_drift=args.theme_drift)
    built = time.perf_counter() - started
    if args.write:
        base = args.base_url or f"http://{args.host}:{args.port}"
        site.write(args.write, base)
        print(f"wrote {len(site.articles)} articles to {args.write} for {base} (built in {built:.2f}s)")
        return 0
    with ReplicaServer(site, host=args.host, port=args.port, profile=args.profile) as server:
        print(f"serving {len(site.articles)} articles at {server.base_url}/ (Ctrl-C stops)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
