import io
import math
import random

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from PIL import Image, ImageDraw, ImageFilter

from portfolio.models import Category, Picture, Project, Visibility

# Logins for trying the site on your own machine only: the README says so too.
DEMO_OWNER = ("demo-owner", "demo-owner-password")
DEMO_STAFF = ("demo-staff", "demo-staff-password")

CATEGORIES = ["Landscape", "Architecture", "Abstract", "Travel"]

# (title, category, published, picture count, palette of sky, land and sun colours)
PROJECTS = [
    ("Highland Mornings", "Landscape", True, 7, ((250, 196, 140), (52, 70, 88), (255, 240, 200))),
    ("Coastal Blue Hour", "Landscape", True, 6, ((38, 64, 120), (20, 30, 52), (230, 236, 255))),
    ("Desert Lines", "Travel", True, 5, ((245, 170, 110), (150, 80, 45), (255, 230, 170))),
    (
        "Concrete and Light",
        "Architecture",
        True,
        6,
        ((200, 205, 210), (70, 72, 78), (255, 255, 245)),
    ),
    ("Northern Nights", "Landscape", True, 5, ((18, 28, 60), (8, 12, 20), (170, 255, 210))),
    ("Colour Fields", "Abstract", True, 6, ((230, 90, 110), (60, 40, 110), (255, 210, 90))),
    ("Harbour Walks", "Travel", True, 5, ((150, 190, 220), (40, 60, 70), (255, 250, 230))),
    ("Work in Progress", "Abstract", False, 3, ((120, 160, 140), (30, 50, 40), (240, 240, 200))),
]


class Command(BaseCommand):
    help = "Create demo categories, accounts, projects and pictures (drawn locally). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has a project.",
        )

    def handle(self, *args, if_empty: bool = False, **options) -> None:
        if if_empty and Project.objects.exists():
            self.stdout.write("Projects exist already: no demo content added.")
            return
        owner = self._user(*DEMO_OWNER, is_staff=False)
        self._user(*DEMO_STAFF, is_staff=True)
        categories = {
            name: Category.objects.get_or_create(name=name, defaults={"slug": name.lower()})[0]
            for name in CATEGORIES
        }
        created = 0
        for index, (title, category, published, count, palette) in enumerate(PROJECTS):
            if Project.objects.filter(title=title, owner=owner).exists():
                continue
            with transaction.atomic():
                project = Project.objects.create(
                    owner=owner,
                    title=title,
                    category=categories[category],
                    visibility=Visibility.PUBLIC if published else Visibility.PRIVATE,
                    description=f"{title}: a demo project drawn by the seed_demo command.",
                )
                for number in range(count):
                    seed = index * 100 + number
                    picture = Picture(
                        project=project,
                        caption=f"{title}, study {number + 1}",
                        original_filename=f"demo-{seed}.jpg",
                    )
                    photo = draw_landscape(seed, palette)
                    picture.photo.save(photo.name, photo, save=True)
            created += 1
        self.stdout.write(self.style.SUCCESS(f"Demo content ready ({created} projects added)."))

    def _user(self, username: str, password: str, *, is_staff: bool):
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"is_staff": is_staff, "is_superuser": is_staff, "email": ""},
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        return user


def draw_landscape(seed: int, palette) -> ContentFile:
    """Draw a layered landscape: a sky gradient, a sun and ridges receding into haze."""
    rng = random.Random(seed)
    sky, land, sun = palette
    width, height = (1600, 1067) if seed % 4 else (1067, 1600)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        blend = y / height
        draw.line([(0, y), (width, y)], fill=_mix(sky, _lighter(sky, 0.45), blend))
    sun_x, sun_y = rng.uniform(0.2, 0.8) * width, rng.uniform(0.15, 0.45) * height
    radius = rng.uniform(0.05, 0.1) * min(width, height)
    glow = Image.new("L", (width, height), 0)
    ImageDraw.Draw(glow).ellipse(
        [sun_x - radius * 2, sun_y - radius * 2, sun_x + radius * 2, sun_y + radius * 2], fill=120
    )
    image.paste(sun, mask=glow.filter(ImageFilter.GaussianBlur(radius)))
    draw.ellipse([sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius], fill=sun)
    ridges = 4
    for ridge in range(ridges):
        depth = (ridge + 1) / ridges
        base = height * (0.45 + 0.13 * ridge)
        amplitude = height * rng.uniform(0.04, 0.12)
        phase, frequency = rng.uniform(0, math.tau), rng.uniform(1.5, 4)
        points = [(0, height)]
        for x in range(0, width + 20, 20):
            wave = math.sin(x / width * frequency * math.pi + phase)
            ripple = math.sin(x / width * frequency * 5.3 + phase * 2) * 0.3
            points.append((x, base - amplitude * (wave + ripple)))
        points.append((width, height))
        draw.polygon(points, fill=_mix(_lighter(sky, 0.2), land, depth))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85, optimize=True)
    # ImageField reads width and height from the content it is given: it needs a name.
    return ContentFile(buffer.getvalue(), name=f"demo-{seed}.jpg")


def _mix(first, second, amount: float) -> tuple[int, int, int]:
    return tuple(round(a + (b - a) * amount) for a, b in zip(first, second, strict=True))


def _lighter(colour, amount: float) -> tuple[int, int, int]:
    return _mix(colour, (255, 255, 255), amount)
