"""
How the site is shared and found: link previews (OpenGraph, Twitter cards, the canonical
address) in previews.py, the JSON-LD of project and picture pages in json_ld.py, the sitemap
in sitemaps.py and the Atom feed of new projects in feeds.py.

Only public projects appear, and only through their public URLs (portfolio/access.py's PUBLIC
grant, whoever is looking): nothing unlisted or private, never an original. Everything here
is built from rows the page already loaded, so it adds no query per picture, and from the
site's identity as its templates read it, once a request (SiteIdentity.for_request).
"""
