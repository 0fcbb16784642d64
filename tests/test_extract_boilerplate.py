"""The site's boilerplate lines: buttons and widget labels, the notice, and which of them a body may keep."""

import pytest

from itp6crawl.extract.boilerplate import is_chrome_line, is_site_line


@pytest.mark.parametrize("line", ["打赏", " 微信 扫一扫 ", "支付宝扫一扫", "赞"])
def test_button_and_widget_labels_are_chrome_however_spaced(line):
    assert is_chrome_line(line)
    assert is_site_line(line, notice_present=True) and is_site_line(line, notice_present=False)


def test_a_sentence_that_mentions_a_button_is_no_chrome_line():
    assert not is_chrome_line("我给作者打赏了十元")
    assert not is_site_line("我给作者打赏了十元", notice_present=True)
