"""The scheduled jobs' page reads in the reader's language: job names and results (stored as JSON, or as the
English text of runs recorded before) in Chinese, and in English in the English interface."""

import pytest
from conftest import login

from dropout import job_results, jobs
from dropout.db import database
from dropout.models import JobRun, utcnow

DAILY = {
    "outcome": "counted",
    "notices_overdue": 0,
    "visits_due": 104,
    "to_confirm": 3,
    "followups_due": 2,
    "exemptions_expiring": 1,
    "task_results_deleted": 0,
}


@pytest.mark.parametrize(
    "stored, chinese, english",
    [
        (
            DAILY,
            "新逾期通知书 0 件；应家访 104 人；待确认疑似辍学 3 人；应巩固回访 2 人；即将到期的缓学/免学 1 件；"
            "清除过期的任务结果 0 个",
            "0 notices newly overdue; 104 children due a visit; 3 suspected cases to confirm; 2 follow-up visits due; "
            "1 exemptions expiring soon; 0 expired task results deleted",
        ),
        (jobs.outcome("archived", files=26), "写入 26 个文件", "26 files written"),
        (jobs.outcome("generated", units=153), "已生成 153 个单位的统计数据", "Figures generated for 153 units"),
        (jobs.outcome("locked", month="2026-10"), "未生成：2026-10 已锁定", "Not generated: 2026-10 is locked"),
        (jobs.outcome("done_before"), "此前已完成，未重复执行", "Done before; nothing was done again"),
        # Runs recorded before results were JSON read the same.
        ("26 files written", "写入 26 个文件", "26 files written"),
        ("generated: 153 units", "已生成 153 个单位的统计数据", "Figures generated for 153 units"),
        ("skipped: 2026-10 is locked", "未生成：2026-10 已锁定", "Not generated: 2026-10 is locked"),
        ("done before", "此前已完成，未重复执行", "Done before; nothing was done again"),
        ("notices_overdue=0 visits_due=104", "新逾期通知书 0 件；应家访 104 人", "0 notices newly overdue; 104"),
        ("skipped: the report archive is not available", "未写入：月报归档已关闭", "Not written: the report archive"),
        # What is not a result is shown as it is.
        ("something else", "something else", "something else"),
        ("", "", ""),
    ],
)
def test_results_are_worded_in_each_language(app, stored, chinese, english):
    with app.test_request_context():
        assert job_results.result_text(stored).startswith(chinese)
        assert job_results.in_english(stored).startswith(english)


def test_an_unknown_count_is_kept_as_it_was_stored(app):
    with app.test_request_context():
        stored = {"outcome": "counted", "visits_due": 1, "new_count": 2}
        assert job_results.result_text(stored) == "应家访 1 人；new_count=2"


def test_the_jobs_page_reads_in_chinese_and_in_english(client, make_user):
    with database.connection_context():
        now = utcnow()
        JobRun.create(job=jobs.DAILY, period="2026-12-04", started_at=now, finished_at=now, result='{"outcome": "x"}')
        JobRun.create(job=jobs.ARCHIVE, period="2026-11", started_at=now, finished_at=now, result="26 files written")
        jobs.run_job(jobs.DAILY, "2026-12-05", lambda: DAILY)
        JobRun.create(job=jobs.MONTHLY, period="2026-12", started_at=now, finished_at=now, error="interrupted")
    login(client, make_user("admin"))
    page = client.get("/reports/jobs").get_data(as_text=True)
    for text in ("每日任务", "月报归档", "月度统计", "写入 26 个文件", "新逾期通知书 0 件；应家访 104 人", "已中断"):
        assert text in page, text
    assert "files written" not in page and "visits_due" not in page and "interrupted" not in page
    assert '{"outcome": "x"}' in page.replace("&#34;", '"')  # an outcome it does not know, as stored
    client.get("/lang/en")
    page = client.get("/reports/jobs").get_data(as_text=True)
    for text in ("Daily job", "Monthly archive", "26 files written", "104 children due a visit", "Interrupted"):
        assert text in page, text
    assert "每日任务" not in page
