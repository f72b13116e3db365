"""The tables. Schema changes go through dropout/migrations, never create_tables()."""
from datetime import datetime, timezone

from flask_login import UserMixin
from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from .db import database


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Township(BaseModel):
    name = CharField(unique=True)
    notice_prefix = CharField(default="")
    created_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.name


class Village(BaseModel):
    township = ForeignKeyField(Township, backref="villages", on_delete="RESTRICT")
    name = CharField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("township", "name"), True),)

    def __str__(self):
        return self.name


class School(BaseModel):
    township = ForeignKeyField(Township, backref="schools", on_delete="RESTRICT")
    name = CharField(unique=True)
    kind = CharField()
    created_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.name


class User(UserMixin, BaseModel):
    username = CharField(unique=True)
    password_hash = CharField()
    full_name = CharField(default="")
    role = CharField()
    township = ForeignKeyField(Township, null=True, on_delete="RESTRICT")
    school = ForeignKeyField(School, null=True, on_delete="RESTRICT")
    village = ForeignKeyField(Village, null=True, on_delete="RESTRICT")
    is_active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)

    class Meta:
        table_name = "app_user"

    def __str__(self):
        return self.full_name or self.username

    @property
    def can_write_places(self):
        return self.role == "admin"

    @property
    def can_read_places(self):
        return self.role in ("admin", "bureau")

    @property
    def can_edit_children(self):
        return self.role != "bureau"

    @property
    def can_delete_children(self):
        return self.role == "admin"

    @property
    def can_assign_teacher(self):
        return self.role in ("admin", "township")

    @property
    def place(self):
        """The township, school or village the account is bound to (None for county roles)."""
        return self.township or self.school or self.village


class Child(BaseModel):
    name = CharField(index=True)
    sex = CharField(max_length=1)
    id_number = CharField(max_length=18, null=True, unique=True)
    birth_on = DateField(index=True)
    ethnicity = CharField(default="")
    village = ForeignKeyField(Village, backref="children", on_delete="RESTRICT")
    group = CharField(column_name="village_group", default="")
    address = CharField(default="")
    school = ForeignKeyField(School, null=True, backref="children", on_delete="RESTRICT")
    grade = IntegerField(null=True)
    student_number = CharField(null=True, index=True)
    status = CharField(index=True, default="enrolled")
    is_poor = BooleanField(default=False)
    is_left_behind = BooleanField(default=False)
    is_migrant = BooleanField(default=False)
    disability_category = CharField(null=True)
    disability_grade = IntegerField(null=True)
    is_orphan = BooleanField(default=False)
    notes = TextField(default="")
    responsible_teacher = ForeignKeyField(User, null=True, backref="assigned_children", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.name


class Guardian(BaseModel):
    child = ForeignKeyField(Child, backref="guardians", on_delete="CASCADE")
    name = CharField()
    relation = CharField(default="")
    phone = CharField(default="")
    id_number = CharField(max_length=18, null=True)


class AuditLog(BaseModel):
    """Append-only: database triggers refuse UPDATE and DELETE (migration 0002)."""

    at = DateTimeField(default=utcnow, index=True)
    user = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    username = CharField(default="")
    action = CharField()
    entity = CharField()
    entity_id = IntegerField(null=True)
    child_id = IntegerField(null=True, index=True)
    before = TextField(null=True)
    after = TextField(null=True)
    reason = TextField(default="")


class LoginFailure(BaseModel):
    """Failed logins, shared by every worker process through the database."""

    key = CharField(index=True)
    at = DateTimeField(default=utcnow)


class SchemaMigration(BaseModel):
    version = IntegerField(primary_key=True)
    name = CharField()
    applied_at = DateTimeField(default=utcnow)
