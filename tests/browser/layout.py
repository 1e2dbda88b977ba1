"""What a page's images tell the browser about their layout, read in the page."""

from playwright.sync_api import Locator

# The entry of the image's sizes attribute whose media condition holds (or the last one),
# its length measured by giving it to an element as its width.
_SIZES_WIDTH = """image => {
    const entries = [""];
    let depth = 0;
    for (const character of image.sizes) {  // Split at the commas outside min() or calc().
        depth += character === "(" ? 1 : character === ")" ? -1 : 0;
        if (character === "," && depth === 0) entries.push("");
        else entries[entries.length - 1] += character;
    }
    const [chosen] = entries.map(entry => entry.trim()).filter(entry => {
        const media = entry.match(/^(\\(.+?\\))\\s/);
        return !media || matchMedia(media[1]).matches;
    });
    const probe = document.createElement("div");
    probe.style.width = chosen.replace(/^\\(.+?\\)\\s/, "");
    document.body.append(probe);
    const width = probe.getBoundingClientRect().width;
    probe.remove();
    return width;
}"""


def sizes_width(image: Locator) -> float:
    """The width in CSS pixels the image's sizes attribute gives the browser to pick by."""
    return image.evaluate(_SIZES_WIDTH)
