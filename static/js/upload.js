// The upload form's extras, on top of a form that works as a plain multipart POST.
// Picked files, dropped files and folders, and a chosen folder all join one queue that goes
// up one file a request, a few requests at a time, so a whole shoot goes up however large and
// the server judges each file as it judges any other (its form field runs the gate). One
// progress bar follows the bytes of everything queued; each picture joins the grid and each
// refusal the list as its answer comes. The server decides what is an image: every file is
// sent, except hidden ones (.DS_Store, ._IMG_0001.jpg) and files over the byte limit, refused
// here in the server's words (data- attributes on the file input) instead of after sending
// them for nothing.
//
// Each request is a post of the form with one file, marked as htmx's (HX-Request) and
// carrying the form's CSRF token. htmx itself sends one request of an element at a time, so
// this script sends them and hands each answer to htmx.swap as the form's attributes say:
// the refusal is appended to #upload-errors, the new picture goes out of band into
// #picture-grid, where htmx sets up its tools.
//
// What an answer means comes from its status and the htmx events in its HX-Trigger header
// (portfolio/views/events.py), never from its markup: "upload-judged" {added, refused,
// pictures} for a file the server judged (200, or 400 when refused); "request-refused"
// {message} for a request refused as a whole, which stops the upload with the server's words.
//
// Files go in name order, but a picture takes its place in the project when its request
// finishes, and requests in flight together finish in any order. Once a selection is done,
// if the places its pictures took (each answer's pictures) are not in the order their files
// were sent, one more request (the form's data-arrange-url) has the server give those places
// out in that order; the grid, filled in the order the answers came, is put in it too.
(() => {
  "use strict";

  const form = document.getElementById("upload-form");
  // Without htmx the form stays what it is without JavaScript: a plain post.
  if (!form || !window.htmx) return;

  // Enough requests in flight that the server judges one file while the next goes up, and
  // that every worker of a small server is busy; few enough to leave room for others.
  const CONCURRENT_REQUESTS = 3;
  // The polite status line changes at most this often: each change is read out.
  const STATUS_INTERVAL_MS = 1000;

  const zone = document.getElementById("drop-zone");
  const input = form.querySelector('input[type="file"][name="photos"]');
  const folderChoice = document.getElementById("upload-folder-choice");
  const folderInput = document.getElementById("upload-folder");
  const progress = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const feedback = document.getElementById("upload-feedback");
  // Where each answer's refusal goes (the form's data-hx-target); ours go there too.
  const errors = document.getElementById("upload-errors");

  const limits = {
    fileBytes: Number(input.dataset.maxFileBytes),
    tooLargeReason: input.dataset.tooLargeReason,
  };

  const queue = []; // files waiting to go up, in order
  let run = null; // what was queued since the queue was last empty, and how far it got
  let statusShownAt = -Infinity;
  let statusTimer = 0;

  // Folder picking is not in HTML's standard: set here, where the browser is known to have it.
  if ("webkitdirectory" in folderInput) {
    folderInput.webkitdirectory = true;
    folderChoice.hidden = false;
  }

  // Picked files join the queue, as dropped ones do.
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const files = Array.from(input.files, (file) => ({ file, path: file.name }));
    input.value = "";
    add(files);
  });

  // The browser has already asked "Upload N files to this site?": no second click needed.
  folderInput.addEventListener("change", () => {
    const files = Array.from(folderInput.files, (file) => ({
      file,
      path: file.webkitRelativePath || file.name,
    }));
    folderInput.value = "";
    add(files);
  });

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
    // Take everything now: the browser empties the DataTransfer once this handler returns.
    const found = Array.from(event.dataTransfer.items)
      .filter((item) => item.kind === "file")
      .map((item) => {
        // What comes from the file manager has an entry, a folder's included; a
        // DataTransfer made by a page has only files.
        const entry = item.webkitGetAsEntry && item.webkitGetAsEntry();
        if (entry) return filesUnder(entry);
        const file = item.getAsFile();
        return [{ file, path: file.name }];
      });
    Promise.all(found).then(
      (lists) => add(lists.flat()),
      () => showError("A dropped folder could not be read. Try choosing it instead."),
    );
  });

  // Every file in a dropped file or folder, with its path, leaving hidden ones out.
  async function filesUnder(entry) {
    if (isHidden(entry.name)) return [];
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      return [{ file, path: entry.fullPath }];
    }
    const reader = entry.createReader();
    const found = [];
    // readEntries hands out a folder in chunks (100 entries in Chromium): read until empty.
    for (;;) {
      const chunk = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!chunk.length) return found;
      for (const child of chunk) found.push(...(await filesUnder(child)));
    }
  }

  // .DS_Store, ._IMG_0001.jpg (macOS), .thumbnails/: not part of a shoot, left out quietly.
  function isHidden(path) {
    return path.split("/").some((part) => part.startsWith("."));
  }

  function add(found) {
    const files = found
      .filter(({ path }) => !isHidden(path))
      // In name order, as a camera numbers a shoot: IMG_2 before IMG_10.
      .sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }))
      .map(({ file }) => file);
    if (!files.length) return;

    if (!run) {
      run = {
        files: 0,
        bytes: 0,
        doneFiles: 0,
        doneBytes: 0,
        added: 0,
        sending: new Map(), // file -> its bytes gone up so far
        checking: new Set(), // files whose bytes are all up, waiting for their answer
        senders: 0,
        queued: [], // every file queued, in order
        stopped: null, // the list item naming the files not uploaded, once stopped
        stopReason: "",
        unsent: new Set(),
        stored: new Map(), // file -> the pictures its answer says were stored: [{id, position}]
      };
      errors.replaceChildren();
      document.getElementById("upload-summary")?.remove();
      status.textContent = "";
      progress.value = 0;
      progress.hidden = false;
    }
    for (const file of files) {
      if (file.size > limits.fileBytes) {
        showRefusal(file.name, limits.tooLargeReason);
      } else {
        queue.push(file);
        run.queued.push(file);
        run.files += 1;
        run.bytes += file.size;
      }
    }
    if (run.stopped) {
      // Added after the upload stopped: they would fail the same way.
      notUploaded(queue.splice(0));
    }
    showProgress();
    showCount();
    // Each sender takes its first file at once: start as many as there are files, up to the pool.
    while (run.senders < CONCURRENT_REQUESTS && queue.length) sendQueue();
    if (!run.senders) finish();
  }

  // One of the requests in flight: file after file until the queue is empty or it stopped.
  async function sendQueue() {
    run.senders += 1;
    while (queue.length && !run.stopped) await upload(queue.shift());
    run.senders -= 1;
    if (!run.senders) finish();
  }

  async function upload(file) {
    run.sending.set(file, 0);
    const xhr = await send(file);
    run.checking.delete(file);
    run.sending.delete(file);
    const events = triggeredEvents(xhr);
    const judgement = events["upload-judged"];
    if ([200, 400].includes(xhr.status) && judgement) {
      htmx.swap(
        form.getAttribute("data-hx-target"),
        xhr.responseText,
        { swapStyle: form.getAttribute("data-hx-swap") },
        { select: form.getAttribute("data-hx-select") },
      );
      run.doneFiles += 1;
      run.doneBytes += file.size;
      run.added += judgement.added;
      run.stored.set(file, judgement.pictures || []);
      showSummary();
    } else {
      stop(file, xhr, events["request-refused"]?.message || "");
    }
    showProgress();
    showCount();
  }

  // Post the form with this one file; resolve with the request once it is over, whatever
  // happened: status 0 when no answer came at all.
  function send(file) {
    return new Promise((resolve) => {
      const body = new FormData(form); // The CSRF token and where to return, without files.
      body.delete("photos");
      body.append("photos", file);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      // As htmx would: the view answers with the feedback fragment, and names this page.
      xhr.setRequestHeader("HX-Request", "true");
      xhr.setRequestHeader("HX-Current-URL", window.location.href);
      // Once all its bytes are up, the server is decoding and storing the file, which takes
      // a while for a big photo: say it is working.
      xhr.upload.addEventListener("progress", (event) => {
        if (!event.lengthComputable || !run.sending.has(file)) return;
        const sent = Math.round((event.loaded / event.total) * file.size);
        if (event.loaded === event.total) run.checking.add(file);
        run.sending.set(file, sent);
        showProgress();
        showCount();
      });
      xhr.addEventListener("loadend", () => resolve(xhr));
      xhr.send(body);
    });
  }

  function finish() {
    showCount(true);
    if (run.files === 0) progress.hidden = true;
    putInOrder(run.queued.flatMap((file) => run.stored.get(file) || []));
    run = null;
  }

  // The selection's pictures, in the order their files were sent, each with the place it
  // took: when the places are out of that order, the server gives them out again in it
  // (Project.arrange), then the grid follows. Either way the grid ends in the order sent.
  function putInOrder(pictures) {
    const ids = pictures.map((picture) => picture.id);
    const stored = pictures.every(
      (picture, index) => index === 0 || pictures[index - 1].position < picture.position,
    );
    if (stored) {
      orderGrid(ids);
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.arrangeUrl);
    // As htmx would: its headers, with the CSRF token the page gives it on <body>.
    xhr.setRequestHeader("HX-Request", "true");
    xhr.setRequestHeader("HX-Current-URL", window.location.href);
    for (const [name, value] of Object.entries(htmxHeaders())) xhr.setRequestHeader(name, value);
    xhr.addEventListener("loadend", () => {
      if (xhr.status === 204) {
        orderGrid(ids);
      } else {
        showError(
          "The pictures just added could not be put in name order. Reload the page to see " +
            "the order they were stored in.",
        );
      }
    });
    // One field, the ids comma-separated: a folder of thousands stays one form field.
    xhr.send(new URLSearchParams({ pictures: ids.join(",") }));
  }

  // The headers htmx adds to every request of this page (data-hx-headers on <body>).
  function htmxHeaders() {
    try {
      const headers = JSON.parse(document.body.dataset.hxHeaders || "{}");
      return headers && typeof headers === "object" ? headers : {};
    } catch {
      return {};
    }
  }

  // Put these pictures of the grid in this order, in the places they hold in it; the others
  // stay where they are, as the server's order does.
  function orderGrid(ids) {
    const items = ids.map((id) => document.getElementById(`picture-${id}`)).filter(Boolean);
    const places = [...items]
      .sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1))
      .map((item) => {
        const place = document.createComment("");
        item.before(place);
        return place;
      });
    places.forEach((place, index) => place.replaceWith(items[index]));
  }

  // The events named in the answer's HX-Trigger header, as htmx reads them.
  function triggeredEvents(xhr) {
    try {
      const events = JSON.parse(xhr.getResponseHeader("HX-Trigger") || "{}");
      return events && typeof events === "object" ? events : {};
    } catch {
      return {}; // Not ours: a bare event name, or a proxy's header.
    }
  }

  // A request that went wrong (refused, no answer, a proxy's 413, a server error, signed
  // out): the next ones would most likely fail the same way, so stop and name every file
  // not uploaded, those of the requests still in flight that fail too included.
  function stop(file, xhr, refusal) {
    if (!run.stopped) {
      run.stopped = document.createElement("li");
      run.stopped.className = "upload-error upload-stopped";
      run.stopReason = failureReason(xhr, refusal);
      errors.append(run.stopped);
    }
    notUploaded([file, ...queue.splice(0)]);
  }

  // Named in the order they were queued, however their requests ended.
  function notUploaded(files) {
    files.forEach((file) => run.unsent.add(file));
    const item = run.stopped;
    item.replaceChildren(`${run.stopReason} Not uploaded (${run.unsent.size}): `);
    run.queued
      .filter((file) => run.unsent.has(file))
      .forEach((file, index) => {
        if (index) item.append(", ");
        item.append(fileName(file.name));
      });
  }

  // The server's own words when it refused the request (too much data, the storage down,
  // signed out); else what the status says of whatever answered.
  function failureReason(xhr, refusal) {
    const reload = "Reload the page to see what was stored, then add the rest again.";
    if (xhr.status === 0) {
      return `The upload stopped: the connection to the server was lost. ${reload}`;
    }
    if (refusal) return `The upload stopped: ${refusal}`;
    if (xhr.status === 413) {
      return "The upload stopped: the server refused a file this large (error 413).";
    }
    if (xhr.status >= 500) {
      return `The upload stopped: the server failed (error ${xhr.status}). ${reload}`;
    }
    return `The upload stopped: the server gave an unexpected answer (status ${xhr.status}). ${reload}`;
  }

  // The pictures added so far: each answer counts its own file only.
  function showSummary() {
    if (!run.added) return;
    let summary = document.getElementById("upload-summary");
    if (!summary) {
      summary = document.createElement("p");
      summary.id = "upload-summary";
      summary.className = "upload-summary";
      feedback.prepend(summary);
    }
    summary.textContent = `${run.added} picture${run.added === 1 ? "" : "s"} added.`;
  }

  // The bar follows bytes (the pictures' bytes; the requests carry a little more): those of
  // the files answered and those going up now. It never goes back.
  function showProgress() {
    let sentBytes = run.doneBytes;
    for (const sent of run.sending.values()) sentBytes += sent;
    const share = run.bytes ? sentBytes / run.bytes : run.doneFiles / Math.max(run.files, 1);
    progress.value = Math.max(progress.value, Math.floor(100 * share));
  }

  // Files count once the server has answered for them. Announced politely, so changed at
  // most once a STATUS_INTERVAL_MS, and only when it says something new; at once when the
  // upload is over.
  function showCount(now = false) {
    clearTimeout(statusTimer);
    const wait = statusShownAt + STATUS_INTERVAL_MS - performance.now();
    if (!now && wait > 0) {
      statusTimer = setTimeout(showCount, wait);
      return;
    }
    let activity = "";
    if (run.stopped) {
      activity = "; stopped";
    } else if (run.checking.size) {
      const count = run.checking.size;
      activity = `; checking ${count} file${count === 1 ? "" : "s"}`;
    }
    const text = `${run.doneFiles} of ${run.files} checked${activity}.`;
    if (run.files && status.textContent !== text) {
      status.textContent = text;
      statusShownAt = performance.now();
    }
  }

  function showRefusal(name, reason) {
    const item = document.createElement("li");
    item.className = "upload-error";
    item.append(fileName(name), `: ${reason}`);
    errors.append(item);
  }

  function showError(text) {
    const item = document.createElement("li");
    item.className = "upload-error";
    item.textContent = text;
    errors.append(item);
  }

  function fileName(name) {
    const span = document.createElement("span");
    span.className = "file-name";
    span.textContent = name;
    return span;
  }
})();
