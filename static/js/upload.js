// The upload form's extras, on top of a form that works as a plain multipart POST.
// Picked files, dropped files and folders, and a chosen folder all join one queue that goes
// up in batches, each within the server's limits per request (data- attributes on the file
// input, rendered from settings), so a whole shoot goes up however large. One progress bar
// follows the bytes of everything queued; after each batch its pictures join the grid and its
// refusals join the list. The server decides what is an image: every file is sent, except
// hidden ones (.DS_Store, ._IMG_0001.jpg) and files over the byte limit, refused here in the
// server's words instead of after sending them for nothing.
//
// Each batch is an htmx request of the form, triggered with "upload-batch" (its data-hx-trigger),
// one at a time. htmx sends it with the CSRF header from <body>, reports its bytes going up
// (htmx:xhr:progress) and swaps the answer as the form's attributes say: the refusals are
// appended to #upload-errors, the new pictures go out of band into #picture-grid, where htmx
// sets up their tools. This script chooses each batch's files, follows the whole run, and
// keeps htmx from swapping or following an answer that is no judgement of the batch.
//
// What an answer means comes from its status and the htmx events in its HX-Trigger header
// (portfolio/views/events.py), never from its markup: "upload-judged" {added, refused,
// deferred} for a batch the server judged, whose last `deferred` files it had no time for
// and which go back to the front of the queue; "request-refused" {message} for one refused
// as a whole, which stops the upload with the server's words.
(() => {
  "use strict";

  const form = document.getElementById("upload-form");
  // Without htmx the form stays what it is without JavaScript: a plain post.
  if (!form || !window.htmx) return;

  const zone = document.getElementById("drop-zone");
  const input = form.querySelector('input[type="file"][name="photos"]');
  const folderChoice = document.getElementById("upload-folder-choice");
  const folderInput = document.getElementById("upload-folder");
  const progress = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const feedback = document.getElementById("upload-feedback");
  // Where htmx appends each batch's refusals (the form's data-hx-target); ours go there too.
  const errors = document.getElementById("upload-errors");

  const limits = {
    files: Number(input.dataset.maxFiles),
    requestBytes: Number(input.dataset.maxRequestBytes),
    fileBytes: Number(input.dataset.maxFileBytes),
    tooLargeReason: input.dataset.tooLargeReason,
  };

  const queue = []; // files waiting to go up, in order
  let run = null; // what was queued since the queue was last empty, and how far it got
  let batch = null; // the files htmx is sending now, and what came of them

  // Folder picking is not in HTML's standard: set here, where the browser is known to have it.
  if ("webkitdirectory" in folderInput) {
    folderInput.webkitdirectory = true;
    folderChoice.hidden = false;
  }

  // htmx leaves the form's own submit alone (it waits for "upload-batch"): picked files join
  // the queue, as dropped ones do.
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

    const starting = !run;
    if (starting) {
      run = { files: 0, bytes: 0, sentFiles: 0, sentBytes: 0, added: 0, stopped: false };
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
        run.files += 1;
        run.bytes += file.size;
      }
    }
    showProgress(run.sentBytes);
    showCount();
    if (starting) sendQueue();
  }

  // Send batch after batch until the queue is empty, or stop at the first that failed.
  async function sendQueue() {
    while (queue.length) {
      const files = nextBatch();
      batch = { files, bytes: sizeOf(files), uploaded: false, judgement: null, refusal: "" };
      const xhr = await send(files);
      if (!batch.judgement) {
        stop(files, xhr, batch.refusal);
        break;
      }
      // The files the server had no time for go first in the next batch.
      const judged = files.slice(0, files.length - batch.judgement.deferred);
      queue.unshift(...files.slice(judged.length));
      run.sentFiles += judged.length;
      run.sentBytes += sizeOf(judged);
      run.added += batch.judgement.added;
      showSummary();
      showProgress(run.sentBytes);
      showCount();
    }
    batch = null;
    showCount();
    if (run.files === 0) progress.hidden = true;
    run = null;
  }

  // The first files of the queue, as many as one request may carry; always at least one.
  function nextBatch() {
    const batch = [queue.shift()];
    let bytes = batch[0].size;
    while (
      queue.length &&
      batch.length < limits.files &&
      bytes + queue[0].size <= limits.requestBytes
    ) {
      bytes += queue[0].size;
      batch.push(queue.shift());
    }
    return batch;
  }

  function sizeOf(files) {
    return files.reduce((total, file) => total + file.size, 0);
  }

  // Have htmx post the form with these files; resolve with its request once htmx is done
  // with it, whatever happened: status 0 when no answer came at all.
  function send(files) {
    return new Promise((resolve) => {
      form.addEventListener("htmx:afterRequest", (event) => resolve(event.detail.xhr), {
        once: true,
      });
      // htmx reads the form as the event is triggered, before trigger() returns: the batch
      // is in the file input for that moment only. Then the input gets back what the person
      // has picked meanwhile, and never offers a batch to be sent twice.
      const picked = input.files;
      input.files = fileList(files);
      htmx.trigger(form, "upload-batch");
      input.files = picked;
    });
  }

  function fileList(files) {
    const transfer = new DataTransfer();
    for (const file of files) transfer.items.add(file);
    return transfer.files;
  }

  // htmx reports the bytes of the request going up, then those of the answer coming down:
  // only the first move the bar. Once all are up, the server is decoding and storing, which
  // takes a while for big photos: say it is working.
  form.addEventListener("htmx:xhr:progress", (event) => {
    const { loaded, total } = event.detail;
    if (!batch || batch.uploaded || !total) return;
    showProgress(run.sentBytes + (loaded / total) * batch.bytes);
    if (loaded === total) {
      batch.uploaded = true;
      const count = batch.files.length;
      showCount(`; checking ${count} file${count === 1 ? "" : "s"}`);
    }
  });

  // Only the server's judgement of the batch is for htmx to swap: the feedback fragment, with
  // 200, or 400 when nothing of the batch could be stored. Anything else (a refusal of the
  // whole request, a proxy's 413, a server error, the sign-in redirect of an ended session)
  // htmx must neither swap nor follow: the page stays, to say which files did not go up.
  form.addEventListener("htmx:beforeOnLoad", (event) => {
    const { xhr } = event.detail;
    const events = triggeredEvents(xhr);
    const judgement = events["upload-judged"];
    // A batch the server judged none of would be sent forever: taken for a failure.
    if (
      [200, 400].includes(xhr.status) &&
      judgement &&
      judgement.deferred >= 0 &&
      judgement.deferred < batch.files.length
    ) {
      batch.judgement = judgement;
    } else {
      batch.refusal = events["request-refused"]?.message || "";
      event.preventDefault();
    }
  });

  // The events named in the answer's HX-Trigger header, as htmx reads them.
  function triggeredEvents(xhr) {
    try {
      const events = JSON.parse(xhr.getResponseHeader("HX-Trigger") || "{}");
      return events && typeof events === "object" ? events : {};
    } catch {
      return {}; // Not ours: a bare event name, or a proxy's header.
    }
  }

  // To htmx a 400 is an error, not swapped: this one holds the refusals to show.
  errors.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A batch that went wrong (refused, no answer, a proxy's 413, a server error, signed out):
  // the next ones would most likely fail the same way, so stop and name every file not sent.
  function stop(batch, xhr, refusal) {
    const unsent = [...batch, ...queue.splice(0)];
    const item = document.createElement("li");
    item.className = "upload-error upload-stopped";
    item.append(`${failureReason(xhr, refusal)} Not uploaded (${unsent.length}): `);
    unsent.forEach((file, index) => {
      if (index) item.append(", ");
      item.append(fileName(file.name));
    });
    errors.append(item);
    run.stopped = true;
  }

  // The server's own words when it refused the request (too many files, too much data, the
  // storage down, signed out); else what the status says of whatever answered.
  function failureReason(xhr, refusal) {
    const reload = "Reload the page to see what was stored, then add the rest again.";
    if (xhr.status === 0) {
      return `The upload stopped: the connection to the server was lost. ${reload}`;
    }
    if (refusal) return `The upload stopped: ${refusal}`;
    if (xhr.status === 413) {
      return "The upload stopped: the server refused a batch this large (error 413).";
    }
    if (xhr.status >= 500) {
      return `The upload stopped: the server failed (error ${xhr.status}). ${reload}`;
    }
    return `The upload stopped: the server gave an unexpected answer (status ${xhr.status}). ${reload}`;
  }

  // The pictures added by all batches so far: the server's summary counts one batch only.
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

  // The bar follows bytes (the pictures' bytes; the requests carry a little more). Files
  // deferred by the server go up again: the bar holds until their second sending passes
  // where the first had brought it, and never goes back.
  function showProgress(sentBytes) {
    const share = run.bytes ? sentBytes / run.bytes : run.sentFiles / Math.max(run.files, 1);
    progress.value = Math.max(progress.value, Math.floor(100 * share));
  }

  // Files count once the server has answered for their batch. Announced politely, so
  // changed only when it says something new: a few times a batch, never per byte.
  function showCount(activity = "") {
    const text = `${run.sentFiles} of ${run.files} uploaded${run.stopped ? "; stopped" : activity}.`;
    if (run.files && status.textContent !== text) status.textContent = text;
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
