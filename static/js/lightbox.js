// The project page's lightbox: a <dialog> showing one picture large.
// Links marked data-lightbox point at the original file, so without JavaScript
// a click simply opens it; data-large names the rendition the dialog shows. Arrow keys move, Escape closes (the dialog's own).
(() => {
  "use strict";

  const dialog = document.getElementById("lightbox");
  if (!dialog) return;

  const image = dialog.querySelector(".lightbox-image");
  const caption = dialog.querySelector(".lightbox-caption");
  const position = dialog.querySelector(".lightbox-position");
  const original = dialog.querySelector(".lightbox-original");
  let links = [];
  let current = 0;

  // Collected on every open, so pictures added by htmx take part too.
  function pictureLinks() {
    return Array.from(document.querySelectorAll("a[data-lightbox]"));
  }

  function show(index) {
    current = (index + links.length) % links.length;
    const link = links[current];
    const thumbnail = link.querySelector("img");
    // The largest rendition to look at; the link's own href is the original file.
    image.src = link.dataset.large || link.href;
    if (original) original.href = link.href;
    image.alt = thumbnail ? thumbnail.alt : "";
    caption.textContent = link.dataset.caption || "";
    position.textContent = `${current + 1} / ${links.length}`;
    // For others that act on the picture shown (static/js/proofing.js: its heart).
    dialog.dispatchEvent(new CustomEvent("lightbox:show", { detail: { link } }));
    preloadNeighbours();
  }

  // Fetch the pictures either side now, so the next arrow key shows one at once.
  function preloadNeighbours() {
    if (links.length < 2) return;
    for (const step of [1, -1]) {
      const link = links[(current + step + links.length) % links.length];
      new Image().src = link.dataset.large || link.href;
    }
  }

  function open(link) {
    links = pictureLinks();
    show(links.indexOf(link));
    if (!dialog.open) dialog.showModal();
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-lightbox]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    open(link);
  });

  dialog.querySelector(".lightbox-previous").addEventListener("click", () => show(current - 1));
  dialog.querySelector(".lightbox-next").addEventListener("click", () => show(current + 1));

  dialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight") {
      event.preventDefault();
      show(current + 1);
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      show(current - 1);
    }
  });

  // A click on the backdrop (outside the picture and buttons) closes, as people expect.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });

  dialog.addEventListener("close", () => {
    image.removeAttribute("src");
    const link = links[current];
    if (link) link.focus();
  });
})();
