// The upload form's extras, on top of a form that works as a plain multipart POST:
// dropping files onto #drop-zone sends them at once through htmx, #upload-progress follows
// the bytes going up (htmx 2's htmx:xhr:progress), and refusals (4xx) are shown inline.
(() => {
  "use strict";

  const form = document.getElementById("upload-form");
  if (!form) return;

  const zone = document.getElementById("drop-zone");
  const input = form.querySelector('input[type="file"][name="photos"]');
  const progress = document.getElementById("upload-progress");
  const feedback = document.getElementById("upload-feedback");

  function carriesFiles(event) {
    return Array.from(event.dataTransfer ? event.dataTransfer.types : []).includes("Files");
  }

  // Dropped next to the zone, a picture would replace the page: ignore such drops.
  document.addEventListener("dragover", (event) => {
    if (carriesFiles(event)) event.preventDefault();
  });
  document.addEventListener("drop", (event) => {
    if (carriesFiles(event) && !zone.contains(event.target)) event.preventDefault();
  });

  ["dragenter", "dragover"].forEach((type) => {
    zone.addEventListener(type, (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("is-dragging");
    });
  });
  zone.addEventListener("dragleave", (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("is-dragging");
  });
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("is-dragging");
    if (!event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    form.requestSubmit();
  });

  form.addEventListener("htmx:beforeRequest", () => {
    progress.value = 0;
    progress.hidden = false;
    form.setAttribute("aria-busy", "true");
  });

  // Fired for the upload and then for the download of the answer: the bar only moves forward.
  form.addEventListener("htmx:xhr:progress", (event) => {
    if (!event.detail.total) return;
    const percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    progress.value = Math.max(progress.value, percent);
  });

  form.addEventListener("htmx:afterRequest", (event) => {
    form.removeAttribute("aria-busy");
    progress.value = 100;
    if (event.detail.successful) form.reset();
  });

  // Our own refusals (too many files, nothing could be stored) come back as the feedback
  // fragment with a 400: show them. Anything else gets a short message of its own.
  // htmx 2 fires htmx:beforeSwap on the swap's target, not on the form that sent it.
  feedback.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail.xhr;
    if (xhr.status < 400) return;
    if (xhr.status < 500 && xhr.responseText.includes('id="upload-errors"')) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else {
      event.detail.shouldSwap = false;
      showError(messageFor(xhr));
    }
  });

  form.addEventListener("htmx:sendError", () => {
    showError("The upload did not reach the server. Check the connection and try again.");
  });

  function messageFor(xhr) {
    if (xhr.status === 413) {
      return "The upload is too large for the server. Send fewer or smaller files at a time.";
    }
    const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
    const reason = page.querySelector(".request-error");
    if (reason) return reason.textContent.trim();
    if (xhr.status >= 500) {
      return "The server could not finish the upload. Reload the page to see what was stored, then try the rest again.";
    }
    return `The upload was refused (error ${xhr.status}).`;
  }

  function showError(text) {
    const list = document.createElement("ul");
    list.id = "upload-errors";
    list.className = "upload-errors";
    list.setAttribute("role", "list");
    const item = document.createElement("li");
    item.className = "upload-error";
    item.textContent = text;
    list.append(item);
    feedback.replaceChildren(list);
  }
})();
