from django.db import migrations


def drop_member_lines(apps, schema_editor):
    """Reasons keep the pool's own lines; each member's figures are read from its row."""
    Pool = apps.get_model("pooling", "Pool")
    for pool in Pool.objects.filter(reasons__has_key="per_member").iterator():
        pool.reasons = {k: v for k, v in pool.reasons.items() if k != "per_member"}
        pool.save(update_fields=["reasons"])


class Migration(migrations.Migration):

    dependencies = [
        ("pooling", "0009_member_need_indexes_without_nulls"),
    ]

    operations = [
        migrations.RunPython(drop_member_lines, migrations.RunPython.noop),
    ]
