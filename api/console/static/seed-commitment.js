// 种子承诺 computed in the browser: the seed typed into a `.seed-source` field (which has no
// name, so the form never sends it) is hashed with SHA-256 over its UTF-8 bytes, and the hex
// digest fills the commitment field its data-for names. Where the browser has no Web Crypto
// (a page served over plain http), the commitment is typed in by hand. Only a seed the draw
// will take (as the field says: 16–200 characters, a second party's 1–200) is committed to: a
// commitment to any other could never be revealed, and the round would be stuck.
"use strict";
(function () {
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  async function commit(source) {
    const target = document.getElementById(source.dataset.for);
    if (!target || !window.crypto || !crypto.subtle) return;
    const seed = source.value.trim(); // as the server reads the seed at the draw
    const length = [...seed].length; // in characters, as the server counts them
    const min = Number(source.getAttribute("minlength")), max = Number(source.getAttribute("maxlength"));
    target.value = length >= min && length <= max
      ? hex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(seed))))
      : "";
  }
  document.addEventListener("DOMContentLoaded", () => {
    for (const source of document.querySelectorAll(".seed-source")) {
      source.addEventListener("input", () => commit(source));
    }
  });
})();
