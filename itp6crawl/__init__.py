"""itp6crawl: a polite crawler and searchable SQLite archive of ITP6病友网 (www.itp6.com)."""

__version__ = "0.1.0"
