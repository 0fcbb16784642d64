"""Synthetic texts for the replica: vocabulary, sentence templates and the body generator.

Every text here was written for the replica; nothing is copied from the live site. A body is built as a
list of :class:`Chunk` objects, each carrying its HTML (with ``%%BASE%%`` standing for the home URL) and
the gold text blocks it shows, so the markup and the expected clean text always come from one place.
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

BASE = "%%BASE%%"
_WS = re.compile(r"\s+")


def collapse(text: str) -> str:
    """Gold text of a block: entities already decoded, whitespace (incl. nbsp) collapsed, stripped."""
    return _WS.sub(" ", text).strip()


# --------------------------------------------------------------------------- site-wide boilerplate

SITE_NAME = "ITP6病友网"
SITE_TAGLINE = "免疫性血小板减少症病友交流平台"
COPYRIGHT_DISCLAIMER = "文章属于病友个人治疗见解及自身对疾病的治疗分析仅供参考(不代表本站同意其说法)谨慎参阅!"
COPYRIGHT_TIP = "提示:ITP6病友网站内任何对疾病的建议都不能替代执业医师当面诊断!"
COPYRIGHT_RIGHTS = "文章版权归作者所有,未经允许请勿转载。"
CONTACT_LINES = (
    "微信号:itp6-bangbang",
    "在线咨询:点击右下角“关注微信”",
    "邮件:help@itp6-replica.invalid",
    "时间:7*24小时 不打烊",
)
FOOTER_BLURB = (
    "血小板减少不仅是一种疾病,只是一个症状而已,找准原因才能对症治疗。ITP6病友网由病患制作,"
    "记录病友们一路走来的治疗经历与用药体会,整理指南与科普知识,建立病友交流群抱团取暖。"
)
ICP_LINE = "京ICP备16099999号-1"
WEIXINQUN_TITLE = "微信病友交流群"
ABOUT_TITLE = "关于我们"

# --------------------------------------------------------------------------- vocabulary

NICKNAMES = (
    "小雨点",
    "向日葵",
    "晴天娃娃",
    "血小板加油",
    "阳光明媚",
    "蓝色海洋",
    "花开半夏",
    "安静的猫",
    "老李头",
    "豆豆妈妈",
    "坚持就是胜利",
    "云淡风轻",
    "木子",
    "清风徐来",
    "小鱼儿",
    "追光者",
    "糖糖爸爸",
    "平常心",
    "海边的风",
    "一路向北",
    "柠檬不酸",
    "稻草人",
    "大白兔",
    "橙子",
    "Lily",
    "Tony_ITP",
    "芒果布丁",
)
EDITORS = ("ITP6小编", "血小板君", "病友网编辑部")
CITIES = (
    "北京",
    "上海",
    "天津",
    "广州",
    "成都",
    "武汉",
    "西安",
    "郑州",
    "济南",
    "长沙",
    "杭州",
    "南京",
    "沈阳",
    "昆明",
    "重庆",
    "合肥",
    "石家庄",
    "哈尔滨",
)
HOSPITAL_PATTERNS = (
    "{city}市第一人民医院血液科",
    "{city}某三甲医院血液科",
    "{city}医科大学附属医院血液内科",
    "{city}市儿童医院血液肿瘤科",
    "{city}省人民医院血液科",
)
TPO_RA = ("艾曲泊帕", "海曲泊帕", "罗米司亭", "阿伐曲泊帕")
TPO_DOSE = {"艾曲泊帕": "25mg", "海曲泊帕": "2.5mg", "罗米司亭": "1μg/kg 每周一次", "阿伐曲泊帕": "20mg"}
SYMPTOMS = ("皮肤瘀点", "瘀斑", "出血点", "紫癜")
BODY_PARTS = ("小腿上", "胳膊上", "肚子上", "后背上")
BLEEDS = ("刷牙时牙龈出血止不住", "半夜突然流鼻血", "月经量比平时多了好几倍", "口腔里起了好几个血泡")
LIFE_EVENTS = ("大学毕业", "换了新工作", "结婚不久", "孩子刚满周岁", "退休在家")
JOURNALS = (
    "Blood",
    "British Journal of Haematology",
    "Haematologica",
    "中华血液学杂志",
    "Thrombosis Research",
)
STUDY_TYPES = ("多中心随机对照研究", "回顾性队列研究", "前瞻性单臂研究", "真实世界研究", "Meta 分析")
POPULATIONS = (
    "成人慢性 ITP 患者",
    "新诊断 ITP 患者",
    "儿童 ITP 患者",
    "妊娠合并 ITP 的孕妇",
    "难治性 ITP 患者",
)
TAGS = (
    "ITP",
    "血小板",
    "激素",
    "丙球",
    "艾曲泊帕",
    "海曲泊帕",
    "罗米司亭",
    "TPO-RA",
    "脾切除",
    "儿童ITP",
    "妊娠",
    "复查",
    "饮食",
    "骨髓穿刺",
    "利妥昔单抗",
    "指南",
    "临床研究",
    "干细胞",
    "心态",
    "中医",
)

CATEGORY_NAMES = {
    "zhiliao": "治疗过程分享",
    "zhinan": "指南解读",
    "baike": "ITP百科",
    "keyan": "科研动态",
    "yongyao": "用药经验",
    "shenghuo": "生活护理",
}

# --------------------------------------------------------------------------- titles

TITLES = {
    "story": (
        "{nick}的治疗过程分享:血小板从{plt_low}到{plt_high}",
        "确诊ITP第{n}年,我的用药经历",
        "{tpo}治疗{n}个月的真实感受",
        "孩子血小板低的这{n}年,我们是这样走过来的",
        "激素减量失败{n}次之后,我换了{tpo}",
        "一个{city}病友的自述:从恐慌到平静",
        "“ITP不可怕”——{nick}的{n}年抗病路",
        "丙球&激素冲击之后,我的血小板稳定了",
        "脾切除术后{n}年,说说我的恢复情况",
        "怀孕期间血小板{plt_low},我是怎么坚持到分娩的",
        "{city}看病记:第{n}次住院的经历",
        "利妥昔单抗治疗{n}个疗程后的复查结果",
    ),
    "guide": (
        "ITP诊治指南解读({n}):{topic}",
        "指南里的{topic},病友最该知道的几点",
        "【解读】新版指南关于{topic}的变化",
        "一文看懂成人ITP指南中的{topic}",
        "专家共识解读:{topic}",
        "儿童ITP诊疗建议解读之{topic}",
    ),
    "baike": (
        "什么是{term}?一文读懂{term}",
        "ITP百科:{term}",
        "关于{term},你需要了解的{n}件事",
        "{term}常见问题解答",
        "病友必读:{term}全面解析",
    ),
    "news": (
        "{journal}:{drug}治疗{pop}的{phase}期研究结果公布",
        "新研究发现CD4+CD25+ CD127low调节性T细胞与ITP复发有关",
        "间充质干细胞治疗难治性ITP的最新进展({year})",
        "IgG1型抗血小板抗体与疗效关系的研究",
        "{drug}在{pop}中的真实世界数据发布",
        "国内团队在巨核细胞成熟机制研究上取得新发现",
        "TPO-RA停药后能否维持缓解?{journal}发表新数据",
    ),
}
GUIDE_TOPICS = (
    "诊断标准",
    "疾病分期",
    "出血评分",
    "一线治疗",
    "二线治疗",
    "TPO-RA的使用",
    "妊娠合并ITP",
    "儿童ITP",
    "疗效判断标准",
    "急症处理",
)
BAIKE_TERMS = (
    "免疫性血小板减少症",
    "血小板计数",
    "骨髓穿刺",
    "PAIgG",
    "TPO-RA",
    "脾切除",
    "丙种球蛋白",
    "糖皮质激素",
    "巨核细胞",
    "慢性ITP",
    "血小板抗体检测",
    "ITP饮食",
)
SECTION_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八")

# --------------------------------------------------------------------------- sentence pools

STORY_DIAGNOSIS = (
    "{year}年{month}月,我发现{body_part}出现了很多{symptom},一开始以为是磕碰,没太在意。",
    "直到有一天{bleed},家人赶紧把我送到了{hospital}。",
    "急诊查血常规,血小板只有{plt_low}×10^9/L,医生当场就让住院。",
    "住院后做了骨髓穿刺,结果显示巨核细胞增多伴成熟障碍,最后确诊为ITP。",
    "医生解释说这是一种免疫性疾病,身体产生了针对自身血小板的抗体,PAIgG 检测也是阳性。",
    "那一年我{age}岁,刚刚{life_event},突然得了这个病,整个人都懵了。",
    "孩子{child_age}岁的时候,老师发现他腿上有很多小红点,我们才去医院查的。",
    "查了抗核抗体、甲状腺功能和幽门螺杆菌,都没有发现问题,排除了继发因素。",
    "第一次看到化验单上那个向下的箭头,我在走廊里坐了很久。",
)
STORY_TREATMENT = (
    "一线治疗先用了大剂量地塞米松,{dex_dose}mg 每天一次,连用4天。",
    "同时输了丙种球蛋白,0.4g/kg 连用5天,血小板很快升到了{plt_mid}×10^9/L。",
    "可惜好景不长,停药两周后又掉回了{plt_low}左右。",
    "后来改用泼尼松,每天{pred_dose}mg,脸慢慢变圆了,体重也涨了不少。",
    "医生建议加用{tpo},起始剂量{tpo_dose},服药前后四小时不能吃含钙的食物。",
    "吃{tpo}大概{weeks}周,复查血小板到了{plt_high}×10^9/L,终于松了一口气。",
    "因为激素效果不持久,医生又给我用了利妥昔单抗,每周100mg,一共4次。",
    "也有医生提过脾切除,但考虑到我还年轻,家里人都不太同意,就先保守治疗。",
    "中间也试过中药调理,效果因人而异,这里就不多说了。",
    "这几年血小板一直在{plt_mid}到{plt_high}之间波动,没有明显的出血症状。",
    "减药是最难熬的阶段,每减一次都要提心吊胆地等复查结果。",
    "每次复查都查血常规&凝血功能,化验单我都拍照存档,按时间排好。",
)
STORY_FEELINGS = (
    "说实话,刚确诊那段时间每天都在网上查资料,越查越害怕。",
    "后来在病友群里认识了很多同样情况的人,才慢慢放下心来。",
    "最大的体会是一定要找正规医院的血液科,不要乱吃偏方。",
    "复查要规律,血常规至少一个月一次,有变化及时和医生沟通。",
    "心态真的很重要,焦虑的时候血小板好像也更容易波动。",
    "现在我已经回到工作岗位,生活基本正常,只是不敢做剧烈运动。",
    "写这些是希望给刚确诊的病友一点信心,ITP 并不可怕,规范治疗大部分人都能控制住。",
    "感谢家人一直以来的陪伴,也感谢群里每一位互相打气的病友。",
)
STORY_HEADINGS = ("一、发病和确诊", "二、治疗经过", "三、现在的情况", "四、心态和生活", "五、几点体会")
LESSONS = (
    "定期复查血常规,记录每次的血小板数值;",
    "不要自行停药或者减药,一定听医生安排;",
    "注意口腔卫生,用软毛牙刷;",
    "避免服用阿司匹林、布洛芬等影响血小板功能的药物;",
    "保持规律作息,少熬夜;",
    "出现黑便、剧烈头痛、大面积瘀斑要马上就医。",
)
GUIDE_ORIGINAL = (
    "血小板计数≥30×10^9/L 且无出血表现的成人患者,可以观察随访,不必急于用药。",
    "新诊断患者的一线治疗首选糖皮质激素,如大剂量地塞米松 40mg/d ×4天,或泼尼松 1mg/kg/d。",
    "丙种球蛋白主要用于紧急治疗、不能耐受激素或需要迅速提升血小板的情况。",
    "一线治疗无效或依赖的患者可以考虑 TPO-RA,包括艾曲泊帕、海曲泊帕、罗米司亭和阿伐曲泊帕。",
    "利妥昔单抗可作为二线选择,标准剂量与小剂量方案均有报道。",
    "脾切除的时机一般建议在确诊12个月以后,术前需要充分评估。",
    "妊娠合并 ITP 的孕妇,分娩时血小板计数宜维持在50×10^9/L 以上。",
    "出血评分比单纯的血小板数值更能反映病情的严重程度。",
    "TPO-RA&免疫抑制剂联合使用时,需要定期监测肝功能和血栓风险。",
)
GUIDE_COMMENTARY = (
    "这一条的核心是“治病人而不是治数字”。很多病友看到化验单上的箭头就着急,其实没有出血时不一定要用药。",
    "激素见效快,但长期使用副作用明显,所以指南强调短疗程,减量要在医生指导下进行。",
    "丙种球蛋白价格较高,作用维持时间也短,更适合手术前、分娩前等需要快速提升的场景。",
    "TPO-RA 属于“促生成”类药物,思路和激素的“抑制破坏”不同,两者有时会联合使用。",
    "二线治疗的选择要结合年龄、合并症和个人意愿,没有统一的标准答案。",
    "对于病程较短的病友,自发缓解的机会还在,不必过早考虑手术。",
    "这里提醒孕妈妈们,孕期用药要格外谨慎,一定要在产科和血液科共同随访。",
    "出血评分包括皮肤、黏膜、内脏等几个方面,病友可以学着自己记录。",
)
BAIKE_SENTENCES = (
    "免疫性血小板减少症(ITP)是一种获得性自身免疫性出血性疾病,以血小板计数减少为主要特点。",
    "正常成人的血小板计数在(100~300)×10^9/L 之间,低于100×10^9/L 称为血小板减少。",
    "ITP 的发病与体液免疫和细胞免疫异常都有关系,抗血小板抗体以 IgG1 亚型最为常见。",
    "部分患者体内 CD4+CD25+ CD127low 调节性T细胞数量减少或功能异常。",
    "骨髓中的巨核细胞数量通常正常或增多,但产板能力下降。",
    "临床表现轻重不一,有的人没有任何症状,体检时才偶然发现。",
    "诊断 ITP 需要排除其他原因引起的血小板减少,属于排除性诊断。",
    "PAIgG(血小板相关免疫球蛋白G)升高对诊断有一定提示意义,但特异性不高。",
    "按病程可分为新诊断ITP(3个月以内)、持续性ITP(3~12个月)和慢性ITP(12个月以上)。",
    "儿童 ITP 多数呈自限性,很多孩子在半年到一年内可以自行恢复。",
    "日常生活中要避免外伤,选择软毛牙刷,少吃坚硬带刺的食物。",
    "饮食上没有特别的禁忌,均衡营养即可,不必迷信“补血”的偏方。",
)
BAIKE_HEADINGS = (
    "什么是ITP",
    "常见原因",
    "主要症状",
    "如何诊断",
    "治疗方法",
    "日常护理",
    "饮食建议",
    "预后如何",
)
BAIKE_LIST_ITEMS = (
    "血常规:了解血小板计数和其他血细胞情况;",
    "外周血涂片:排除假性血小板减少;",
    "骨髓穿刺:观察巨核细胞数量和成熟情况;",
    "抗血小板抗体检测:如 PAIgG、抗 GPⅡb/Ⅲa 抗体;",
    "甲状腺功能、抗核抗体、肝炎病毒等筛查;",
    "幽门螺杆菌检测:阳性者可考虑根除治疗。",
)
NEWS_SENTENCES = (
    "近日,{journal}在线发表了一项{study_type},共纳入{n_patients}例{pop}。",
    "研究发现,患者外周血中 CD4+CD25+ CD127low 调节性T细胞比例明显低于健康对照组。",
    "抗血小板抗体以 IgG1 亚型为主,其水平与 PAIgG 呈正相关。",
    "间充质干细胞可以通过分泌多种细胞因子调节免疫平衡,为难治性患者提供了新的思路。",
    "研究者认为,TPO-RA 除了促进巨核细胞生成血小板外,可能还具有一定的免疫调节作用。",
    "治疗第{weeks}周时,{pct}%的患者血小板计数达到50×10^9/L 以上。",
    "最常见的不良反应为头痛、乏力和转氨酶轻度升高,多数可以耐受。",
    "{drug}组的持续缓解率高于对照组,差异具有统计学意义(P<0.05)。",
    "研究团队表示,下一步将扩大样本量,进一步验证这一结果。",
    "需要注意的是,这只是一项早期研究,结论还需要更多临床数据支持。",
)
NEWS_HEADINGS = ("研究背景", "研究方法", "主要结果", "安全性", "专家点评")
SUMMARIES = (
    "病友{nick}分享了{n}年来的治疗经历,涉及激素、丙球和{tpo}的使用体会,供大家参考。",
    "本文对指南中关于{topic}的要点做了通俗解读,适合刚确诊的病友阅读。",
    "{term}是病友经常问到的问题,本文从概念、检查到日常注意事项做了整理。",
    "一项关于{drug}的新研究结果公布,本文简要介绍研究设计与主要发现。",
)
FIGURES = (
    "入院时的血常规报告",
    "骨髓穿刺结果",
    "出院小结",
    "药盒照片",
    "复查血常规",
    "血小板变化曲线",
    "研究设计示意图",
    "ITP诊疗流程图",
    "巨核细胞示意图",
    "病友交流群活动合影",
)
COMMENTS = (
    "谢谢分享,很受鼓舞!",
    "请问{tpo}吃了多久开始起效的?",
    "我家孩子也是这样,看完心里踏实多了。",
    "同病相怜,一起加油💪",
    "楼主现在血小板多少了?",
    "学习了,收藏。",
    "医生也是这么跟我说的,减药一定要慢。",
    "求问在哪家医院看的?我也在{city}。",
    "写得很详细,转给家里人看看。",
    "看到“不可怕”三个字,眼泪都下来了。",
    "指南解读很及时,希望多更新一些 TPO-RA 的内容。",
)
REPLIES = (
    "大概三周左右,每个人不一样。",
    "现在稳定在{plt_mid}左右,谢谢关心!",
    "{city}的医院,具体可以群里问我。",
    "一起加油,会好起来的!",
    "是的,千万别自己停药。",
)
# Running text that happens to contain words the theme uses for chrome: extractors must keep these.
TRAPS = (
    "医生当时给的相关推荐是先查骨髓,再决定要不要上激素,我觉得挺合理的。",
    "有病友问我写这些要不要打赏,真的不用,能帮到大家我就很高兴了。",
    "在上一篇分享里我提到过减药的事,这次接着说说后来的情况。",
    "如果你也在为孩子的血小板发愁,可以在群里联系我们,大家一起想办法。",
    "进群的方法很简单:打开微信扫一扫,扫描群主发的二维码,备注“ITP病友”就可以了。",
    "下一篇我打算写写饮食方面的注意事项,欢迎大家在评论里提问。",
)
UPDATE_NOTE = "【更新】{date}:最近一次复查血小板{plt_mid}×10^9/L,{drug}已在医生指导下调整为隔日一次。"
# Old posts (2015–2018) embed videos with the players of the day, in the markup editors pasted: a bare
# <embed> with no end tag, one inside a centred paragraph, or an <object> with <param> children, whose end
# tag is sometimes missing. None of it is text: the gold body is the same with or without it.
FLASH_PLAYERS = (
    "http://player.youku.com/player.php/sid/XM{vid}/v.swf",
    "http://www.tudou.com/v/{vid}/&amp;resourceId=0_05_05_99/v.swf",
    "http://player.56.com/v_{vid}.swf",
    "http://static.video.qq.com/TPout.swf?vid={vid}&amp;auto=0",
)
FLASH_STYLES = ("bare-embed", "centred-embed", "object", "unclosed-object")


def flash_markup(rng: random.Random, style: str) -> str:
    """One legacy flash player as an editor pasted it, in one of FLASH_STYLES."""
    vid = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789") for _ in range(11))
    src = rng.choice(FLASH_PLAYERS).format(vid=vid)
    width, height = rng.choice(((480, 400), (510, 498), (640, 480)))
    embed = (
        f'<embed src="{src}" allowFullScreen="true" quality="high" width="{width}" height="{height}" '
        'align="middle" allowScriptAccess="always" type="application/x-shockwave-flash">'
    )
    if style == "bare-embed":
        return embed
    if style == "centred-embed":
        return f'<p style="text-align: center;">{embed}</embed></p>'
    params = "".join(
        f'<param name="{name}" value="{value}">'
        for name, value in (("movie", src), ("allowFullScreen", "true"), ("allowScriptAccess", "always"))
    )
    opening = f'<object classid="clsid:d27cdb6e-ae6d-11cf-96b8-444553540000" width="{width}" height="{height}">'
    if style == "object":
        return f"{opening}{params}{embed}</embed></object>"
    return opening + params + embed  # neither the embed nor the object is ever closed


# Texturize: WordPress turns quotes and dashes into typographic characters, often as numeric entities.
_ENTITY_CHARS = {
    "“": "&#8220;",
    "”": "&#8221;",
    "‘": "&#8216;",
    "’": "&#8217;",
    "—": "&#8212;",
    "…": "&#8230;",
    "×": "&#215;",
}


def escape_text(text: str, entities: bool) -> str:
    """HTML for a plain text: &, <, > escaped; typographic characters as numeric entities if asked."""
    out = html.escape(text, quote=False)
    if entities:
        for char, entity in _ENTITY_CHARS.items():
            out = out.replace(char, entity)
    return out


# --------------------------------------------------------------------------- body model


@dataclass(slots=True)
class Chunk:
    """One piece of entry-content: its HTML (``%%BASE%%`` for the home URL) and what it contributes."""

    html: str
    blocks: list[str] = field(default_factory=list)  # gold text blocks, in order (already collapsed)
    images: list[dict[str, str]] = field(default_factory=list)  # src is a path on the site or absolute


def _comma_cut(sentence: str) -> int:
    """The position just after the comma nearest the middle (never inside a word or term), or 0."""
    middle = len(sentence) // 2
    cuts = [i + 1 for i, char in enumerate(sentence[:-1]) if char in ",，"]
    return min(cuts, key=lambda i: abs(i - middle), default=0)


class _Inline:
    """Builds one inline run as HTML and text side by side."""

    def __init__(self, rng: random.Random, entities: bool) -> None:
        self.rng = rng
        self.entities = entities
        self.html: list[str] = []
        self.text: list[str] = []

    def add(self, text: str) -> _Inline:
        self.html.append(escape_text(text, self.entities))
        self.text.append(text)
        return self

    def nbsp(self) -> _Inline:
        self.html.append("&nbsp;")
        self.text.append("\u00a0")
        return self

    def wrap(self, tag: str, text: str, attrs: str = "") -> _Inline:
        self.html.append(f"<{tag}{attrs}>{escape_text(text, self.entities)}</{tag}>")
        self.text.append(text)
        return self

    def link(self, href: str, text: str, extra: str = "") -> _Inline:
        self.html.append(f'<a href="{html.escape(href)}"{extra}>{escape_text(text, self.entities)}</a>')
        self.text.append(text)
        return self

    def sentences(self, sentences: list[str]) -> _Inline:
        """Add sentences, sometimes emphasising one or separating with a non-breaking space."""
        for sentence in sentences:
            roll = self.rng.random()
            if roll < 0.06:
                self.wrap("strong", sentence)
            elif roll < 0.09:
                self.wrap("span", sentence, ' style="color: #ff0000;"')
            elif roll < 0.13 and (cut := _comma_cut(sentence)):
                self.add(sentence[:cut]).nbsp().add(sentence[cut:])
            else:
                self.add(sentence)
        return self

    def result(self) -> tuple[str, str]:
        return "".join(self.html), collapse("".join(self.text))


@dataclass(slots=True)
class BodyContext:
    """What a body generator may refer to: the article's own facts and other posts to link."""

    seed: int
    kind: str
    published: datetime
    nick: str
    city: str
    tpo: str
    drug: str
    link_targets: list[tuple[str, str]]  # (path, title) of other posts
    trap: int | None  # index into TRAPS forced into this body
    entities: bool  # texturized quotes as numeric entities
    image_style: str  # "figure", "lazy" (JustNews lazy-load: real URL in data-original)
    extra_html: bool  # an inline <script> and an onclick in the body
    revision: int = 0
    upload_id: int = 0  # first attachment id for images
    flash: str | None = None  # a legacy flash video player somewhere in the body (old posts): FLASH_STYLES


class BodyWriter:
    """Writes one article body from a :class:`BodyContext`."""

    def __init__(self, ctx: BodyContext) -> None:
        self.ctx = ctx
        self.rng = random.Random(ctx.seed)
        self.chunks: list[Chunk] = []
        self._attachment = ctx.upload_id
        self._heading = 0
        self._used: set[str] = set()

    # ----------------------------------------------------------------- slot filling
    def slots(self) -> dict[str, object]:
        rng, ctx = self.rng, self.ctx
        return {
            "year": ctx.published.year - rng.randint(0, 6),
            "month": rng.randint(1, 12),
            "body_part": rng.choice(BODY_PARTS),
            "symptom": rng.choice(SYMPTOMS),
            "bleed": rng.choice(BLEEDS),
            "hospital": rng.choice(HOSPITAL_PATTERNS).format(city=ctx.city),
            "plt_low": rng.randint(2, 25),
            "plt_mid": rng.randint(30, 80),
            "plt_high": rng.randint(90, 180),
            "age": rng.randint(18, 62),
            "child_age": rng.randint(2, 11),
            "life_event": rng.choice(LIFE_EVENTS),
            "dex_dose": 40,
            "pred_dose": rng.choice((30, 40, 50, 60)),
            "tpo": ctx.tpo,
            "tpo_dose": TPO_DOSE[ctx.tpo],
            "weeks": rng.randint(2, 12),
            "journal": rng.choice(JOURNALS),
            "study_type": rng.choice(STUDY_TYPES),
            "n_patients": rng.randint(40, 600),
            "pop": rng.choice(POPULATIONS),
            "pct": rng.randint(35, 85),
            "drug": ctx.drug,
            "city": ctx.city,
            "nick": ctx.nick,
        }

    def pick(self, pool: tuple[str, ...] | list[str], k: int, ordered: bool = False) -> list[str]:
        """``k`` sentences from ``pool``, unused ones in this body first; in pool order if ``ordered``."""
        k = min(k, len(pool))
        fresh = [s for s in pool if s not in self._used]
        chosen = self.rng.sample(fresh, min(k, len(fresh)))
        if len(chosen) < k:
            chosen += self.rng.sample([s for s in pool if s not in chosen], k - len(chosen))
        if ordered:
            chosen.sort(key=pool.index)
        self._used.update(chosen)
        return [s.format(**self.slots()) for s in chosen]

    # ----------------------------------------------------------------- chunks
    def paragraph(self, sentences: list[str], *, link: bool = False, indent: bool = False) -> None:
        rng = self.rng
        inline = _Inline(rng, self.ctx.entities)
        if rng.random() < 0.08:
            inline.nbsp().nbsp()
        inline.sentences(sentences)
        if link and self.ctx.link_targets:
            path, title = rng.choice(self.ctx.link_targets)
            inline.add("可以参考").link(BASE + path, f"《{title}》").add("这篇文章。")
        html_text, text = inline.result()
        attrs = ' style="text-indent: 2em;"' if indent else ""
        self.chunks.append(Chunk(f"<p{attrs}>{html_text}</p>", [text]))

    def raw_paragraph(self, html_text: str, text: str) -> None:
        self.chunks.append(Chunk(f"<p>{html_text}</p>", [collapse(text)]))

    def heading(self, text: str, level: int = 2, anchor: str | None = None) -> None:
        attrs = f' id="{anchor}"' if anchor else ""
        inner = escape_text(text, self.ctx.entities)
        if self.rng.random() < 0.3:
            inner = f"<strong>{inner}</strong>"
        self.chunks.append(Chunk(f"<h{level}{attrs}>{inner}</h{level}>", [collapse(text)]))

    def listing(self, items: list[str], ordered: bool = False) -> None:
        tag = "ol" if ordered else "ul"
        parts, blocks = [], []
        for item in items:
            inline = _Inline(self.rng, self.ctx.entities)
            if "：" not in item and self.rng.random() < 0.25 and ":" in item:
                head, tail = item.split(":", 1)
                inline.wrap("strong", head + ":").add(tail)
            else:
                inline.add(item)
            html_text, text = inline.result()
            parts.append(f"<li>{html_text}</li>")
            blocks.append(text)
        self.chunks.append(Chunk(f"<{tag}>\n" + "\n".join(parts) + f"\n</{tag}>", blocks))

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        ent = self.ctx.entities
        lines = ["<table>", "<tbody>"]
        blocks = []
        for index, row in enumerate([header, *rows]):
            cell = "th" if index == 0 else "td"
            cells = "".join(f"<{cell}>{escape_text(c, ent)}</{cell}>" for c in row)
            lines.append(f"<tr>{cells}</tr>")
            blocks.append(" | ".join(collapse(c) for c in row))
        lines += ["</tbody>", "</table>"]
        style = ' style="width: 100%; border-collapse: collapse;"' if self.rng.random() < 0.5 else ""
        lines[0] = f"<table{style}>"
        self.chunks.append(Chunk("\n".join(lines), blocks))

    def figure(self, caption: str | None = None) -> None:
        rng = self.rng
        self._attachment += rng.randint(1, 3)
        att = self._attachment
        day = self.ctx.published
        name = f"{day:%Y%m%d}{rng.randint(100000, 999999)}.png"
        src = f"/wp-content/uploads/{day:%Y}/{day:%m}/{name}"
        caption = caption or rng.choice(FIGURES)
        alt = caption if rng.random() < 0.75 else caption + "(图)"
        width, height = rng.choice(((640, 480), (800, 600), (1080, 720), (600, 800)))
        if self.ctx.image_style == "lazy":
            img_src = (
                f'src="{BASE}/wp-content/themes/justnews/themer/assets/images/lazy.png" data-original="{BASE}{src}"'
            )
            img_class = f"size-full wp-image-{att} j-lazy"
        else:
            img_src = f'src="{BASE}{src}"'
            img_class = f"size-full wp-image-{att}"
        img = (
            f'<img decoding="async" class="{img_class}" {img_src} alt="{html.escape(alt)}" '
            f'width="{width}" height="{height}">'
        )
        if rng.random() < 0.15:
            # A bare image in its own paragraph: no caption, no block.
            self.chunks.append(Chunk(f"<p>{img}</p>", [], [{"src": src, "alt": alt, "caption": ""}]))
            return
        if rng.random() < 0.3:
            img = f'<a href="{BASE}{src}">{img}</a>'
        cap_html = escape_text(caption, self.ctx.entities)
        markup = (
            f'<figure id="attachment_{att}" aria-describedby="caption-attachment-{att}" '
            f'style="width: {width}px" class="wp-caption aligncenter">{img}'
            f'<figcaption id="caption-attachment-{att}" class="wp-caption-text">{cap_html}</figcaption>'
            "</figure>"
        )
        self.chunks.append(Chunk(markup, [], [{"src": src, "alt": alt, "caption": caption}]))

    def blank(self) -> None:
        """The classic editor's empty paragraph: shows nothing, is no block."""
        self.chunks.append(Chunk("<p>&nbsp;</p>", []))

    def quote(self, sentences: list[str]) -> None:
        inline = _Inline(self.rng, self.ctx.entities).sentences(sentences)
        html_text, text = inline.result()
        self.chunks.append(Chunk(f"<blockquote><p>{html_text}</p></blockquote>", [text]))

    def trap(self, index: int) -> None:
        self.paragraph([TRAPS[index]])

    def extras(self) -> None:
        """Script and event attribute inside the body: never body text."""
        self.chunks.append(
            Chunk(
                '<script type="text/javascript">var itp6_counter = {"post": 1, "area": "content"};</script>',
                [],
            )
        )
        inline = _Inline(self.rng, self.ctx.entities)
        inline.add("更多病友经验请点击").link(
            BASE + "/weixinqun/", "加入病友交流群", ' onclick="return itp6_track(this);" target="_blank"'
        ).add(",和大家一起交流。")
        html_text, text = inline.result()
        self.chunks.append(Chunk(f"<p>{html_text}</p>", [text]))

    # ----------------------------------------------------------------- kinds
    def write(self) -> list[Chunk]:
        rng, ctx = self.rng, self.ctx
        {"story": self.story, "guide": self.guide, "baike": self.baike, "news": self.news}[ctx.kind]()
        if ctx.trap is not None:
            # Put the trap sentence somewhere in the middle of the body.
            first = 3 if ctx.kind == "baike" else 1  # never between 目录 and its list
            position = rng.randint(first, max(first, len(self.chunks) - 1))
            tail = self.chunks[position:]
            self.chunks = self.chunks[:position]
            self.trap(ctx.trap)
            self.chunks += tail
        if ctx.flash is not None:
            # Its own random stream: the body's text is the same as without the player.
            flash_rng = random.Random(f"flash-body-{ctx.seed}")
            first = 3 if ctx.kind == "baike" else 1
            position = flash_rng.randint(first, max(first, len(self.chunks) - 1))
            self.chunks.insert(position, Chunk(flash_markup(flash_rng, ctx.flash)))
        if ctx.extra_html:
            self.extras()
        for revision in range(1, ctx.revision + 1):
            slots = self.slots()
            date = ctx.published + timedelta(days=30 * revision)
            self.paragraph(
                [
                    UPDATE_NOTE.format(
                        date=f"{date.year}年{date.month}月{date.day}日",
                        **{k: v for k, v in slots.items() if k != "date"},
                    )
                ]
            )
        return self.chunks

    def story(self) -> None:
        rng = self.rng
        sections = rng.random() < 0.55
        indent = rng.random() < 0.3
        child = rng.random() < 0.25  # a parent writing about a child, or an adult patient
        diagnosis = [s for s in STORY_DIAGNOSIS if ("孩子" in s) == child or not ("孩子" in s or "我{age}" in s)]
        pools = (diagnosis, STORY_TREATMENT, STORY_TREATMENT, STORY_FEELINGS)
        for index, pool in enumerate(pools):
            if sections and index < len(STORY_HEADINGS):
                self.heading(STORY_HEADINGS[index], 2 if rng.random() < 0.7 else 3)
            for _ in range(rng.randint(1, 2)):
                sentences = self.pick(pool, rng.randint(2, 4), ordered=index < 3)
                self.paragraph(sentences, link=rng.random() < 0.15, indent=indent)
            if index == 1 and rng.random() < 0.5:
                self.figure()
            if index == 1 and rng.random() < 0.35:
                self.platelet_table()
            if index == 0 and rng.random() < 0.2:
                self.blank()
        if rng.random() < 0.6:
            if sections:
                self.heading(STORY_HEADINGS[4], 3)
            self.listing(rng.sample(LESSONS, rng.randint(3, 5)), ordered=rng.random() < 0.5)
        if rng.random() < 0.3:
            self.quote(self.pick(STORY_FEELINGS, 1))
        self.paragraph(self.pick(STORY_FEELINGS, 2))

    def platelet_table(self) -> None:
        rng, day = self.rng, self.ctx.published - timedelta(days=200)
        rows = []
        for _ in range(rng.randint(3, 5)):
            day += timedelta(days=rng.randint(10, 40))
            drug = rng.choice(("地塞米松", "泼尼松", "丙种球蛋白", self.ctx.tpo, "停药观察"))
            rows.append([f"{day:%Y-%m-%d}", str(rng.randint(5, 160)), drug])
        self.table(["日期", "血小板(×10^9/L)", "用药"], rows)

    def guide(self) -> None:
        rng = self.rng
        self.paragraph([*self.pick(GUIDE_COMMENTARY, 1), "下面结合病友们常问的问题,逐条做个解读。"])
        for index, topic in enumerate(rng.sample(GUIDE_TOPICS, rng.randint(3, 5))):
            self.heading(f"{SECTION_NUMERALS[index]}、{topic}", 2)
            original = self.pick(GUIDE_ORIGINAL, 1)[0]
            self.paragraph(["【指南原文】" + original])
            self.paragraph(
                ["【解读】" + self.pick(GUIDE_COMMENTARY, 1)[0], *self.pick(GUIDE_COMMENTARY, 1)],
                link=rng.random() < 0.2,
            )
            if rng.random() < 0.3:
                self.listing(self.pick(GUIDE_ORIGINAL, 3))
        if rng.random() < 0.5:
            self.drug_table()
        if rng.random() < 0.4:
            self.figure("ITP诊疗流程图")
        self.paragraph(["以上内容仅为学习交流,具体治疗方案请遵医嘱。"])

    def drug_table(self) -> None:
        self.table(
            ["药物", "类别", "常见用法"],
            [
                ["艾曲泊帕", "TPO-RA(口服)", "25mg 每日一次起始"],
                ["海曲泊帕", "TPO-RA(口服)", "2.5mg 每日一次起始"],
                ["罗米司亭", "TPO-RA(皮下注射)", "1μg/kg 每周一次"],
                ["阿伐曲泊帕", "TPO-RA(口服)", "20mg 每日一次"],
                ["利妥昔单抗", "抗CD20单抗", "100mg 每周一次×4"],
            ][: self.rng.randint(3, 5)],
        )

    def baike(self) -> None:
        rng = self.rng
        headings = rng.sample(BAIKE_HEADINGS, rng.randint(3, 6))
        titles = [f"{SECTION_NUMERALS[i]}、{h}" for i, h in enumerate(headings)]
        # The manual 目录 at the top: its items are body blocks.
        self.chunks.append(Chunk("<p><strong>目录</strong></p>", ["目录"]))
        items = "\n".join(
            f'<li><a href="#mulu-{i + 1}">{escape_text(t, self.ctx.entities)}</a></li>' for i, t in enumerate(titles)
        )
        self.chunks.append(Chunk(f"<ol>\n{items}\n</ol>", [collapse(t) for t in titles]))
        for index, title in enumerate(titles):
            self.heading(title, 2, anchor=f"mulu-{index + 1}")
            self.paragraph(self.pick(BAIKE_SENTENCES, rng.randint(2, 4)), link=rng.random() < 0.2)
            roll = rng.random()
            if roll < 0.25:
                self.listing(rng.sample(BAIKE_LIST_ITEMS, rng.randint(3, 5)))
            elif roll < 0.4:
                self.risk_table()
            elif roll < 0.5:
                self.figure()
            if rng.random() < 0.3:
                self.heading("小贴士", 3)
                self.paragraph(self.pick(BAIKE_SENTENCES[-3:], 1))

    def risk_table(self) -> None:
        self.table(
            ["血小板计数(×10^9/L)", "出血风险", "一般建议"],
            [
                ["≥50", "低", "正常生活,定期复查"],
                ["30~50", "较低", "避免剧烈运动和外伤"],
                ["10~30", "中等", "遵医嘱治疗"],
                ["<10", "高", "及时就医"],
            ],
        )

    def news(self) -> None:
        rng = self.rng
        inline = _Inline(rng, self.ctx.entities).add(self.pick(NEWS_SENTENCES[:1], 1)[0])
        inline.add("原文见").link(
            f"https://pubmed.ncbi.nlm.nih.gov/{rng.randint(30000000, 38999999)}/",
            "PubMed",
            ' target="_blank" rel="noopener nofollow"',
        ).add("。")
        self.raw_paragraph(*inline.result())
        for heading in rng.sample(NEWS_HEADINGS, rng.randint(2, 4)):
            self.heading(heading, 3)
            self.paragraph(self.pick(NEWS_SENTENCES[1:], rng.randint(2, 3)), link=rng.random() < 0.15)
            if rng.random() < 0.25:
                self.listing(self.pick(NEWS_SENTENCES[1:], 3), ordered=True)
        if rng.random() < 0.5:
            self.figure("研究设计示意图")
        self.paragraph(["编者按:" + NEWS_SENTENCES[-1].format(**self.slots())])


def write_body(ctx: BodyContext) -> list[Chunk]:
    """The body of one article, deterministic for its context."""
    return BodyWriter(ctx).write()


def make_title(rng: random.Random, kind: str, nick: str, city: str, tpo: str, drug: str, year: int) -> str:
    """A title for an article of ``kind``."""
    template = rng.choice(TITLES[kind])
    return template.format(
        nick=nick,
        city=city,
        tpo=tpo,
        drug=drug,
        year=year,
        n=rng.randint(2, 12),
        plt_low=rng.randint(2, 25),
        plt_high=rng.randint(90, 200),
        topic=rng.choice(GUIDE_TOPICS),
        term=rng.choice(BAIKE_TERMS),
        journal=rng.choice(JOURNALS),
        pop=rng.choice(POPULATIONS),
        phase=rng.choice(("Ⅱ", "Ⅲ")),
    )


def make_summary(rng: random.Random, kind: str, nick: str, tpo: str, drug: str) -> str:
    """A manual summary (entry-excerpt) for an article."""
    index = {"story": 0, "guide": 1, "baike": 2, "news": 3}[kind]
    return SUMMARIES[index].format(
        nick=nick,
        n=rng.randint(2, 9),
        tpo=tpo,
        topic=rng.choice(GUIDE_TOPICS),
        term=rng.choice(BAIKE_TERMS),
        drug=drug,
    )


def make_comment(rng: random.Random, reply: bool, tpo: str, city: str) -> str:
    pool = REPLIES if reply else COMMENTS
    return rng.choice(pool).format(tpo=tpo, city=city, plt_mid=rng.randint(30, 90))
