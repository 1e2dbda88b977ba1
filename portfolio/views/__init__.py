"""Views by audience: `public` for visitors, `studio` for owners, `system` for machines."""
