"""PostgreSQL guards the ledger itself: balanced legs per currency, no edits, no deletes.

The checks live in the database so that even raw SQL cannot write an unbalanced
transaction or change history; corrections are reversing transactions. SQLite
(the embedded demo database) has no such triggers; production runs PostgreSQL.
"""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION coop_ledger_check_balance() RETURNS trigger AS $$
DECLARE
    txn bigint := COALESCE(NEW.transaction_id, OLD.transaction_id);
    bad record;
BEGIN
    SELECT currency, SUM(amount) AS total INTO bad
      FROM pooling_ledgerentry WHERE transaction_id = txn
     GROUP BY currency HAVING SUM(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: legs sum to %',
            txn, bad.currency, bad.total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_entries_balance
    AFTER INSERT OR UPDATE ON pooling_ledgerentry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION coop_ledger_check_balance();

CREATE OR REPLACE FUNCTION coop_ledger_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are immutable (%): post a reversing transaction instead',
        TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE OR DELETE ON pooling_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION coop_ledger_immutable();
CREATE TRIGGER ledger_transaction_immutable BEFORE UPDATE OR DELETE ON pooling_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION coop_ledger_immutable();
"""

REMOVE = """
DROP TRIGGER IF EXISTS ledger_transaction_immutable ON pooling_ledgertransaction;
DROP TRIGGER IF EXISTS ledger_entry_immutable ON pooling_ledgerentry;
DROP TRIGGER IF EXISTS ledger_entries_balance ON pooling_ledgerentry;
DROP FUNCTION IF EXISTS coop_ledger_immutable();
DROP FUNCTION IF EXISTS coop_ledger_check_balance();
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
    dependencies = [("pooling", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
