from django.db import migrations, models


def make_the_row(apps, schema_editor):
    """A fresh install starts with the defaults, so no page ever writes to make them."""
    apps.get_model("portfolio", "SiteIdentity").objects.using(
        schema_editor.connection.alias
    ).get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0009_picture_card"),
    ]

    operations = [
        migrations.CreateModel(
            name="SiteIdentity",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(default="Portfolio", max_length=100)),
                (
                    "tagline",
                    models.CharField(
                        blank=True, default="Photography and design projects.", max_length=200
                    ),
                ),
                (
                    "about",
                    models.TextField(
                        blank=True,
                        default="This portfolio shows photography and design projects.",
                        help_text="The about page's text; blank lines separate paragraphs.",
                    ),
                ),
                (
                    "email",
                    models.EmailField(
                        blank=True,
                        help_text="Shown on the about page and in the footer.",
                        max_length=254,
                    ),
                ),
                ("instagram_url", models.URLField(blank=True, verbose_name="Instagram URL")),
                ("website_url", models.URLField(blank=True, verbose_name="website URL")),
                (
                    "credit",
                    models.CharField(
                        blank=True,
                        default="Pictures belong to their authors.",
                        max_length=200,
                        verbose_name="footer credit line",
                    ),
                ),
            ],
            options={
                "verbose_name": "site identity",
                "verbose_name_plural": "site identity",
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="one_site_identity")
                ],
            },
        ),
        migrations.RunPython(make_the_row, migrations.RunPython.noop),
    ]
