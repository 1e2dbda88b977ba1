// The project page's lightbox: a <dialog> showing one picture large.
// Links marked data-lightbox point at the picture's largest rendition, so without JavaScript
// a click simply opens it. Arrow keys and swipes move, Escape and Back close, pinch and
// double-tap (or + and -) zoom into the largest rendition, and a slideshow plays on request.
// The address names the open picture (#picture-<id>): such a link opens it on load, and Back
// closes it once the viewer has touched the page (see the end of this file).
// The grid comes in steps (portfolio/views/steps.py): past the last picture loaded, the
// lightbox loads the next step first; a link to a picture not loaded yet asks the page where
// it is, then loads the steps up to it when it is near, or opens the page at its step.
(() => {
  "use strict";

  const dialog = document.getElementById("lightbox");
  if (!dialog) return;

  const stage = dialog.querySelector(".lightbox-stage");
  const image = document.createElement("img");
  image.className = "lightbox-image";
  image.alt = "";
  stage.append(image);
  const caption = dialog.querySelector(".lightbox-caption");
  // The camera line (data-details), under the caption, where the project shows it.
  const details = document.createElement("span");
  details.className = "lightbox-details";
  const position = dialog.querySelector(".lightbox-position");
  const downloads = dialog.querySelector(".lightbox-downloads");
  const playButton = dialog.querySelector(".lightbox-play");
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  const SLIDE_MILLISECONDS = 5000;
  const MAX_SCALE = 4;
  const DOUBLE_TAP_SCALE = 2.5;
  const SWIPE_PIXELS = 50;
  const TAP_PIXELS = 10;
  const DOUBLE_TAP_MILLISECONDS = 300;
  // The lightbox fills the screen: the browser picks the rendition for that width.
  const SIZES = "92vw";

  let links = [];
  let current = 0;
  let loading = false;
  let slideTimer = null;
  let scale = 1;
  let panX = 0;
  let panY = 0;

  // Collected on every open, so pictures added by htmx take part too.
  function pictureLinks() {
    return Array.from(document.querySelectorAll("a[data-lightbox]"));
  }

  // Of the whole grid, loaded or not, where the page says where its pictures start: at the
  // first, or, on a later step's page (a link far down opens one), after data-first-place.
  function pictureCount() {
    const grid = document.getElementById("picture-grid");
    if (!grid) return links.length;
    if (!grid.hasAttribute("data-from-the-start") && !("firstPlace" in grid.dataset)) {
      return links.length;
    }
    return Math.max(Number(grid.dataset.pictureCount) || 0, firstPlace() + links.length);
  }

  // How many pictures come before the grid's first, where the page says so.
  function firstPlace() {
    const grid = document.getElementById("picture-grid");
    return (grid && Number(grid.dataset.firstPlace)) || 0;
  }

  // The next step's link (_step_more.html), while there is one.
  function moreLink() {
    return document.querySelector("#picture-grid .steps-more a");
  }

  // Load the next step; resolves true once its pictures are in the grid, false if it failed.
  // The link may be loading already (it came into view): htmx drops the second request, and
  // the first one's pictures are waited for all the same.
  function loadMore() {
    const more = moreLink();
    if (!more) return Promise.resolve(false);
    const item = more.closest("li");
    return new Promise((resolve) => {
      const done = (loaded) => {
        document.removeEventListener("htmx:load", loadedOne);
        more.removeEventListener("htmx:afterRequest", failed);
        resolve(loaded);
      };
      const loadedOne = () => {
        if (!item.isConnected) done(true);
      };
      const failed = (event) => {
        if (!event.detail.successful) done(false);
      };
      document.addEventListener("htmx:load", loadedOne);
      more.addEventListener("htmx:afterRequest", failed);
      window.htmx.trigger(more, "load-more");
    });
  }

  // Picture `index` of the grid, loading steps up to it; before the first, the last one only
  // once every step is in (the first step's pictures alone would make the end look near).
  async function goTo(index) {
    if (loading) return;
    loading = true;
    links = pictureLinks(); // Scrolling may have loaded steps meanwhile.
    try {
      while (index >= links.length && moreLink() && (await loadMore())) {
        links = pictureLinks();
      }
    } finally {
      loading = false;
    }
    if (index < 0 && moreLink()) return;
    show(index);
  }

  function hashOf(link) {
    const item = link.closest("[id^='picture-']");
    return item ? `#${item.id}` : "";
  }

  function show(index) {
    current = (index + links.length) % links.length;
    const link = links[current];
    const thumbnail = link.querySelector("img");
    resetZoom();
    setSource(image, link, thumbnail);
    image.alt = thumbnail ? thumbnail.alt : "";
    caption.textContent = link.dataset.caption || "";
    details.textContent = link.dataset.details || "";
    if (link.dataset.details) caption.append(details);
    position.textContent = `${firstPlace() + current + 1} / ${pictureCount()}`;
    showDownloads(link);
    if (slideTimer && !reducedMotion.matches) fadeIn();
    // The entry keeps its state: the lightbox's own, or, for a linked picture not yet touched,
    // the page's (see the end of this file).
    if (dialog.open) history.replaceState(history.state, "", hashOf(link));
    // For others that act on the picture shown (static/js/proofing.js: its heart).
    dialog.dispatchEvent(new CustomEvent("lightbox:show", { detail: { link } }));
    preloadNeighbours();
  }

  // The rendition that fits the screen, from the thumbnail's (or the link's, where the
  // thumbnail is the page's cover, whose srcset stops short of the largest); the largest
  // where there are none.
  function setSource(target, link, thumbnail) {
    const srcset = link.dataset.srcset || (thumbnail && thumbnail.srcset);
    if (srcset) {
      target.sizes = SIZES;
      target.srcset = srcset;
    } else {
      target.removeAttribute("srcset");
    }
    target.src = link.dataset.large || link.href;
  }

  // The grid lists the sizes this viewer may download under each picture (the server decided
  // which): the same links, labelled for the lightbox, their hidden words naming the picture.
  function showDownloads(link) {
    const item = link.closest("li");
    const sources = item ? item.querySelectorAll(".picture-downloads a[download]") : [];
    downloads.replaceChildren(
      ...Array.from(sources, (source) => {
        const copy = source.cloneNode(true);
        const original = new URL(copy.href).searchParams.get("size") === "original";
        copy.firstChild.textContent = original ? "Download original" : "Download web size";
        return copy;
      }),
    );
  }

  // Fetch the pictures either side now, so the next swipe or slide shows one at once.
  function preloadNeighbours() {
    if (links.length < 2) return;
    for (const step of [1, -1]) {
      const link = links[(current + step + links.length) % links.length];
      setSource(new Image(), link, link.querySelector("img"));
    }
  }

  function open(link, { addToHistory = true } = {}) {
    links = pictureLinks();
    const index = links.indexOf(link);
    if (index < 0) return;
    if (!dialog.open) {
      // Back closes the lightbox: opening it adds the entry that Back leaves.
      if (addToHistory) history.pushState({ lightbox: true }, "", hashOf(link));
      dialog.showModal();
      // Opened as the page loads (a link to a picture), Chromium leaves the focus on the page.
      if (!dialog.contains(document.activeElement)) dialog.querySelector("[autofocus]").focus();
    }
    show(index);
  }

  function linkForHash() {
    const match = /^#picture-\d+$/.exec(window.location.hash);
    const item = match && document.getElementById(match[0].slice(1));
    return item ? item.querySelector("a[data-lightbox]") : null;
  }

  // Zoom ---------------------------------------------------------------------------------

  // To `next` times, keeping the point under (clientX, clientY) where it is.
  function zoomTo(next, clientX, clientY) {
    next = Math.min(Math.max(next, 1), MAX_SCALE);
    const box = image.getBoundingClientRect();
    const offsetX = clientX - (box.left + box.width / 2);
    const offsetY = clientY - (box.top + box.height / 2);
    const ratio = next / scale;
    panX += offsetX - offsetX * ratio;
    panY += offsetY - offsetY * ratio;
    scale = next;
    if (scale === 1) panX = panY = 0;
    applyTransform();
    // Looking closer deserves more pixels: the largest rendition, whatever fits the screen.
    if (scale > 1 && image.hasAttribute("srcset")) image.removeAttribute("srcset");
    if (scale > 1) pause();
  }

  function zoomAtCentre(next) {
    const box = stage.getBoundingClientRect();
    zoomTo(next, box.left + box.width / 2, box.top + box.height / 2);
  }

  function resetZoom() {
    scale = 1;
    panX = panY = 0;
    applyTransform();
  }

  // From this script, not a style attribute: the CSP allows it.
  function applyTransform(swipeX = 0) {
    if (scale === 1 && swipeX === 0) {
      image.style.transform = "";
    } else if (scale === 1) {
      image.style.transform = `translateX(${swipeX}px)`;
    } else {
      image.style.transform = `translate(${panX}px, ${panY}px) scale(${scale})`;
    }
    dialog.classList.toggle("is-zoomed", scale > 1);
  }

  // Touch, pen and mouse: one finger swipes (or pans a zoomed picture), two pinch. --------

  const pointers = new Map();
  let gesture = null;
  let lastTap = null;

  function distance(first, second) {
    return Math.hypot(first.x - second.x, first.y - second.y);
  }

  function startGesture() {
    const [first, second] = pointers.values();
    if (second) {
      gesture = { kind: "pinch", distance: distance(first, second) || 1, scale };
    } else {
      gesture = { kind: "drag", x: first.x, y: first.y, panX, panY, time: Date.now() };
    }
  }

  stage.addEventListener("pointerdown", (event) => {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    stage.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pointers.size <= 2) startGesture();
  });

  stage.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId) || !gesture) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (gesture.kind === "pinch" && pointers.size >= 2) {
      const [first, second] = pointers.values();
      const middleX = (first.x + second.x) / 2;
      const middleY = (first.y + second.y) / 2;
      zoomTo((gesture.scale * distance(first, second)) / gesture.distance, middleX, middleY);
    } else if (gesture.kind === "drag") {
      const moveX = event.clientX - gesture.x;
      if (scale > 1) {
        panX = gesture.panX + moveX;
        panY = gesture.panY + (event.clientY - gesture.y);
        applyTransform();
      } else {
        applyTransform(moveX);
      }
    }
  });

  function endPointer(event) {
    if (!pointers.has(event.pointerId)) return;
    pointers.delete(event.pointerId);
    const ended = gesture;
    if (pointers.size > 0) {
      // One finger of a pinch lifted: the other neither swipes nor taps.
      gesture = { kind: "rest" };
      return;
    }
    gesture = null;
    if (!ended || ended.kind !== "drag" || event.type === "pointercancel") {
      if (scale < 1.05) resetZoom();
      return;
    }
    const moveX = event.clientX - ended.x;
    const moveY = event.clientY - ended.y;
    if (scale === 1 && Math.abs(moveX) > SWIPE_PIXELS && Math.abs(moveX) > Math.abs(moveY)) {
      lastTap = null;
      step(moveX < 0 ? 1 : -1);
      return;
    }
    if (scale === 1) applyTransform();
    if (Math.hypot(moveX, moveY) < TAP_PIXELS && Date.now() - ended.time < DOUBLE_TAP_MILLISECONDS) {
      tapped(event);
    }
  }

  function tapped(event) {
    const now = Date.now();
    const isDouble =
      lastTap &&
      now - lastTap.time < DOUBLE_TAP_MILLISECONDS &&
      Math.hypot(event.clientX - lastTap.x, event.clientY - lastTap.y) < TAP_PIXELS * 3;
    if (!isDouble) {
      lastTap = { time: now, x: event.clientX, y: event.clientY };
      return;
    }
    lastTap = null;
    if (scale > 1) resetZoom();
    else zoomTo(DOUBLE_TAP_SCALE, event.clientX, event.clientY);
  }

  stage.addEventListener("pointerup", endPointer);
  stage.addEventListener("pointercancel", endPointer);

  // Slideshow --------------------------------------------------------------------------------

  function play() {
    playButton.setAttribute("aria-pressed", "true");
    playButton.firstElementChild.textContent = "❚❚";
    // Announcing every slide would talk over everything else.
    position.setAttribute("aria-live", "off");
    scheduleSlide();
  }

  function pause() {
    if (!slideTimer) return;
    window.clearTimeout(slideTimer);
    slideTimer = null;
    playButton.setAttribute("aria-pressed", "false");
    playButton.firstElementChild.textContent = "▶";
    position.setAttribute("aria-live", "polite");
  }

  function scheduleSlide() {
    window.clearTimeout(slideTimer);
    slideTimer = window.setTimeout(async () => {
      await goTo(current + 1);
      if (slideTimer) scheduleSlide();
    }, SLIDE_MILLISECONDS);
  }

  // A gentle fade between slides, and none at all for people who asked for less motion.
  function fadeIn() {
    image.classList.remove("is-fading-in");
    void image.offsetWidth; // Restarts the animation.
    image.classList.add("is-fading-in");
  }

  // Moving by hand while playing waits a whole slide before the next.
  async function step(offset) {
    await goTo(current + offset);
    if (slideTimer) scheduleSlide();
  }

  playButton.addEventListener("click", () => (slideTimer ? pause() : play()));

  // Opening, moving, closing -----------------------------------------------------------------

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-lightbox]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    open(link);
  });

  dialog.querySelector(".lightbox-previous").addEventListener("click", () => step(-1));
  dialog.querySelector(".lightbox-next").addEventListener("click", () => step(1));

  dialog.addEventListener("keydown", (event) => {
    const actions = {
      ArrowRight: () => step(1),
      ArrowLeft: () => step(-1),
      "+": () => zoomAtCentre(scale * 1.5),
      "=": () => zoomAtCentre(scale * 1.5),
      "-": () => zoomAtCentre(scale / 1.5),
    };
    const action = actions[event.key];
    if (action && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      action();
    }
  });

  // A click on the backdrop (outside the picture and buttons) closes, as people expect.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });

  dialog.addEventListener("close", () => {
    pause();
    resetZoom();
    image.removeAttribute("srcset");
    image.removeAttribute("src");
    // Closed by Escape or a button: leave the entry that opening added, as Back would.
    // Without one (a linked picture closed untouched, as by Android's Back gesture), the
    // address only forgets the picture.
    const page = window.location.pathname + window.location.search;
    if (history.state && history.state.lightbox) history.back();
    else history.replaceState(history.state, "", page);
    const link = links[current];
    if (link) link.focus();
  });

  // Back (or Forward) to an entry: the lightbox follows the address.
  window.addEventListener("popstate", () => {
    const link = linkForHash();
    if (history.state && history.state.lightbox && link) {
      open(link, { addToHistory: false });
    } else if (dialog.open) {
      dialog.close();
    }
  });

  // Where the linked picture is, as the page says in a step-found event (views/events.py):
  // {url, step, near}; null when the page has no such picture (a 404) or did not answer.
  async function findStep() {
    const grid = document.getElementById("picture-grid");
    if (!grid) return null;
    const address = new URL(window.location.href);
    address.hash = "";
    address.searchParams.set("at", window.location.hash.slice("#picture-".length));
    let found = null;
    const listen = (event) => {
      found = event.detail;
    };
    grid.addEventListener("step-found", listen);
    try {
      await window.htmx.ajax("GET", address.pathname + address.search, {
        source: grid,
        swap: "none",
      });
    } catch {
      // Not answered: nothing opens, as for a 404.
    } finally {
      grid.removeEventListener("step-found", listen);
    }
    return found;
  }

  // The linked picture's link, once loaded: at once when the page has it; else, where the page
  // says it is, the steps up to it when they are few (from the first), or the page at its step.
  async function loadLinked() {
    let linked = linkForHash();
    if (linked) return linked;
    const found = await findStep();
    if (!found) return null;
    const grid = document.getElementById("picture-grid");
    if (found.near && grid.hasAttribute("data-from-the-start")) {
      for (let loaded = 0; !linked && loaded < found.step && (await loadMore()); loaded++) {
        linked = linkForHash();
      }
      return linked;
    }
    // Not if this page is that step already (a picture still being prepared has no link).
    const step = new URL(found.url, window.location.href);
    if (step.pathname + step.search !== window.location.pathname + window.location.search) {
      // In place of this address, so that Back does not come back to go there again.
      window.location.replace(step.href);
    }
    return null;
  }

  // A link to #picture-<id> opens that picture, once the steps up to it are loaded. Its history
  // entry, with the page without it one Back away, waits for the viewer's first touch, click
  // or key: WebKit (every iPhone browser) skips on Back the entries a script added without the
  // user's interaction, so an entry added on load would make Back leave the page. Until then,
  // Back leaves it everywhere.
  async function openLinked() {
    if (!/^#picture-\d+$/.test(window.location.hash)) return;
    const linked = await loadLinked();
    if (!linked) return;
    open(linked, { addToHistory: false });
    const addEntry = () => {
      window.removeEventListener("pointerdown", addEntry, true);
      window.removeEventListener("keydown", addEntry, true);
      if (!dialog.open) return;
      const hash = window.location.hash;
      history.replaceState(null, "", window.location.pathname + window.location.search);
      history.pushState({ lightbox: true }, "", hash);
    };
    window.addEventListener("pointerdown", addEntry, true);
    window.addEventListener("keydown", addEntry, true);
  }
  // Once htmx has set up the page (its first htmx:load, the body's): the steps load through it.
  document.addEventListener("htmx:load", openLinked, { once: true });
})();
