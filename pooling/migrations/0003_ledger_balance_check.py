"""Check each ledger transaction's balance once per database transaction, not once per leg.

The balance check stays deferred to COMMIT (legs may be written in several statements),
but it no longer runs for every leg. An AFTER INSERT statement trigger notes the ledger
transactions a statement touched in `pooling_ledger_unchecked`; a deferred constraint
trigger on that table checks each noted ledger transaction once and removes the note.
A note that already exists is still waiting for its check, which will see every leg
written until then, so noting it again is skipped; once checked (at COMMIT or by
SET CONSTRAINTS ... IMMEDIATE) a later leg notes it again and is checked again.
Updates and deletes of ledger rows stay rejected by the immutability triggers.
"""

from django.db import migrations

INSTALL = """
DROP TRIGGER IF EXISTS ledger_entries_balance ON pooling_ledgerentry;

CREATE UNLOGGED TABLE IF NOT EXISTS pooling_ledger_unchecked (
    transaction_id bigint PRIMARY KEY
);

CREATE OR REPLACE FUNCTION coop_ledger_note_unchecked() RETURNS trigger AS $$
BEGIN
    INSERT INTO pooling_ledger_unchecked (transaction_id)
    SELECT DISTINCT transaction_id FROM touched
    ON CONFLICT (transaction_id) DO NOTHING;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION coop_ledger_check_noted() RETURNS trigger AS $$
DECLARE
    bad record;
BEGIN
    DELETE FROM pooling_ledger_unchecked WHERE transaction_id = NEW.transaction_id;
    SELECT currency, SUM(amount) AS total INTO bad
      FROM pooling_ledgerentry WHERE transaction_id = NEW.transaction_id
     GROUP BY currency HAVING SUM(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: legs sum to %',
            NEW.transaction_id, bad.currency, bad.total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entries_note_inserted
    AFTER INSERT ON pooling_ledgerentry
    REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION coop_ledger_note_unchecked();

CREATE TRIGGER ledger_entries_note_updated
    AFTER UPDATE ON pooling_ledgerentry
    REFERENCING NEW TABLE AS touched
    FOR EACH STATEMENT EXECUTE FUNCTION coop_ledger_note_unchecked();

CREATE CONSTRAINT TRIGGER ledger_entries_balance
    AFTER INSERT ON pooling_ledger_unchecked
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION coop_ledger_check_noted();
"""

REMOVE = """
DROP TRIGGER IF EXISTS ledger_entries_balance ON pooling_ledger_unchecked;
DROP TRIGGER IF EXISTS ledger_entries_note_updated ON pooling_ledgerentry;
DROP TRIGGER IF EXISTS ledger_entries_note_inserted ON pooling_ledgerentry;
DROP FUNCTION IF EXISTS coop_ledger_check_noted();
DROP FUNCTION IF EXISTS coop_ledger_note_unchecked();
DROP TABLE IF EXISTS pooling_ledger_unchecked;

CREATE CONSTRAINT TRIGGER ledger_entries_balance
    AFTER INSERT OR UPDATE ON pooling_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION coop_ledger_check_balance();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(INSTALL)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(REMOVE)


class Migration(migrations.Migration):
    dependencies = [("pooling", "0002_ledger_integrity")]

    operations = [migrations.RunPython(install, remove)]
