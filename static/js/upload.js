// The upload form's extras, on top of a form that works as a plain multipart POST.
// Picked files, dropped files and folders, and a chosen folder all join one queue that goes
// up in batches, each within the server's limits per request (data- attributes on the file
// input, rendered from settings), so a whole shoot goes up however large. One progress bar
// follows the bytes of everything queued; after each batch its pictures join the grid and its
// refusals join the list. The server decides what is an image: every file is sent, except
// hidden ones (.DS_Store, ._IMG_0001.jpg) and files over the byte limit, refused here in the
// server's words instead of after sending them for nothing.
//
// Batches are sent with XMLHttpRequest, one at a time: it reports upload progress, and each
// answer is handled in order right here. They ask for the same fragment htmx would get.
(() => {
  "use strict";

  const form = document.getElementById("upload-form");
  if (!form) return;

  const zone = document.getElementById("drop-zone");
  const input = form.querySelector('input[type="file"][name="photos"]');
  const folderChoice = document.getElementById("upload-folder-choice");
  const folderInput = document.getElementById("upload-folder");
  const progress = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const feedback = document.getElementById("upload-feedback");
  // Missing on the upload page of its own: there the summary says what was added.
  const grid = document.getElementById("picture-grid");

  const limits = {
    files: Number(input.dataset.maxFiles),
    requestBytes: Number(input.dataset.maxRequestBytes),
    fileBytes: Number(input.dataset.maxFileBytes),
    tooLargeReason: input.dataset.tooLargeReason,
  };

  const queue = []; // files waiting to go up, in order
  let run = null; // what was queued since the queue was last empty, and how far it got

  if ("webkitdirectory" in folderInput) folderChoice.hidden = false;

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
      feedback.replaceChildren(newErrorList());
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
      const batch = nextBatch();
      const batchBytes = sizeOf(batch);
      const xhr = await post(batch, {
        progress: (fraction) => showProgress(run.sentBytes + fraction * batchBytes),
        // Decoding and storing big photos takes the server a while: say it is working.
        sent: () => showCount(`; checking ${batch.length} file${batch.length === 1 ? "" : "s"}`),
      });
      // Judged by the server, refusals included (400 when nothing could be stored).
      const answer = [200, 400].includes(xhr.status) ? parse(xhr.responseText) : null;
      if (!answer || !answer.querySelector("#upload-errors")) {
        stop(batch, xhr);
        break;
      }
      showAnswer(answer);
      run.sentFiles += batch.length;
      run.sentBytes += batchBytes;
      showProgress(run.sentBytes);
      showCount();
    }
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

  // Post one batch as the plain form would, CSRF token included, and resolve with the
  // finished request whatever happened: status 0 when no answer came at all.
  function post(batch, on) {
    const data = new FormData(form);
    data.delete(input.name);
    for (const file of batch) data.append(input.name, file);
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      // As for htmx (django-htmx reads it): the answer is the feedback fragment, not a page.
      xhr.setRequestHeader("HX-Request", "true");
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) on.progress(event.loaded / event.total);
      });
      xhr.upload.addEventListener("load", on.sent);
      xhr.addEventListener("loadend", () => resolve(xhr));
      xhr.send(data);
    });
  }

  // A batch's feedback fragment: its refusals join the list, its pictures the grid.
  function showAnswer(answer) {
    errorList().append(...answer.querySelectorAll("#upload-errors > li"));
    const pictures = answer.querySelectorAll("li.picture");
    if (grid) {
      for (const picture of pictures) {
        grid.append(picture);
        htmx.process(picture); // its caption, cover, move and delete forms
      }
    }
    run.added += pictures.length;
    if (run.added) {
      let summary = document.getElementById("upload-summary");
      if (!summary) {
        summary = document.createElement("p");
        summary.id = "upload-summary";
        summary.className = "upload-summary";
        feedback.prepend(summary);
      }
      summary.textContent = `${run.added} picture${run.added === 1 ? "" : "s"} added.`;
    }
  }

  // A batch that went wrong (no answer, a proxy's 413, a server error, signed out): the
  // next ones would most likely fail the same way, so stop and name every file not sent.
  function stop(batch, xhr) {
    const unsent = [...batch, ...queue.splice(0)];
    const item = document.createElement("li");
    item.className = "upload-error upload-stopped";
    item.append(`${failureReason(xhr)} Not uploaded (${unsent.length}): `);
    unsent.forEach((file, index) => {
      if (index) item.append(", ");
      item.append(fileName(file.name));
    });
    errorList().append(item);
    run.stopped = true;
  }

  function failureReason(xhr) {
    const reload = "Reload the page to see what was stored, then add the rest again.";
    if (xhr.status === 0) {
      return `The upload stopped: the connection to the server was lost. ${reload}`;
    }
    if (xhr.status === 413) {
      return "The upload stopped: the server refused a batch this large (error 413).";
    }
    // Django's own refusals (too many files, too much form data) say why on the 400 page.
    const reason = parse(xhr.responseText).querySelector(".request-error");
    if (reason) return `The upload stopped: ${reason.textContent.trim()}`;
    if (xhr.status >= 500) {
      return `The upload stopped: the server failed (error ${xhr.status}). ${reload}`;
    }
    if (xhr.status < 300) {
      // Sent to the sign-in page: the session ended.
      return "The upload stopped: you are no longer signed in. Reload the page, sign in and add the rest again.";
    }
    return `The upload stopped: the server refused it (error ${xhr.status}). ${reload}`;
  }

  // The bar follows bytes (the pictures' bytes; the requests carry a little more).
  function showProgress(sentBytes) {
    const share = run.bytes ? sentBytes / run.bytes : run.sentFiles / Math.max(run.files, 1);
    progress.value = Math.floor(100 * share);
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
    errorList().append(item);
  }

  function showError(text) {
    const item = document.createElement("li");
    item.className = "upload-error";
    item.textContent = text;
    errorList().append(item);
  }

  function fileName(name) {
    const span = document.createElement("span");
    span.className = "file-name";
    span.textContent = name;
    return span;
  }

  function errorList() {
    return document.getElementById("upload-errors") || feedback.appendChild(newErrorList());
  }

  function newErrorList() {
    const list = document.createElement("ul");
    list.id = "upload-errors";
    list.className = "upload-errors";
    list.setAttribute("role", "list");
    return list;
  }

  function parse(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }
})();
