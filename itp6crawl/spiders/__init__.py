"""The crawl's one spider lives in :mod:`itp6crawl.spiders.itp6`."""
