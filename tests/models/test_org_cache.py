"""Every process keeps the organisation tree in memory and rereads it when the tree's stamp in
`cache_generation` moves. A restore brings a backup's stamp back: it must never match a tree cached since."""

from __future__ import annotations

from sqlalchemy import delete, update

from models import db
from models.org import CacheGeneration, Organisation, bump_generation, generation
from tests.support.walk import org
from web.deps import store


def test_a_stamp_coming_back_with_a_restore_never_revives_a_cached_tree(app):
    with app.app_context():
        backup_stamp = generation(db.session.connection(), "organisation")
        added = Organisation(
            code="cp-s-synthetic-cache",
            name="Trường thử bộ đệm (tổng hợp)",
            short_name="Trường thử",
            kind="school",
            parent_id=org("cp-pgddt").id,
            synthetic=True,
        )
        db.session.add(added)
        db.session.commit()
        assert added.id in {o.id for o in store().orgs()}  # cached with the school, under a new stamp
        # restoring the earlier backup: the school is gone, the backup's stamp is back, and the restore stamps anew
        db.session.execute(delete(Organisation).where(Organisation.id == added.id))
        db.session.execute(
            update(CacheGeneration).where(CacheGeneration.name == "organisation").values(value=backup_stamp)
        )
        bump_generation(db.session.connection(), "organisation")
        db.session.commit()
        assert added.id not in {o.id for o in store().orgs()}
