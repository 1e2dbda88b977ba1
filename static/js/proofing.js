// Favourites on a share page (templates/portfolio/_favourite_button.html). The hearts in the
// grid are htmx forms that need nothing of this file (and post as plain forms without
// JavaScript); here: the bar's sheet, the lightbox's heart, which presses the heart of the
// picture shown, the F key in the lightbox, and the server's refusals said in the status line.
(() => {
  "use strict";

  const status = document.getElementById("selection-status");

  // The server says why it refused in a "request-refused" event (portfolio/views/events.py).
  document.body.addEventListener("request-refused", (event) => {
    if (status) status.textContent = event.detail.message;
  });
  document.body.addEventListener("htmx:beforeRequest", (event) => {
    if (status && event.target.closest(".favourite-form")) status.textContent = "";
  });

  // The bar's sheet (<details>, _selection.html): its Close button and Escape close it, as a
  // dialog's would, and give the focus back to its button; opened, its first empty field takes the focus.
  for (const sheet of document.querySelectorAll(".bar-sheet")) {
    // Open as the page comes with the personal link, which is there to be read and kept: until
    // it is closed, no field takes the focus (a <details open> fires toggle on load, after this
    // script when it is cached), or a phone's keyboard would cover the link.
    let openedByPage = sheet.open && !!sheet.querySelector("#selection-personal-link");
    const close = () => {
      sheet.open = false;
      sheet.querySelector("summary").focus();
    };
    sheet.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && sheet.open) close();
    });
    // On a phone nothing says that the bar's button closes what it opened: a sheet says so.
    const closeButton = sheet.querySelector(".sheet-close");
    closeButton.hidden = false;
    closeButton.addEventListener("click", close);
    sheet.addEventListener("toggle", () => {
      if (!sheet.open) openedByPage = false;
      if (!sheet.open || openedByPage) return;
      const empty = [...sheet.querySelectorAll("input:not([type=hidden]), textarea")].find(
        (field) => !field.value,
      );
      if (empty) empty.focus();
    });
  }

  const dialog = document.getElementById("lightbox");
  const heart = dialog && dialog.querySelector(".lightbox-favourite");
  if (!heart) return;
  let formId = "";

  // Looked up by id every time: htmx replaces the form after each press.
  function gridButton() {
    const form = formId && document.getElementById(formId);
    return form ? form.querySelector(".favourite-button") : null;
  }

  function sync() {
    const button = gridButton();
    heart.hidden = !button;
    if (!button) return;
    heart.setAttribute("aria-pressed", button.getAttribute("aria-pressed"));
    heart.disabled = button.disabled;
  }

  dialog.addEventListener("lightbox:show", (event) => {
    const item = event.detail.link.closest("li");
    const form = item && item.querySelector(".favourite-form");
    formId = form ? form.id : "";
    sync();
  });

  heart.addEventListener("click", () => {
    const form = formId && document.getElementById(formId);
    if (form && !heart.disabled) form.requestSubmit();
  });

  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "f" || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    heart.click();
  });

  document.body.addEventListener("htmx:afterSettle", sync);
})();
