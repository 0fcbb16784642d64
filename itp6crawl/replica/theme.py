"""Markup of the JustNews theme (WPCOM) as itp6.com renders it: 6.x pages, 5.x pages and listings.

Functions here take plain view objects, already holding absolute URLs, and return HTML strings. No
generation logic lives here: :mod:`itp6crawl.replica.site` decides what a page shows.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from . import corpus
from .corpus import escape_text

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
THEME6_VERSION = "6.13.5"
THEME5_VERSION = "5.9.3"
JUSTNEWS6 = "justnews6"
JUSTNEWS5 = "justnews5"

# --------------------------------------------------------------------------- formatting


def iso(dt: datetime) -> str:
    """ISO 8601 in Shanghai time, seconds precision: 2024-06-02T23:10:00+08:00."""
    return dt.astimezone(SHANGHAI).replace(microsecond=0).isoformat()


def cn_datetime(dt: datetime) -> str:
    """WordPress zh_CN 'Y年n月j日 ag:i': 2024年6月2日 下午11:10."""
    dt = dt.astimezone(SHANGHAI)
    half = "上午" if dt.hour < 12 else "下午"
    return f"{dt.year}年{dt.month}月{dt.day}日 {half}{dt.hour % 12 or 12}:{dt.minute:02d}"


def cn_date(dt: datetime) -> str:
    dt = dt.astimezone(SHANGHAI)
    return f"{dt.year}年{dt.month}月{dt.day}日"


def ymd(dt: datetime) -> str:
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%d")


def human_time(dt: datetime, now: datetime) -> str:
    """The theme's date: relative ('3天前') under a week old, else the full Chinese date and time."""
    delta = (now - dt).total_seconds()
    if 0 <= delta < 7 * 86400:
        if delta < 60:
            return "刚刚"
        if delta < 3600:
            return f"{int(delta // 60)}分钟前"
        if delta < 86400:
            return f"{int(delta // 3600)}小时前"
        return f"{int(delta // 86400)}天前"
    return cn_datetime(dt)


def short_count(n: int) -> str:
    """Counts as the post loops show them: 987, 1.0K, 12.3K."""
    return str(n) if n < 1000 else f"{n / 1000:.1f}K"


def attr(value: str) -> str:
    return html.escape(value, quote=True)


def text(value: str) -> str:
    """Visible text of a title: escaped, quotes texturized as WordPress does."""
    return escape_text(value, True)


# --------------------------------------------------------------------------- views


@dataclass(slots=True)
class PostCard:
    """An article as a list item: related posts, listings, sidebar."""

    url: str
    title: str
    date: datetime
    category_name: str
    category_url: str
    excerpt: str
    thumb: str
    views: int
    comments: int
    likes: int
    author: str = ""
    author_url: str = ""


@dataclass(slots=True)
class CommentView:
    id: int
    author: str
    time: datetime
    text: str
    avatar: str
    children: list[CommentView] = field(default_factory=list)
    author_url: str = ""  # a registered member's page; guests have none
    author_id: int = 0


@dataclass(slots=True)
class Neighbour:
    url: str
    title: str
    date: datetime
    thumb: str


@dataclass(slots=True)
class Chrome:
    """What every page around the main column shows: menu, sidebar lists, the clock."""

    base: str
    now: datetime
    categories: list[tuple[str, str, str]]  # (slug, name, url)
    hot: list[PostCard]
    tags: list[tuple[str, str]]  # (name, url) for the tag cloud
    current: str = ""  # slug of the current category in the menu, "home" for the home page


@dataclass(slots=True)
class ArticleView:
    id: int
    url: str
    theme: str
    title: str
    author: str
    author_url: str
    author_id: int
    avatar: str
    credit: str
    published: datetime
    modified: datetime
    show_datetime: bool
    categories: list[tuple[str, str, str]]  # (slug, name, url)
    tags: list[tuple[str, str]]  # (name, url)
    views: int | None
    likes: int
    summary: str
    description: str
    content_html: str
    copyright_div: bool
    related_title: str
    related_style: str  # "loop" | "list"
    related: list[PostCard]
    prev: Neighbour | None
    next: Neighbour | None
    comments: list[CommentView]
    n_comments: int
    breadcrumb: bool
    text_indent: bool
    image: str


# --------------------------------------------------------------------------- small parts


def icon(name: str, theme: str = JUSTNEWS6) -> str:
    if theme == JUSTNEWS5:
        return f'<i class="fa fa-{name}"></i>'
    return f'<i class="wpcom-icon wi"><svg aria-hidden="true"><use xlink:href="#wi-{name}"></use></svg></i>'


def asset(base: str, path: str, theme: str = JUSTNEWS6) -> str:
    version = THEME6_VERSION if theme == JUSTNEWS6 else THEME5_VERSION
    return f"{base}/wp-content/themes/justnews/{path}?ver={version}"


def lazy_img(base: str, src: str, alt: str, width: int = 480, height: int = 300) -> str:
    placeholder = f"{base}/wp-content/themes/justnews/themer/assets/images/lazy.png"
    return (
        f'<img class="j-lazy" src="{placeholder}" data-original="{attr(src)}" width="{width}" '
        f'height="{height}" alt="{attr(alt)}">'
    )


def head(
    chrome: Chrome,
    *,
    title: str,
    canonical: str,
    description: str,
    keywords: str = "",
    og_type: str = "website",
    og_extra: list[tuple[str, str]] | None = None,
    jsonld: dict[str, object] | None = None,
    shortlink: str | None = None,
    theme: str = JUSTNEWS6,
    image: str = "",
) -> str:
    """The <head> of every page: meta, canonical, og:*, styles, scripts, JSON-LD."""
    base = chrome.base
    lines = [
        "<head>",
        '<meta charset="UTF-8">',
        '<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{text(title)}</title>",
    ]
    if keywords:
        lines.append(f'<meta name="keywords" content="{attr(keywords)}">')
    lines.append(f'<meta name="description" content="{attr(description)}">')
    og = [
        ("og:type", og_type),
        ("og:url", canonical),
        ("og:site_name", corpus.SITE_NAME),
        ("og:title", title.removesuffix(f" - {corpus.SITE_NAME}")),
    ]
    if image:
        og.append(("og:image", image))
    og.append(("og:description", description))
    og += og_extra or []
    lines += [f'<meta property="{name}" content="{attr(value)}">' for name, value in og]
    lines += [
        f'<link rel="canonical" href="{attr(canonical)}">',
        '<meta name="applicable-device" content="pc,mobile">',
        '<meta http-equiv="Cache-Control" content="no-transform">',
        f'<link rel="shortcut icon" href="{base}/wp-content/uploads/2019/03/favicon.png">',
        f"<link rel='dns-prefetch' href='//{base.split('//', 1)[-1]}' />",
        f'<link rel="alternate" type="application/rss+xml" title="{corpus.SITE_NAME} &raquo; Feed" '
        f'href="{base}/feed/" />',
        f"<link rel='stylesheet' id='stylesheet-css' href='{asset(base, 'css/style.css', theme)}' "
        "type='text/css' media='all' />",
    ]
    if theme == JUSTNEWS5:
        lines.append(
            f"<link rel='stylesheet' id='font-awesome-css' "
            f"href='{asset(base, 'themer/assets/css/font-awesome.css', theme)}' type='text/css' media='"
            "all' />"
        )
    lines += [
        f'<script type="text/javascript" src="{base}/wp-includes/js/jquery/jquery.min.js?ver=3.7.1" '
        'id="jquery-core-js"></script>',
        f'<link rel="https://api.w.org/" href="{base}/wp-json/" />',
        f'<link rel="EditURI" type="application/rsd+xml" title="RSD" href="{base}/xmlrpc.php?rsd" />',
    ]
    if shortlink:
        lines.append(f"<link rel='shortlink' href='{attr(shortlink)}' />")
    if jsonld is not None:
        payload = json.dumps(jsonld, ensure_ascii=False).replace("</", "<\\/")
        lines.append(f'<script type="application/ld+json">{payload}</script>')
    lines += [
        f'<link rel="icon" href="{base}/wp-content/uploads/2019/03/favicon.png" sizes="32x32" />',
        "<style>:root{--theme-color:#206be7;--theme-hover:#1162e8;--action-color:#206be7;"
        "--logo-height:36px;--logo-height-mobile:30px;--menu-item-gap:24px;--theme-base-width:1200px;}"
        "body{font-family:-apple-system,BlinkMacSystemFont,'PingFang SC','Microsoft YaHei',sans-serif;}"
        "</style>",
        "</head>",
    ]
    return "\n".join(lines)


def header(chrome: Chrome, theme: str) -> str:
    base = chrome.base
    items = [("home", "首页", f"{base}/"), *chrome.categories]
    menu = "".join(
        f'<li class="menu-item{" current-menu-item active" if slug == chrome.current else ""}">'
        f'<a href="{url}">{text(name)}</a></li>'
        for slug, name, url in [(s, n, u) for s, n, u in items]
    )
    menu += f'<li class="menu-item"><a href="{base}/weixinqun/">病友群</a></li>'
    if theme == JUSTNEWS5:
        return (
            '<header class="header">\n<div class="container clearfix">\n'
            '<div class="navbar-header">\n'
            '<button type="button" class="navbar-toggle collapsed" data-toggle="collapse" '
            'data-target=".navbar-collapse"><span class="icon-bar icon-bar-1"></span>'
            '<span class="icon-bar icon-bar-2"></span><span class="icon-bar icon-bar-3"></span></button>\n'
            f'<h1 class="logo"><a href="{base}/" rel="home"><img src="'
            f'{base}/wp-content/uploads/2019/03/logo.png"'
            f' alt="{corpus.SITE_NAME}"></a></h1>\n</div>\n'
            '<div class="collapse navbar-collapse">\n'
            f'<nav class="navbar-left primary-menu"><ul id="menu-main" class="nav navbar-nav">{menu}'
            "</ul></nav>\n"
            '<div class="navbar-action pull-right">\n'
            f'<div class="navbar-search-icon j-navbar-search">{icon("search", theme)}</div>\n'
            f'<div id="j-user-wrap"><a class="login" href="{base}/login/">登录</a>'
            f'<a class="login register" href="{base}/register/">注册</a></div>\n</div>\n'
            f'<form class="navbar-search" action="{base}/" method="get" role="search">'
            '<input type="text" name="s" class="navbar-search-input" autocomplete="off" '
            'placeholder="输入关键词搜索..." value="">'
            f'<button class="navbar-search-btn" type="submit">{icon("search", theme)}</button></form>\n'
            "</div>\n</div>\n</header>"
        )
    return (
        '<header class="header">\n<div class="container">\n<div class="navbar-header">\n'
        '<button type="button" class="navbar-toggle collapsed" data-toggle="collapse" '
        'data-target=".navbar-collapse" aria-label="menu"><span class="icon-bar icon-bar-1"></span>'
        '<span class="icon-bar icon-bar-2"></span><span class="icon-bar icon-bar-3"></span></button>\n'
        f'<div class="logo"><a href="{base}/" rel="home"><img src="'
        f'{base}/wp-content/uploads/2019/03/logo.png" '
        f'alt="{corpus.SITE_NAME}"></a></div>\n</div>\n'
        '<div class="collapse navbar-collapse mobile-style-0">\n'
        f'<nav class="primary-menu"><ul id="menu-main" class="nav navbar-nav wpcom-adv-menu">{menu}</ul>'
        "</nav>\n"
        '<div class="navbar-action">\n'
        f'<div class="navbar-search-icon j-navbar-search">{icon("search")}</div>\n'
        f'<div id="j-user-wrap"><a class="login" href="{base}/login/">登录</a>'
        f'<a class="login register" href="{base}/register/">注册</a></div>\n</div>\n'
        f'<form class="navbar-search" action="{base}/" method="get" role="search">'
        '<div class="navbar-search-inner">'
        f'{icon("close")}<input type="text" name="s" class="navbar-search-input" autocomplete="off" '
        'maxlength="100" placeholder="输入关键词搜索..." value="">'
        f'<button class="navbar-search-btn" type="submit" aria-label="搜索">{icon("search")}</button>'
        "</div></form>\n</div>\n</div>\n</header>"
    )


def breadcrumb(chrome: Chrome, trail: list[tuple[str, str]], theme: str) -> str:
    base = chrome.base
    sep = "›" if theme == JUSTNEWS5 else icon("arrow-right-3")
    parts = [
        '<li class="home" property="itemListElement" typeof="ListItem">'
        f'<a href="{base}" property="item" typeof="WebPage"><span property="name" class="hide">'
        f'{corpus.SITE_NAME}</span>首页</a><meta property="position" content="1"></li>'
    ]
    for index, (name, url) in enumerate(trail, start=2):
        parts.append(
            f'<li property="itemListElement" typeof="ListItem">{sep}<a href="{url}" property="item" '
            f'typeof="WebPage"><span property="name">{text(name)}</span></a>'
            f'<meta property="position" content="{index}"></li>'
        )
    return f'<ol class="breadcrumb" vocab="https://schema.org/" typeof="BreadcrumbList">{"".join(parts)}</ol>'


def sidebar(chrome: Chrome, theme: str) -> str:
    contact = "".join(f"<p>{escape_text(line, False)}</p>" for line in corpus.CONTACT_LINES)
    hot = "".join(
        f'<li class="item"><div class="item-img"><a class="item-img-inner" href="{c.url}" title="'
        f'{attr(c.title)}">'
        f"{lazy_img(chrome.base, c.thumb, c.title)}</a></div>"
        f'<div class="item-content"><p class="item-title"><a href="{c.url}" title="{attr(c.title)}">'
        f'{text(c.title)}</a></p><p class="item-date">{cn_date(c.date)}</p></div></li>'
        for c in chrome.hot
    )
    cloud = "".join(f'<a href="{url}" class="tag-item">{text(name)}</a>' for name, url in chrome.tags)
    title_tag = "h3"
    return (
        '<aside class="sidebar">\n'
        f'<div id="text-2" class="widget widget_text"><{title_tag} class="widget-title"><span>联系我们</span>'
        f'</{title_tag}><div class="textwidget">{contact}</div></div>\n'
        f'<div id="wpcom-post-thumb-2" class="widget widget_post_thumb"><{title_tag} class="widget-title">'
        f"<span>热门文章</span></{title_tag}><ul>{hot}</ul></div>\n"
        f'<div id="tag_cloud-2" class="widget widget_tag_cloud"><{title_tag} class="widget-title">'
        f'<span>热门标签</span></{title_tag}><div class="tagcloud">{cloud}</div></div>\n'
        f'<div id="wpcom-image-ad-2" class="widget widget_image_myimg"><a href="{chrome.base}/weixinqun/" '
        f'target="_blank"><img class="j-lazy" src="{chrome.base}/wp-content/uploads/2020/05/qun-banner.png" '
        f'alt="加入病友交流群"></a></div>\n'
        + (
            ""
            if theme == JUSTNEWS6
            else '<div class="widget widget_ad">'
            f'<a href="{chrome.base}/weixinqun/"><img src="{chrome.base}/wp-content/uploads/2017/08/ad.png" '
            'alt="广告"></a></div>\n'
        )
        + "</aside>"
    )


def footer(chrome: Chrome, theme: str, post_id: int = 0) -> str:
    base = chrome.base
    year = chrome.now.year
    nav = (
        f'<li class="menu-item"><a href="{base}/about/">{corpus.ABOUT_TITLE}</a></li>'
        f'<li class="menu-item"><a href="{base}/weixinqun/">{corpus.WEIXINQUN_TITLE}</a></li>'
        f'<li class="menu-item"><a href="{base}/category/baike">ITP百科</a></li>'
        f'<li class="menu-item"><a href="{base}/wp-sitemap.xml">网站地图</a></li>'
    )
    foot = (
        '<footer class="footer">\n<div class="container">\n'
        '<div class="footer-col-wrap footer-with-logo-icon">\n'
        '<div class="footer-col footer-col-logo"><img src="'
        f'{base}/wp-content/uploads/2019/03/logo-footer.png" '
        f'alt="{corpus.SITE_NAME}"></div>\n'
        '<div class="footer-col footer-col-copy">\n'
        f'<ul class="footer-nav hidden-xs">{nav}</ul>\n'
        f'<div class="copyright"><p>{corpus.FOOTER_BLURB}</p>'
        f"<p>Copyright © 2016-{year} {corpus.SITE_NAME} 版权所有 "
        f'<a href="https://beian.miit.gov.cn" target="_blank" rel="nofollow noopener noreferrer">'
        f"{corpus.ICP_LINE}</a></p></div>\n</div>\n"
        '<div class="footer-col footer-col-sns"><div class="footer-sns">'
        f'<a class="sns-wx" href="javascript:;" aria-label="icon">{icon("wechat", theme)}'
        f'<span style="background-image:url({base}/wp-content/uploads/2019/03/qrcode.png);"></span></a>'
        "</div></div>\n</div>\n</div>\n</footer>"
    )
    action = (
        '<div class="action action-style-0 action-color-0 action-pos-0" style="bottom:20%;">\n'
        f'<div class="action-item">{icon("qrcode", theme)}<span>关注微信</span>'
        f'<div class="action-item-inner action-item-type-1"><img class="action-item-img" '
        f'src="{base}/wp-content/uploads/2019/03/qrcode.png" alt="关注微信"></div></div>\n'
        f'<div class="action-item j-share">{icon("share", theme)}<span>分享本页</span></div>\n'
        f'<div class="action-item gotop j-top">{icon("arrow-up-2", theme)}<span>返回顶部</span></div>\n'
        "</div>"
    )
    js = {
        "webp": "",
        "ajaxurl": f"{base}/wp-admin/admin-ajax.php",
        "theme_url": f"{base}/wp-content/themes/justnews",
        "slide_speed": "5000",
        "is_admin": "0",
        "lang": "zh_CN",
        "js_lang": {
            "share_to": "分享到:",
            "copy_done": "复制成功!",
            "copy_fail": "浏览器暂不支持拷贝功能",
            "confirm": "确定",
            "qrcode": "二维码",
            "page_loaded": "已经到底了",
            "no_content": "暂无内容",
            "load_failed": "加载失败,请稍后再试!",
            "expand_more": "阅读剩余 %s",
        },
        "share": "1",
        "lightbox": "1",
        "post_id": str(post_id),
        "user_card_height": "356",
        "poster": {
            "notice": "请长按保存图片,将内容分享给更多好友",
            "generating": "正在生成海报图片...",
            "failed": "海报图片生成失败",
        },
        "video_height": "482",
        "fixed_sidebar": "1",
        "dark_style": "0",
        "font_url": f"{base}/wp-content/themes/justnews/themer/assets/fonts/",
    }
    payload = json.dumps(js).replace("/", "\\/")
    script = (
        '<script type="text/javascript" id="main-js-extra">\n/* <![CDATA[ */\n'
        f"var _wpcom_js = {payload};\n/* ]]> */\n</script>\n"
        f'<script type="text/javascript" src="{asset(base, "js/main.js", theme)}" id="main-js"></script>\n'
        f'<script type="text/javascript" src="{asset(base, "themer/assets/js/icons-2.7.5.js", theme)}" '
        'id="wpcom-icons-js"></script>'
    )
    return f"{foot}\n{action}\n{script}"


def document(
    chrome: Chrome,
    *,
    head_html: str,
    body_class: str,
    main_html: str,
    theme: str,
    trail: list[tuple[str, str]] | None = None,
    post_id: int = 0,
    with_sidebar: bool = True,
) -> str:
    """A whole page: header, optional breadcrumb, main column, sidebar, footer, action bar, scripts."""
    crumbs = breadcrumb(chrome, trail, theme) if trail is not None else ""
    side = sidebar(chrome, theme) if with_sidebar else ""
    if theme == JUSTNEWS5:
        layout = (
            f'<div id="wrap">\n<div class="main container">\n<div class="content">\n{crumbs}\n{main_html}\n'
            f"</div>\n{side}\n</div>\n</div>"
        )
    else:
        layout = (
            f'<div id="wrap">\n<div class="wrap container">\n{crumbs}\n<main class="main">'
            f"\n{main_html}\n</main>\n"
            f"{side}\n</div>\n</div>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n'
        f'{head_html}\n<body class="{body_class}">\n{header(chrome, theme)}\n{layout}\n'
        f"{footer(chrome, theme, post_id)}\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- article


def copyright_div(view: ArticleView) -> str:
    lines = [corpus.COPYRIGHT_DISCLAIMER, corpus.COPYRIGHT_TIP]
    if view.theme == JUSTNEWS5:
        inner = "<br>".join(escape_text(line, False) for line in lines)
        inner += (
            f'<br>作者:{escape_text(view.credit, False)}<br>链接:<a href="{view.url}">{view.url}</a>'
            f"<br>{corpus.COPYRIGHT_RIGHTS}"
        )
        return f'<div class="entry-copyright"><p>{inner}</p></div>'
    paragraphs = "".join(f"<p>{escape_text(line, False)}</p>" for line in lines)
    return (
        f'<div class="entry-copyright">{paragraphs}<p>作者:{escape_text(view.credit, False)}</p>'
        f'<p>链接:<a href="{view.url}">{view.url}</a></p><p>{corpus.COPYRIGHT_RIGHTS}</p></div>'
    )


def plain_copyright(credit: str, url: str) -> str:
    """Old posts: the notice typed into the body as plain paragraphs (full-width colons, as typed)."""
    return (
        f"<p>{escape_text(corpus.COPYRIGHT_DISCLAIMER, False)}</p>\n"
        f"<p>作者：{escape_text(credit, False)}</p>\n"
        f'<p>链接：<a href="{url}">{url}</a></p>\n'
        f"<p>{corpus.COPYRIGHT_RIGHTS}</p>"
    )


def entry_info(view: ArticleView, now: datetime) -> str:
    theme = view.theme
    visible = human_time(view.published, now)
    if view.show_datetime:
        when = f'<time class="entry-date published" datetime="{iso(view.published)}" pubdate>{visible}</time>'
    else:
        when = f'<span class="entry-date">{visible}</span>'
    cats = ", ".join(f'<a href="{url}" rel="category tag">{text(name)}</a>' for _, name, url in view.categories)
    parts = [
        f'<span class="vcard"><a class="nickname url fn j-user-card" data-user="{view.author_id}" '
        f'href="{view.author_url}">{text(view.author)}</a></span>',
        when,
        cats,
    ]
    if view.views is not None:
        parts.append(f"<span>{icon('eye', theme) if theme == JUSTNEWS5 else ''}阅读 {view.views}</span>")
    dot = '<span class="dot">•</span>'
    return f'<div class="entry-info">\n{dot.join(parts)}\n</div>'


def entry_action(view: ArticleView) -> str:
    theme = view.theme
    base = view.url.rsplit("/", 1)[0]
    return (
        '<div class="entry-action">\n'
        f'<div class="btn-zan" data-id="{view.id}">'
        f"{icon('thumb-up-fill' if theme == JUSTNEWS6 else 'thumbs-up', theme)}"
        f' 赞 <span class="entry-action-num">({view.likes})</span></div>\n'
        f'<div class="btn-dashang">{icon("cny-circle-fill" if theme == JUSTNEWS6 else "cny", theme)} 打赏\n'
        '<span class="dashang-img dashang-img2">'
        f'<span><img src="{base}/wp-content/uploads/2019/03/wxpay.png" alt="微信扫一扫"/>微信扫一扫</span>'
        f'<span><img src="{base}/wp-content/uploads/2019/03/alipay.png" alt="支付宝扫一扫"/>'
        "支付宝扫一扫</span>"
        "</span></div>\n</div>"
    )


def entry_bar(view: ArticleView) -> str:
    theme = view.theme
    return (
        '<div class="entry-bar">\n<div class="entry-bar-inner">\n'
        f'<div class="entry-bar-author"><a data-user="{view.author_id}" target="_blank" href="'
        f'{view.author_url}" '
        f'class="avatar j-user-card"><img alt="{attr(view.author)}" src="{view.avatar}" '
        f'class="avatar avatar-60 photo" height="60" width="60"><span class="author-name">{text(view.author)}'
        "</span></a></div>\n"
        '<div class="entry-bar-info">\n'
        f'<div class="info-item meta"><a class="meta-item j-heart" href="javascript:;" data-id="{view.id}">'
        f'{icon("star", theme)} <span class="data">{view.likes // 3}</span></a>'
        f'<a class="meta-item" href="#comments">{icon("comment", theme)} <span class="data">{view.n_comments}'
        "</span></a></div>\n"
        '<div class="info-item share">'
        f'<a class="meta-item mobile j-mobile-share" href="javascript:;" data-id="{view.id}" '
        f'data-qrcode="{view.url}">{icon("share", theme)} 生成海报</a>'
        f'<a class="meta-item wechat" data-share="wechat" target="_blank" rel="nofollow" href="#">'
        f"{icon('wechat', theme)}</a>"
        f'<a class="meta-item weibo" data-share="weibo" target="_blank" rel="nofollow" href="#">'
        f"{icon('weibo', theme)}</a>"
        '<a class="meta-item qq" data-share="qq" target="_blank" rel="nofollow" href="#">'
        f"{icon('qq', theme)}</a>"
        "</div>\n"
        f'<div class="info-item act"><a href="javascript:;" id="j-reading">{icon("article", theme)}</a>'
        "</div>\n"
        "</div>\n</div>\n</div>"
    )


def entry_page(view: ArticleView, now: datetime) -> str:
    theme = view.theme
    out = ['<div class="entry-page">']
    for rel, neighbour in (("prev", view.prev), ("next", view.next)):
        if neighbour is None:
            continue
        if theme == JUSTNEWS5:
            label = "« 上一篇" if rel == "prev" else "下一篇 »"
        else:
            label = "上一篇" if rel == "prev" else "下一篇"
        when = human_time(neighbour.date, now)
        first, second = ("pull-left", "pull-right") if rel == "prev" else ("pull-right", "pull-left")
        out.append(
            f'<div class="entry-page-{rel} j-lazy" style="background-image: url({attr(neighbour.thumb)});" '
            f'data-original="{attr(neighbour.thumb)}">'
            f'<a href="{neighbour.url}" title="{attr(neighbour.title)}" rel="{rel}"><span>'
            f"{text(neighbour.title)}"
            "</span></a>"
            f'<div class="entry-page-info"><span class="{first}">{label}</span>'
            f'<span class="{second}">{when}</span></div></div>'
        )
    out.append("</div>")
    return "\n".join(out)


def loop_item(card: PostCard, base: str, *, title_tag: str, date: str, author: bool) -> str:
    """A post in the theme's ``post-loop-default`` list: thumbnail and category, title, excerpt, meta. A
    listing's card has an ``h2`` title, the author and a relative date; a related post's an ``h3`` title
    and the day alone."""
    author_html = (
        f'<div class="item-meta-li author"><a data-user="0" target="_blank" href="{card.author_url}" '
        f'class="avatar j-user-card"><span>{text(card.author)}</span></a></div>'
        if author
        else ""
    )
    return (
        '<li class="item">\n'
        f'<div class="item-img"><a class="item-img-inner" href="{card.url}" title="{attr(card.title)}" '
        f'target="_blank" rel="bookmark">{lazy_img(base, card.thumb, card.title)}</a>'
        f'<a class="item-category" href="{card.category_url}" target="_blank">'
        f"{text(card.category_name)}</a></div>\n"
        '<div class="item-content">\n'
        f'<{title_tag} class="item-title"><a href="{card.url}" target="_blank" rel="bookmark">{text(card.title)}'
        f"</a></{title_tag}>\n"
        f'<div class="item-excerpt"><p>{escape_text(card.excerpt, False)}</p></div>\n'
        '<div class="item-meta">'
        f"{author_html}"
        f'<span class="item-meta-li date">{date}</span>'
        '<div class="item-meta-right">'
        f'<span class="item-meta-li views" title="阅读数">{icon("eye")}{short_count(card.views)}</span>'
        f'<a class="item-meta-li comments" href="{card.url}#comments" target="_blank" title="评论数">'
        f"{icon('comment')}{card.comments}</a>"
        f'<span class="item-meta-li hearts" title="喜欢数">{icon("heart")}{card.likes}</span>'
        "</div></div>\n</div>\n</li>"
    )


def related_block(view: ArticleView) -> str:
    base = view.url.rsplit("/", 1)[0]
    title = f'<h3 class="entry-related-title">{view.related_title}</h3>'
    if view.theme == JUSTNEWS5:
        items = "\n".join(
            f'<li class="item"><a href="{c.url}" title="{attr(c.title)}">{text(c.title)}</a>'
            f"<span>{cn_date(c.date)}</span></li>"
            for c in view.related
        )
        ul = f'<ul class="entry-related clearfix">\n{items}\n</ul>'
        return f'<div class="entry-related-posts">\n{title}\n{ul}\n</div>'
    if view.related_style == "list":
        items = "\n".join(
            f'<li class="item"><a href="{c.url}" title="{attr(c.title)}" target="_blank"><span>'
            f"{text(c.title)}"
            f'</span><span class="date">{ymd(c.date)}</span></a></li>'
            for c in view.related
        )
        ul = f'<ul class="entry-related cols-2 post-loop post-loop-list">\n{items}\n</ul>'
    else:
        items = "\n".join(loop_item(c, base, title_tag="h3", date=ymd(c.date), author=False) for c in view.related)
        ul = f'<ul class="entry-related cols-3 post-loop post-loop-default">\n{items}\n</ul>'
    return f'<div class="entry-related-posts">\n{title}\n{ul}\n</div>'


def _comment_author(c: CommentView, theme: str) -> str:
    """The name in ``div.nickname``: a member's name links to their page (6.x: the theme's user card),
    a guest's is plain text."""
    if not c.author_url:
        return text(c.author)
    if theme == JUSTNEWS5:
        return f'<a href="{c.author_url}" target="_blank">{text(c.author)}</a>'
    return (
        f'<a class="j-user-card" data-user="{c.author_id}" href="{c.author_url}" target="_blank">{text(c.author)}</a>'
    )


def comment_items(comments: list[CommentView], base: str, theme: str = JUSTNEWS6, depth: int = 1) -> str:
    """The comment list items as the theme's comment callback prints them.

    6.x (the live site): ``li.comment#comment-N > div.comment-inner > div.comment-author.vcard`` (the
    avatar only) and ``div.comment-body > div.nickname`` (name, then ``span.comment-time``) and
    ``div.comment-text > p``, then ``div.reply``. 5.x: the same parts inside ``div#div-comment-N``,
    the name a plain link or text. In both the name's element also holds the time."""
    out = []
    for index, c in enumerate(comments):
        parity = "even" if index % 2 == 0 else "odd"
        children = ""
        if c.children:
            children = f'\n<ul class="children">\n{comment_items(c.children, base, theme, depth + 1)}\n</ul>'
        inner = '<div class="comment-inner">' if theme == JUSTNEWS6 else f'<div id="div-comment-{c.id}">'
        alt = attr(c.author) if theme == JUSTNEWS6 else ""
        out.append(
            f'<li class="comment {parity} thread-{parity} depth-{depth}" id="comment-{c.id}">\n'
            f"{inner}\n"
            f'<div class="comment-author vcard"><img alt="{alt}" src="{c.avatar}" '
            'class="avatar avatar-60 photo" height="60" width="60"></div>\n'
            '<div class="comment-body">\n'
            f'<div class="nickname">{_comment_author(c, theme)}\n'
            f'<span class="comment-time">{cn_datetime(c.time)}</span></div>\n'
            f'<div class="comment-text"><p>{escape_text(c.text, True)}</p>\n</div>\n'
            "</div>\n"
            f'<div class="reply"><a rel="nofollow" class="comment-reply-login" href="{base}/login/">回复'
            "</a></div>\n"
            f"</div>{children}\n</li>"
        )
    return "\n".join(out)


def comments_block(view: ArticleView) -> str:
    base = view.url.rsplit("/", 1)[0]
    theme = view.theme
    out = [
        '<div id="comments" class="entry-comments">',
        '<div id="respond" class="comment-respond">',
        f'<h3 id="reply-title" class="comment-reply-title">发表回复 <small><a rel="nofollow" '
        f'id="cancel-comment-reply-link" href="{view.url}#respond" style="display:none;">'
        f"{icon('close', theme)}"
        "</a></small></h3>",
        '<div class="comment-form">',
        '<div class="comment-must-login">请登录后评论...</div>',
        f'<div class="form-submit"><div class="form-submit-text pull-left"><a href="{base}/login/">登录'
        "</a> 后才能评论"
        '</div> <button name="submit" type="submit" id="must-submit" class="btn btn-primary btn-xs '
        'submit">提交'
        "</button></div>",
        "</div>",
        "</div>",
    ]
    if view.comments:
        out.append(f'<h3 class="comments-title"> 评论列表({view.n_comments}条)</h3>')
        out.append(f'<ul class="comments-list">\n{comment_items(view.comments, base, theme)}\n</ul>')
    out.append("</div>")
    return "\n".join(out)


def article_main(view: ArticleView, now: datetime) -> str:
    """The <article>: head, summary, content and notice, tags, actions, neighbours, related, comments."""
    theme = view.theme
    classes = (
        f"post-{view.id} post type-post status-publish format-standard hentry "
        + " ".join(f"category-{slug}" for slug, _, _ in view.categories)
        + "".join(f" tag-{url.rstrip('/').rsplit('/', 1)[-1]}" for _, url in view.tags)
        + " entry"
    )
    head_html = (
        f'<div class="entry-head">\n<h1 class="entry-title">{text(view.title)}</h1>\n{entry_info(view, now)}\n</div>'
    )
    summary = ""
    if view.summary:
        summary = f'<div class="entry-excerpt entry-summary"><p>{escape_text(view.summary, False)}</p></div>'
    content_class = "entry-content text-indent" if view.text_indent else "entry-content clearfix"
    notice = copyright_div(view) if view.copyright_div else ""
    content = f'<div class="{content_class}">\n{view.content_html}\n{notice}\n</div>'
    tags = ""
    if view.tags:
        tags = (
            '<div class="entry-tag">'
            + "".join(f'<a href="{url}" rel="tag">{text(name)}</a>' for name, url in view.tags)
            + "</div>"
        )
    if theme == JUSTNEWS5:
        footer_html = "\n".join((tags, entry_action(view), entry_bar(view), entry_page(view, now), related_block(view)))
        return (
            f'<article id="post-{view.id}" class="{classes}">\n<div class="entry">\n{head_html}\n{summary}\n'
            f'{content}\n<div class="entry-footer">\n{footer_html}\n</div>\n</div>\n</article>\n'
            f"{comments_block(view)}"
        )
    return (
        f'<article id="post-{view.id}" class="{classes}">\n<div class="entry-main">\n{head_html}\n{summary}\n'
        f"{content}\n{tags}\n{entry_action(view)}\n{entry_bar(view)}\n</div>\n{entry_page(view, now)}\n"
        f"{related_block(view)}\n{comments_block(view)}\n</article>"
    )


# --------------------------------------------------------------------------- listings and pages


def pagination(page: int, pages: int, url_of: callable, load_more: bool) -> str:  # type: ignore[valid-type]
    """Numbered pagination with 下一页 and 'n / N', or the theme's load-more button."""
    if pages <= 1:
        return ""
    if load_more:
        if page >= pages:
            return '<div class="load-more-wrap"><span class="load-more disabled">已经到底了</span></div>'
        return (
            f'<div class="load-more-wrap"><a class="load-more j-load-more" href="{url_of(page + 1)}" '
            f'data-page="{page + 1}">点击查看更多</a></div>'
        )
    items = []
    if page > 1:
        items.append(f'<li class="prev"><a class="prev" href="{url_of(page - 1)}">上一页</a></li>')
    for number in sorted({1, 2, page - 1, page, page + 1, pages - 1, pages}):
        if 1 <= number <= pages:
            if number == page:
                items.append(f'<li class="active"><span>{number}</span></li>')
            else:
                items.append(f'<li><a href="{url_of(number)}">{number}</a></li>')
    if page < pages:
        items.append(f'<li class="next"><a class="next" href="{url_of(page + 1)}">下一页</a></li>')
    items.append(f'<li class="disabled"><span>{page} / {pages}</span></li>')
    return f'<ul class="pagination">\n{"".join(items)}\n</ul>'


def listing_main(chrome: Chrome, *, heading: str, description: str, cards: list[PostCard], pager: str) -> str:
    base = chrome.base
    items = "\n".join(
        loop_item(c, base, title_tag="h2", date=human_time(c.date, chrome.now), author=True) for c in cards
    )
    if not cards:
        items = '<li class="item item-empty"><p class="empty-text">暂无内容</p></li>'
    desc = f'<div class="sec-panel-desc">{escape_text(description, False)}</div>' if description else ""
    return (
        '<section class="sec-panel sec-panel-default">\n'
        f'<div class="sec-panel-head"><h1><span>{text(heading)}</span></h1>{desc}</div>\n'
        '<div class="sec-panel-body">\n'
        f'<ul class="post-loop post-loop-default cols-0">\n{items}\n</ul>\n'
        f"{pager}\n</div>\n</section>"
    )


def page_main(page_id: int, title: str, content_html: str) -> str:
    """A WordPress page (not a post): same article wrapper, type-page."""
    return (
        f'<article id="post-{page_id}" class="post-{page_id} page type-page status-publish hentry entry">\n'
        '<div class="entry">\n<div class="entry-head">\n'
        f'<h1 class="entry-title">{text(title)}</h1>\n</div>\n'
        f'<div class="entry-content clearfix">\n{content_html}\n</div>\n</div>\n</article>'
    )


def not_found_main(base: str) -> str:
    return (
        '<div class="page-404">\n'
        f'<img src="{base}/wp-content/themes/justnews/themer/assets/images/404.png" alt="404">\n'
        '<h1 class="page-404-title">404</h1>\n'
        '<p class="page-404-desc">抱歉,您访问的页面不存在或已被删除!</p>\n'
        f'<a class="btn btn-primary" href="{base}/">返回首页</a>\n</div>'
    )
