// Cover first: on a page that opens on its cover (_project_hero.html), the grid's pictures
// wait until the cover has been painted, so that on a slow link they do not share its
// bandwidth. While the header says .cover-first, site.css keeps them (all lazy) out of the
// layout, which Chrome and Safari then do not fetch; without script nothing waits.
(() => {
  "use strict";

  const header = document.querySelector(".cover-first");
  if (!header) return;
  const cover = header.querySelector("img");
  // A frame after the one that paints the cover.
  const release = () =>
    requestAnimationFrame(() =>
      requestAnimationFrame(() => header.classList.remove("cover-first")),
    );
  if (!cover || cover.complete) {
    release();
  } else {
    cover.addEventListener("load", release, { once: true });
    cover.addEventListener("error", release, { once: true });
  }
})();
