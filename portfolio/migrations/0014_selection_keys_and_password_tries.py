"""
A selection belongs to whoever started it (a key, kept hashed), no longer to whoever types its
name; a share link's password tries are counted per client address in a table of our own.

Selections made before get keys nobody knows: the browsers whose sessions hold them keep them
(the session keeps the selection's id, as before), and nobody else can reach them.
"""

import hashlib
import secrets

import django.db.models.deletion
from django.db import migrations, models


def give_each_selection_a_key_nobody_knows(apps, schema_editor):
    Selection = apps.get_model("portfolio", "Selection")
    for selection in Selection.objects.filter(key_hash="").only("pk"):
        key = secrets.token_urlsafe(16)  # Forgotten at once.
        selection.key_hash = hashlib.sha256(key.encode()).hexdigest()
        selection.save(update_fields=["key_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0013_originals"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="selection",
            name="selection_name_unique_per_link",
        ),
        migrations.AddField(
            model_name="selection",
            name="key_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(give_each_selection_a_key_nobody_knows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="selection",
            name="key_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
        migrations.CreateModel(
            name="PasswordTries",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("address", models.CharField(max_length=45)),
                ("count", models.PositiveIntegerField(default=0)),
                ("last_try", models.DateTimeField()),
                (
                    "link",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="password_tries",
                        to="portfolio.sharelink",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "password tries",
                "ordering": ["-last_try"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("link", "address"), name="password_tries_per_address"
                    )
                ],
            },
        ),
    ]
