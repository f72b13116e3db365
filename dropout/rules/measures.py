"""What follows a missed deadline, and the provision each measure rests on (pure; settings in, text out).

An order to correct rests on 义务教育法 Art. 58. A penalty, or an application to the court, needs a
provision the province has enacted (行政处罚法 Art. 38: a penalty without legal basis is void), so it is
offered only once the county has configured that provision. The others have no legal effect of their own.
"""

# Measures that are offered only with a configured provision, and the setting that holds it.
NEEDS_BASIS = {"penalty": "PENALTY_BASIS", "court": "COURT_BASIS"}
# Provisions printed beside the measures that need no configuration.
BUILT_IN_BASIS = {
    "further_order": "《中华人民共和国义务教育法》第五十八条",
    "police_admonition": "《中华人民共和国家庭教育促进法》第四十九条",
    "referral": "",
}
PENALTIES = ("warning", "fine")
PENALTY_WORDS = {"warning": "警告", "fine": "罚款"}


def basis(kind, config):
    """The provision that authorises the measure, or "" when none is configured or none is needed."""
    if kind in NEEDS_BASIS:
        return (config.get(NEEDS_BASIS[kind]) or "").strip()
    return BUILT_IN_BASIS.get(kind, "")


def available(kind, config):
    """Whether the measure may be chosen: always, unless it needs a provision that is not configured."""
    return kind not in NEEDS_BASIS or bool(basis(kind, config))


def penalties(config):
    """The penalties the configured provision provides: a warning, and a fine when a maximum is set."""
    if not basis("penalty", config):
        return ()
    return ("warning", "fine") if config.get("FINE_MAX", 0) > 0 else ("warning",)


def hearing_offered(penalty, fine_amount, config):
    """行政处罚法 Art. 63: a hearing for a large fine (the province's threshold); never for a warning."""
    return penalty == "fine" and (fine_amount or 0) >= config["HEARING_FINE_FROM"]


def penalty_text(penalty, fine_amount):
    """The penalty as printed: 给予警告, 处以罚款人民币200元."""
    return "给予警告" if penalty == "warning" else f"处以罚款人民币{fine_amount}元"
