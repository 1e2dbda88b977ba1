"""
Once made a content-version table and triggers that bumped it; migration 0004 drops them on
databases that have them. Kept, empty, so the migrations already applied stay in order.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0002_picture_renditions"),
    ]

    operations = []
