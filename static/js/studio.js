// The owner's picture grid: drag a picture to its new place (mouse or touch), or click it
// while its Focus editor is open to set the point every crop keeps in frame. Each is one
// htmx request; the move buttons and the focus form do the same without JavaScript.
(() => {
  "use strict";

  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");
  // After a drop the browser still sends a click to the picture: it must not open the lightbox.
  let droppedAt = 0;

  // Dropped at index i of the grid, a picture goes to position i: only where the grid starts at
  // the first picture (not on a later step's page).
  function makeSortable(grid) {
    if (!grid || !grid.hasAttribute("data-from-the-start")) return;
    if (!window.Sortable || window.Sortable.get(grid)) return;
    window.Sortable.create(grid, {
      draggable: ".picture",
      // Its tools are for clicking and typing, not for picking the picture up.
      filter: ".picture-tools",
      preventOnFilter: false,
      // Pointer events rather than the browser's drag and drop: the same on touch screens.
      forceFallback: true,
      // On a touch screen a picture is picked up by holding it: a quick swipe still scrolls.
      delayOnTouchOnly: true,
      delay: 200,
      animation: reducedMotion.matches ? 0 : 150,
      ghostClass: "is-drag-ghost",
      chosenClass: "is-drag-chosen",
      onEnd(event) {
        droppedAt = Date.now();
        if (event.oldDraggableIndex === event.newDraggableIndex) return;
        const item = event.item;
        const next = item.querySelector("input[name='next']");
        // The answer puts it back where the server placed it (or takes it away, past the
        // pictures loaded): the item Sortable moved goes.
        window.htmx.ajax("POST", item.dataset.moveTo, {
          source: item,
          target: item,
          swap: "delete",
          values: { position: event.newDraggableIndex, next: next ? next.value : "" },
        });
      },
    });
  }

  document.addEventListener(
    "click",
    (event) => {
      const frame = event.target.closest(".is-editable .picture-frame");
      if (!frame) return;
      if (Date.now() - droppedAt < 400) {
        event.preventDefault();
        event.stopPropagation();
        return;
      }
      const form = frame.closest(".picture").querySelector(".focal-editor[open] form");
      if (!form) return;
      // Captured before the lightbox sees the click: this one sets the focal point.
      event.preventDefault();
      event.stopPropagation();
      // The frame: the image's box, also while it waits (cover_first.js) or is being prepared.
      const box = frame.getBoundingClientRect();
      const across = Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1);
      const down = Math.min(Math.max((event.clientY - box.top) / box.height, 0), 1);
      form.elements.focal_x.value = across.toFixed(2);
      form.elements.focal_y.value = down.toFixed(2);
      form.requestSubmit();
    },
    true,
  );

  // htmx carries a swapped element's style attribute over to its replacement, which the CSP
  // refuses: the ones SortableJS leaves on the pictures go before the grid is swapped.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const grid = document.getElementById("picture-grid");
    if (!grid || !grid.contains(event.detail.target)) return;
    for (const styled of grid.querySelectorAll("[style]")) styled.removeAttribute("style");
  });

  // Every change the tools post says what the page shows of the grid, so that the answer
  // touches only that (views/studio.py, ShownGrid): through the picture its More link names
  // (the step's cursor), or every picture ("").
  document.addEventListener("htmx:configRequest", (event) => {
    const grid = document.getElementById("picture-grid");
    if (event.detail.verb !== "post" || !grid || !grid.contains(event.detail.elt)) return;
    if (!grid.hasAttribute("data-from-the-start")) return;
    const more = grid.querySelector(".steps-more a");
    const cursor = more ? new URL(more.href).searchParams.get("after") : "";
    event.detail.parameters.shown_through = cursor;
  });

  // A picture uploaded here is added at the grid's end; the step that holds it, loaded later,
  // brings it again at its place: the copy goes.
  document.addEventListener("htmx:load", (event) => {
    const item = event.target;
    if (!item.classList || !item.classList.contains("picture") || !item.id) return;
    for (const other of document.querySelectorAll(`[id="${item.id}"]`)) {
      if (other !== item) other.remove();
    }
  });

  makeSortable(document.getElementById("picture-grid"));
  // htmx swaps the whole grid after every change: the new one is made sortable again.
  document.addEventListener("htmx:load", (event) => {
    const grid = event.target.id === "picture-grid" ? event.target : null;
    makeSortable(grid || document.getElementById("picture-grid"));
  });
})();
