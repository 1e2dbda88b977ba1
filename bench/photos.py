"""Generate photo-like 24-megapixel JPEGs: soft shapes, gradients and grain, with EXIF."""

import random
import sys
from pathlib import Path

from PIL import ExifTags, Image, ImageChops, ImageDraw, ImageFilter

SIZE = (6000, 4000)


def make_photo(seed: int, path: Path, size: tuple[int, int] = SIZE) -> Path:
    """Draw a scene small, enlarge it smoothly and add sensor-like grain: encoders
    work on it as on a photo (a flat colour would flatter every one of them)."""
    rng = random.Random(seed)
    small_size = (size[0] // 10, size[1] // 10)
    scene = Image.linear_gradient("L").resize(small_size).convert("RGB")
    scene = ImageChops.multiply(scene, Image.new("RGB", small_size, _colour(rng)))
    scene = ImageChops.screen(scene, Image.new("RGB", small_size, _colour(rng, dark=True)))
    draw = ImageDraw.Draw(scene)
    for _ in range(60):
        x, y = rng.uniform(0, small_size[0]), rng.uniform(0, small_size[1])
        radius = rng.uniform(4, small_size[1] / 4)
        draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=_colour(rng))
    for _ in range(8):
        points = [(rng.uniform(0, small_size[0]), rng.uniform(0, small_size[1])) for _ in range(5)]
        draw.polygon(points, fill=_colour(rng, dark=True))
    scene = scene.filter(ImageFilter.GaussianBlur(2.5))
    image = scene.resize(size, Image.Resampling.BICUBIC)
    # Fine detail: sensor-like grain, two pixels wide, about ±12 levels per channel.
    grain_size = (size[0] // 2, size[1] // 2)
    strength = rng.randint(10, 14)
    grain = Image.frombytes("RGB", grain_size, rng.randbytes(grain_size[0] * grain_size[1] * 3))
    grain = grain.point([128 + (level - 128) * strength // 128 for level in range(256)] * 3)
    grain = grain.resize(size, Image.Resampling.NEAREST)
    image = ImageChops.add(image, grain, scale=1.0, offset=-128)
    # Texture at the scale renditions keep (foliage, fabric, stone): soft blotches.
    texture_size = (size[0] // 6, size[1] // 6)
    texture = Image.frombytes("L", texture_size, rng.randbytes(texture_size[0] * texture_size[1]))
    texture = texture.point([128 + (level - 128) * 40 // 128 for level in range(256)])
    texture = texture.resize(size, Image.Resampling.BILINEAR).convert("RGB")
    image = ImageChops.add(image, texture, scale=1.0, offset=-128)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Bench Camera Co."
    exif[ExifTags.Base.Model] = "Model 24"
    exif[ExifTags.Base.Orientation] = 1
    exif[ExifTags.Base.DateTime] = "2026:01:01 12:00:00"
    image.save(path, "JPEG", quality=90, exif=exif.tobytes())
    return path


def _colour(rng: random.Random, dark: bool = False) -> tuple[int, int, int]:
    top = 140 if dark else 255
    return tuple(rng.randint(20, top) for _ in range(3))


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    for seed in map(int, sys.argv[2:]):
        make_photo(seed, folder / f"photo{seed:02}.jpg")
