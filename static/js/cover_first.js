// Cover first: on a page that opens on its cover (_project_hero.html), the grid's pictures
// wait until the cover has been painted, so that on a slow link they do not share its
// bandwidth. While the header says .cover-first, site.css keeps them (all lazy) out of the
// layout, which Chrome and Safari then do not fetch; without script nothing waits. Four
// seconds at most, should the cover not come; a tab opened in the background paints no
// frame: nothing waits there.
(() => {
  "use strict";

  const header = document.querySelector(".cover-first");
  if (!header) return;
  const cover = header.querySelector("img");
  const lift = () => header.classList.remove("cover-first");
  // A frame after the one that paints the cover.
  const release = () => requestAnimationFrame(() => requestAnimationFrame(lift));
  setTimeout(lift, 4000);
  if (document.hidden) {
    lift();
  } else if (!cover || cover.complete) {
    release();
  } else {
    cover.addEventListener("load", release, { once: true });
    cover.addEventListener("error", release, { once: true });
  }
})();
