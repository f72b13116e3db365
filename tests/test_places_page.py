"""The places page and forms head a place's name as 名称 (乡镇名称, 村（社区）名称, 学校名称), never 姓名, and its
counts as counts."""

from conftest import login


def test_places_are_headed_by_name_of_place_and_counts(client, make_user, make_village, make_school):
    make_village(name="东村")
    make_school(name="东村小学")
    login(client, make_user("admin"))
    page = client.get("/places/").get_data(as_text=True)
    for heading in ("乡镇名称", "村（社区）数", "村（社区）名称", "儿童数", "学校名称"):
        assert f"<th>{heading}</th>" in page
    assert "姓名" not in page
    for kind, label in (("township", "乡镇名称"), ("village", "村（社区）名称"), ("school", "学校名称")):
        form = client.get(f"/places/{kind}/new").get_data(as_text=True)
        assert label in form and "姓名" not in form
