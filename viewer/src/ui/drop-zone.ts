/** Shows `overlay` while a file is dragged over the page, and hands the first dropped file to `onFile`. */
export function onDroppedFile(overlay: HTMLElement, onFile: (file: File) => void): void {
  window.addEventListener('dragover', (event) => {
    event.preventDefault();
    overlay.hidden = false;
  });
  window.addEventListener('dragleave', (event) => {
    if (event.relatedTarget === null) overlay.hidden = true;
  });
  window.addEventListener('drop', (event) => {
    event.preventDefault();
    overlay.hidden = true;
    const file = event.dataTransfer?.files[0];
    if (file) onFile(file);
  });
}
