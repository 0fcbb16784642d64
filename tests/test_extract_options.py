"""The one options object of a page's reading."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import datetime

import pytest

from itp6crawl.extract import DEFAULT_OPTIONS, ExtractOptions
from itp6crawl.times import CST
from itp6crawl.urls import CANONICAL_SITE


def test_options_cross_to_a_worker_process_and_cannot_change_on_the_way():
    options = ExtractOptions(datetime(2024, 6, 5, 12, tzinfo=CST), "gbk", "http://127.0.0.1:8000")
    assert pickle.loads(pickle.dumps(options)) == options
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.header_charset = "utf-8"  # type: ignore[misc]


def test_without_options_a_page_is_read_now_by_its_bytes_onto_the_canonical_site():
    assert ExtractOptions(None, None, CANONICAL_SITE) == DEFAULT_OPTIONS
