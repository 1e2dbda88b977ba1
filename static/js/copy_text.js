// "Copy" buttons next to a read-only text (a selection's file names, on the project's edit
// page): data-copy names the <textarea> whose text goes to the clipboard. Without JavaScript
// the buttons stay hidden and the text can be selected and copied by hand.
(() => {
  "use strict";

  function showButtons(root) {
    for (const button of root.querySelectorAll("button[data-copy]")) button.hidden = false;
  }

  showButtons(document);
  // The sharing panel comes back from htmx after each change.
  document.addEventListener("htmx:load", (event) => showButtons(event.target));

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-copy]");
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    const said = document.getElementById(`${button.dataset.copy}-status`);
    if (!source) return;
    try {
      await navigator.clipboard.writeText(source.value);
      if (said) said.textContent = "Copied.";
    } catch {
      // No clipboard (an insecure page, a refused permission): select it for Ctrl+C.
      source.focus();
      source.select();
      if (said) said.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
    }
  });
})();
