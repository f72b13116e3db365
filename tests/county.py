"""A two-township county with one account per role, shared by the access tests."""

from dataclasses import dataclass

from conftest import PASSWORD_HASH, born_aged, valid_id

from dropout.db import database
from dropout.models import Child, Guardian, School, Township, User, Village

ROLES = ("admin", "bureau", "township", "teacher", "village")


@dataclass
class County:
    users: dict
    own: Child  # in township 1, village 1, school 1: inside every scoped account's area
    other: Child  # in township 2: outside the scoped accounts' areas
    assigned: Child  # in township 2, assigned to the teacher
    home_village: Village
    home_school: School


def build_county():
    with database.connection_context():
        t1 = Township.create(name="城关镇", notice_prefix="城关镇控辍通")
        t2 = Township.create(name="白马乡", notice_prefix="白马乡控辍通")
        v1 = Village.create(township=t1, name="东街社区")
        v2 = Village.create(township=t2, name="白马村")
        s1 = School.create(township=t1, name="城关镇中心小学", kind="primary")
        s2 = School.create(township=t2, name="白马乡中心小学", kind="primary")
        places = {"township": {"township": t1}, "teacher": {"school": s1}, "village": {"village": v1}}
        users = {
            role: User.create(username=role, password_hash=PASSWORD_HASH, role=role, **places.get(role, {}))
            for role in ROLES
        }

        def child(name, village, school, **kw):
            birth_on = born_aged(11, 5, 1)
            c = Child.create(
                name=name,
                sex="F",
                birth_on=birth_on,
                id_number=valid_id(birth_on, "F"),
                village=village,
                school=school,
                grade=5,
                **kw,
            )
            Guardian.create(child=c, name="监护人" + name, relation="母亲", phone="13900000000")
            return c

        own = child("李小红", v1, s1)
        other = child("王小芳", v2, s2)
        assigned = child("赵小燕", v2, s2, responsible_teacher=users["teacher"])
    return County(users, own, other, assigned, v1, s1)
