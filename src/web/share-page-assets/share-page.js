'use strict';

// Copies the picture link; the clipboard API needs a secure context, so plain HTTP falls back to a selection.
(function () {
  const field = document.getElementById('picture-link');
  const button = document.getElementById('copy-link');
  const status = document.getElementById('copy-status');
  if (!field || !button || !status) return;

  function copyBySelection() {
    field.focus();
    field.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }

  async function copy() {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(field.value);
        return true;
      } catch {
        // Permission refused: the selection below still works in most browsers.
      }
    }
    return copyBySelection();
  }

  let reset = 0;
  button.addEventListener('click', async () => {
    const copied = await copy();
    button.textContent = copied ? '已复制' : '复制';
    button.classList.toggle('is-done', copied);
    status.textContent = copied ? '链接已复制到剪贴板' : '请选中链接后手动复制';
    window.clearTimeout(reset);
    reset = window.setTimeout(() => {
      button.textContent = '复制';
      button.classList.remove('is-done');
      status.textContent = '';
    }, 2500);
  });
  field.addEventListener('focus', () => field.select());
})();
