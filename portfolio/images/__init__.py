"""
Everything the site does with Pillow, one module per job: `gate` judges every file that
enters, `renditions` makes the sizes pages show and, from the same decode, each picture's
placeholder and link-preview card. Nothing here imports a model: these modules
take files and return files and facts.
"""

import pillow_heif

# HEIC/HEIF (what phones take) comes from libheif through pillow-heif's Pillow plugin.
pillow_heif.register_heif_opener()
