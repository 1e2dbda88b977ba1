// A picture's own page (picture_detail.html): the arrow keys follow its rel=prev and rel=next
// links, as the lightbox's do, unless a key is meant for a field or comes with a modifier.
(() => {
  "use strict";

  const keys = { ArrowLeft: 'a[rel="prev"]', ArrowRight: 'a[rel="next"]' };

  document.addEventListener("keydown", (event) => {
    const selector = keys[event.key];
    if (!selector || event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    const link = document.querySelector(`.picture-pager ${selector}`);
    if (!link) return;
    event.preventDefault();
    link.click();
  });
})();
