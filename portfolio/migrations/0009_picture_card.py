from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0008_metadata"),
    ]

    operations = [
        migrations.AddField(
            model_name="picture",
            name="card",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
    ]
