"""Name lists for the fictional demo county (dropout.demo). All places are invented."""

# name, share of the county's children (relative), secondary school kind, minority share, main minority
TOWNSHIPS = (
    ("城关镇", 3.0, "junior", 0.05, "回族"),
    ("青石镇", 1.3, "junior", 0.06, "彝族"),
    ("白马乡", 0.8, "nine_year", 0.35, "彝族"),
    ("龙泉镇", 1.2, "junior", 0.08, "彝族"),
    ("桃源乡", 0.7, "nine_year", 0.10, "回族"),
    ("石桥镇", 1.1, "junior", 0.05, "彝族"),
    ("柏林乡", 0.7, "nine_year", 0.30, "藏族"),
    ("红岩镇", 1.0, "junior", 0.12, "彝族"),
    ("金沙乡", 0.8, "nine_year", 0.20, "彝族"),
    ("平坝镇", 1.1, "junior", 0.06, "回族"),
    ("云台乡", 0.6, "nine_year", 0.40, "藏族"),
    ("黄茅乡", 0.6, "nine_year", 0.25, "彝族"),
)
VILLAGE_COUNTS = (8, 10, 7, 10, 8, 9, 7, 9, 8, 9, 7, 8)  # 100 in all
COMMUNITIES = ("东街社区", "西街社区", "南街社区", "北街社区", "文化路社区", "滨河社区", "新城社区", "河西社区")
VILLAGE_STEMS = (
    "石门 河坝 新华 团结 光明 大坪 黄泥 柳树 桃园 杨柳 马鞍 青龙 白云 双河 三合 五星 红旗 新民 和平 长岭 "
    "水井 中坝 高峰 龙潭 凉风 金竹 松林 岩脚 沙坝 小河 大湾 柏杨 坪上 民主 联合 群英 永安 太平 福兴 清水 "
    "青杠 枫香 鹿鸣 凤凰 荷花 杉树 斑竹 花园 梨园 核桃 茶园 庙坝 油坊 磨子 碾坝 新店 老街 高桥 石板 观音 "
    "天池 月亮 星光 朝阳 向阳 东风 胜利 前进 建设 幸福 文星 兴隆 安乐 长春 丰收 顺河 龙凤 金鸡 白岩 黑石 "
    "九龙 七里 八一 回龙 落水 响水 麻柳 银厂 铁炉 瓦窑 椒园 大石 新桥 雨台 兰坝"
).split()

TEACHING_POINTS = 13
PRIMARY_SCHOOLS_CHENGGUAN = ("城关镇中心小学", "城关镇第二小学")

# Common Han surnames, most frequent first (weights follow the order).
HAN_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
HUI_SURNAMES = "马马马马丁白哈穆海杨李沙"
YI_SURNAMES = ("吉克", "阿苏", "沙马", "俄木", "马海", "海来", "阿的", "曲比", "勒格", "吉木", "阿尔", "瓦其", "罗")

# Children's given names: first and second characters by sex; a one-character name uses the second list.
BOY_FIRST = "子浩宇俊博家梓明文志思嘉一天泽皓晨振建永宏睿锦"
BOY_SECOND = "轩然航杰豪文鸣乐远宇辰阳涛睿铭诚峰凯翔斌强伟磊鹏洋昊瑞"
GIRL_FIRST = "欣梓诗雨可佳思语子若雅晓紫静梦一婉美秀丽心"
GIRL_SECOND = "怡涵琪萱馨彤嫣婷雪妍琳悦瑶萌茜颖洁菲霞芳蕾"
# Adults born 1965-1995.
MAN_GIVEN = (
    "建国",
    "建军",
    "志强",
    "永刚",
    "德明",
    "文华",
    "海峰",
    "春林",
    "国平",
    "伟",
    "军",
    "勇",
    "斌",
    "强",
    "磊",
    "刚",
    "平",
    "华",
    "明",
    "林",
    "波",
    "辉",
    "学文",
    "世伦",
    "光荣",
    "大兵",
    "小龙",
    "正华",
)
WOMAN_GIVEN = (
    "秀英",
    "桂英",
    "玉兰",
    "秀兰",
    "丽",
    "芳",
    "敏",
    "静",
    "红梅",
    "春梅",
    "淑珍",
    "小红",
    "晓燕",
    "玉梅",
    "凤",
    "霞",
    "琴",
    "丽华",
    "英",
    "梅",
    "春燕",
    "桂芳",
    "小琴",
    "艳",
)
YI_BOY = ("拉且", "日哈", "尔古", "木呷", "阿牛", "子莫", "阿木", "拉哈", "伍沙", "约达")
YI_GIRL = ("阿呷", "阿依", "史布", "伍呷", "阿芝", "日者", "阿果", "尔莫", "阿衣", "么妞")
TIBETAN_FIRST = ("扎西", "洛绒", "泽仁", "次仁", "格桑", "尼玛", "益西", "降央", "四郎", "登珠")
TIBETAN_MALE = ("多吉", "旺堆", "平措", "顿珠", "尼玛", "丹增", "巴登")
TIBETAN_FEMALE = ("卓玛", "拉姆", "央金", "措姆", "志玛", "德吉", "曲珍")

PHONE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "182",
    "183",
    "187",
    "188",
    "189",
    "199",
)


# Audit reasons for status changes in the demo history, and notes on out-of-school children.
REASONS = {
    ("enrolled", "suspected"): ("连续旷课超过3天", "开学未按时报到", "长期请假未返校"),
    ("suspected", "dropped_out"): ("核实辍学：外出务工", "核实辍学：厌学在家", "核实辍学：家庭经济困难"),
    ("dropped_out", "returned"): ("经家访劝返复学", "乡镇、学校联合劝返复学", "送达督促复学通知书后复学"),
    ("suspected", "enrolled"): ("已核实：因病请假，已返校", "已核实：家中有事请假，已返校"),
    ("enrolled", "deferred"): ("因病缓学，已审批",),
    ("enrolled", "outside_county"): ("随父母到县外就读",),
    ("enrolled", "moved_out"): ("户籍迁出本县",),
    ("enrolled", "special_school"): ("转入特殊教育学校",),
    ("enrolled", "home_taught"): ("经评估安排送教上门",),
}
REASONS[("enrolled", "dropped_out")] = REASONS[("suspected", "dropped_out")]
REASONS.update(
    {
        ("returned", "suspected"): ("复学后再次连续旷课", "复学后又随家长外出"),
        ("returned", "enrolled"): ("跟踪回访结束，稳定就读",),
        ("suspected", "moved_out"): ("随父母迁居外地，已在外地入学",),
        ("dropped_out", "moved_out"): ("随父母迁居外地，已在外地入学", "转入外县学校，已核实学籍"),
    }
)
NOTES = ("已多次家访", "父母在外务工，联系困难", "本人厌学情绪明显", "已签订控辍保学责任书")

MALE_RELATIONS = {"父亲": True, "母亲": False, "祖父": True, "祖母": False, "外祖父": True, "外祖母": False}
GRANDPARENTS = ("祖父", "祖母", "外祖父", "外祖母")


def surname(rng, ethnicity, cum_han):
    """A surname fitting the ethnicity (Tibetans have none: '')."""
    if ethnicity == "彝族" and rng.random() < 0.7:
        return rng.choice(YI_SURNAMES)
    if ethnicity == "回族" and rng.random() < 0.6:
        return rng.choice(HUI_SURNAMES)
    if ethnicity == "藏族":
        return ""
    return rng.choices(HAN_SURNAMES, cum_weights=cum_han)[0]


def given(rng, family, male, child):
    """A given name: Tibetan names are whole, Yi surnames take a Yi given name."""
    if not family:
        return rng.choice(TIBETAN_FIRST) + rng.choice(TIBETAN_MALE if male else TIBETAN_FEMALE)
    if len(family) > 1:
        return rng.choice(YI_BOY if male else YI_GIRL)
    if not child:
        return rng.choice(MAN_GIVEN if male else WOMAN_GIVEN)
    second = rng.choice(BOY_SECOND if male else GIRL_SECOND)
    if rng.random() < 0.25:
        return second
    return rng.choice(BOY_FIRST if male else GIRL_FIRST) + second


def guardian_relations(rng, orphan, left_behind):
    """The relations of a child's one or two guardians, first listed first."""
    if orphan:
        return ("祖父", "祖母") if rng.random() < 0.4 else (rng.choice(("祖父", "祖母", "外祖母", "其他亲属")),)
    if left_behind:  # grandparents at home, a parent working away
        return rng.choice(("祖母", "祖父", "外祖母")), rng.choice(("父亲", "母亲"))
    r = rng.random()
    return ("父亲", "母亲") if r < 0.55 else ("母亲", "父亲") if r < 0.7 else ("母亲",) if r < 0.85 else ("父亲",)


# 一人一案 in the demo county (dropout.demo.cases).
# What the family says, by dropout reason code: a case's details and the reasons heard on visits.
DROPOUT_DETAILS = {
    "dislike": ("孩子厌学，沉迷手机", "学习跟不上，不愿到校", "与同学闹矛盾后不愿上学", "沉迷网络游戏，昼夜颠倒"),
    "work": ("随父母外出务工", "在县城餐馆打工", "跟随亲戚到外省进厂", "在家帮忙放牧"),
    "poverty": ("家庭经济困难，需照顾弟妹", "父亲患病，家中缺劳力", "单亲家庭，收入微薄"),
    "illness": ("长期患病，在家休养", "术后恢复期，暂不能到校"),
    "disability": ("行动不便，上学路远", "听力障碍，跟不上课堂"),
    "early_marriage": ("早婚，已随对方家庭生活", "已订婚，家长不让继续上学"),
    "family_attitude": ("家长认为读书无用", "家长要求在家帮忙做农活"),
    "other": ("随亲戚外出，去向不明", "户籍地与居住地不一致，一度未找到本人"),
}
# Reason codes and their relative weights.
DROPOUT_REASON_WEIGHTS = (
    ("dislike", 34),
    ("work", 24),
    ("poverty", 10),
    ("illness", 8),
    ("disability", 3),
    ("early_marriage", 3),
    ("family_attitude", 10),
    ("other", 8),
)
VISIT_NOTES = {
    "agreed": ("家长同意下周送孩子返校", "孩子答应返校，已联系班主任", "签订返校承诺书"),
    "refused": ("家长态度消极，继续做工作", "孩子不愿返校，约定再访", "宣讲义务教育法，家长仍不同意"),
    "not_home": ("家中无人，已留联系卡", "邻居称全家外出，已托村干部转告"),
    "working_away": ("电话联系家长，孩子在外地打工", "已联系务工地乡镇协助劝返"),
    "other": ("讲解资助政策，家长表示考虑", "已协调学校安排心理辅导", "与村干部一同上门，约定下次面谈"),
}
FOLLOWUP_NOTES = ("在校表现稳定", "按时到校，学习有进步", "班主任反映出勤正常", "已落实资助，情绪稳定")
NOT_DROPOUT_NOTES = ("因病请假，已补交病假条", "家中有事请假，已返校", "已转入本县其他学校，学籍核实无误")
RECEIVING_SCHOOLS = (
    "成都市青羊区实验小学",
    "成都市郫都区第二中学",
    "绵阳市涪城区实验学校",
    "东莞市长安镇中心小学",
    "广州市白云区人和镇第一中学",
    "义乌市稠城第二小学",
    "重庆市渝北区实验中学",
    "昆明市官渡区第一中学",
)
EXEMPTION_REASONS = {
    "defer": ("身体发育迟缓，经县医院诊断申请缓学一年", "患先天性心脏病，术后休养，申请缓学"),
    "exempt": ("重症长期治疗，经县残联和医院评估申请免学", "多重残疾，长期卧床，申请免学"),
    "suspend": (
        "患白血病住院治疗，申请休学",
        "意外受伤骨折，需长期治疗，申请休学一年",
        "患肺结核，遵医嘱居家治疗，申请休学",
    ),
}

# 限期复学通知书 in the demo county (dropout.demo.cases).
# Township staff who serve the notices, and the people who sign as witnesses or take a notice for the family.
NOTICE_SERVERS = ("李国平", "赵春梅", "周德华", "吴海峰", "郑玉兰", "孙学文", "何晓燕", "罗正华", "冯永刚", "唐丽华")
WITNESSES = ("杨光荣", "黄桂芳", "曾世伦", "邓小琴", "彭大兵", "袁淑珍", "蒋春林", "潘红梅")
PROXY_RELATIONS = ("祖母", "祖父", "伯父", "姑妈", "舅舅", "外祖母")
REFUSALS = ("监护人拒绝签收，称孩子不愿读书", "监护人在场，拒绝在送达回证上签名", "监护人拒收，称无力管教孩子")
# Measures after a missed deadline: relative weights, the word in the document number
# (城关罚〔2026〕3号), and what was decided (for a penalty, the decision printed in the 决定书).
MEASURE_WEIGHTS = (("further_order", 30), ("penalty", 25), ("police_admonition", 20), ("court", 10), ("referral", 15))
MEASURE_WORDS = {
    "further_order": "控辍责",
    "penalty": "罚",
    "court": "执申",
    "police_admonition": "训诫",
    "referral": "移",
}
MEASURE_NOTES = {
    "further_order": ("再次书面责令监护人于五日内送子女返校复学", "约谈监护人，再次责令限期改正"),
    "penalty": (
        "给予警告，并责令你于收到本决定书之日起五日内送子女返校复学。",
        "处以罚款二百元，并责令你立即送子女返校复学。",
    ),
    "court": ("向县人民法院申请强制执行限期复学通知书",),
    "police_admonition": ("商请派出所对监护人予以训诫", "派出所民警会同村干部上门训诫监护人"),
    "referral": ("移送县教育和体育局依法处理", "移送县民政局，督促落实监护责任"),
}
# Who confirmed a returned child's first week at school (the proof of a stable return).
ATTENDANCE_CONFIRMERS = (
    "班主任王老师",
    "班主任李老师",
    "班主任张老师",
    "教导主任陈老师",
    "班主任刘老师",
    "年级组长杨老师",
)
# Why the township sent a closure request (销号) back.
CLOSURE_REFUSALS = (
    "返校第一周出勤记录未经班主任签字确认，请补充后重新申请。",
    "返校后第三次巩固回访记录不完整，请补记后重新申请。",
    "出勤天数与学校考勤表不一致，请核实后重新申请。",
)
