"""Roster import: place names as a roster writes them, to the ids of townships, villages and schools,
and whether a child living and at school there is the importer's. Read once per import."""

from flask_babel import gettext as _

from ..choices import PLACE_KINDS
from ..models import School, Township, Village


def _place_key(name):
    return "".join(str(name).split())


class _PlaceKeys(dict):
    """Place names as written, to lookup keys; a roster repeats the same few names on every row."""

    def __missing__(self, name):
        self[name] = key = _place_key(name)
        return key


class RosterPlaces:
    """The county's townships, villages and schools by name, and the importing user's part of them."""

    def __init__(self, user):
        self.county_wide, self.own_township = user.role != "township", user.township_id
        self.townships = {_place_key(t.name): t.id for t in Township.select()}
        self.villages, self.village_names, self.village_township = {}, {}, {}
        for village in Village.select():
            key = _place_key(village.name)
            self.villages[village.township_id, key] = village.id
            self.village_names.setdefault(key, []).append(village.id)
            self.village_township[village.id] = village.township_id
        self.schools = {_place_key(s.name): (s.id, s.township_id) for s in School.select()}
        self.school_township = dict(self.schools.values())
        self.keys = _PlaceKeys()

    def resolve(self, given, errors):
        """Township, village and school names to ids; a village is looked for in its township."""
        town, village, school = given.pop("township", None), given.pop("village", None), given.pop("school", None)
        town_id = None
        if town is not None:
            town_id = self.townships.get(self.keys[town])
            if town_id is None:
                errors["township"] = _("Unknown %(place)s: %(name)s", place=PLACE_KINDS["township"], name=town)
        if village is not None and "township" not in errors:
            key = self.keys[village]
            if town_id is not None:
                found = [self.villages[town_id, key]] if (town_id, key) in self.villages else []
            else:
                found = self.village_names.get(key, [])
            if len(found) == 1:
                given["village"] = found[0]
            elif not found:
                errors["village"] = _(
                    "Unknown %(place)s: %(name)s", place=PLACE_KINDS["village"], name=(town or "") + village
                )
            else:
                errors["village"] = _("Several villages are called %(name)s; fill in the township.", name=village)
        if school is not None:
            found = self.schools.get(self.keys[school])
            if found is None:
                errors["school"] = _("Unknown %(place)s: %(name)s", place=PLACE_KINDS["school"], name=school)
            else:
                given["school"] = found[0]

    def in_scope(self, village_id, school_id):
        """Whether a child living and at school there is the importer's: scope.in_township, for the
        roles that import (the county roles see every child)."""
        if self.county_wide:
            return True
        own = self.own_township
        return self.village_township.get(village_id) == own or self.school_township.get(school_id) == own
