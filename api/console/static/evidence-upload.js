// 证据材料上传: each `.evidence-drop` zone takes the files dropped on it or chosen in its file
// field and uploads them (multipart, with the form's CSRF token) to its data-upload address,
// a progress bar showing how much has gone. Each kept file is listed — a thumbnail for an
// image — with a hidden `evidence` field holding what the form's command cites
// ({name, sha256, size}). Names are shown as text, never as markup.
"use strict";
(function () {
  function cite(zone, file) {
    const item = document.createElement("li");
    if (file.content_type.startsWith("image/")) {
      const img = document.createElement("img");
      img.src = "/files/" + file.sha256 + "/thumbnail";
      img.alt = file.name;
      img.className = "thumbnail";
      item.append(img);
    }
    const link = document.createElement("a");
    link.href = "/files/" + file.sha256;
    link.textContent = file.name;
    item.append(link);
    const cited = document.createElement("input");
    cited.type = "hidden";
    cited.name = "evidence";
    cited.value = JSON.stringify({ name: file.name, sha256: file.sha256, size: file.size });
    item.append(cited);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary";
    remove.textContent = "移除";
    remove.addEventListener("click", () => item.remove());
    item.append(remove);
    zone.querySelector(".evidence-list").append(item);
  }

  function upload(zone, files) {
    if (!files.length) return;
    const form = zone.closest("form");
    const data = new FormData();
    data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    for (const file of files) data.append("file", file);
    const bar = zone.querySelector("progress");
    const status = zone.querySelector(".evidence-status");
    const request = new XMLHttpRequest();
    request.open("POST", zone.dataset.upload);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        bar.max = event.total;
        bar.value = event.loaded;
      }
    });
    request.addEventListener("load", () => {
      bar.hidden = true;
      let answer = null;
      try {
        answer = JSON.parse(request.responseText);
      } catch (error) {
        answer = null;
      }
      if (request.status !== 201 || !answer || !answer.files) {
        status.textContent = (answer && answer.error && answer.error.message) || "上传失败，请重试。";
        return;
      }
      status.textContent = "已上传 " + answer.files.length + " 个文件";
      for (const file of answer.files) cite(zone, file);
    });
    request.addEventListener("error", () => {
      bar.hidden = true;
      status.textContent = "网络中断，上传失败，请重试。";
    });
    bar.value = 0;
    bar.hidden = false;
    status.textContent = "正在上传……";
    request.send(data);
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const zone of document.querySelectorAll(".evidence-drop")) {
      const input = zone.querySelector("input[type=file]");
      input.addEventListener("change", () => {
        upload(zone, input.files);
        input.value = "";
      });
      zone.addEventListener("dragover", (event) => {
        event.preventDefault();
        zone.classList.add("dragging");
      });
      zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
      zone.addEventListener("drop", (event) => {
        event.preventDefault();
        zone.classList.remove("dragging");
        upload(zone, event.dataTransfer.files);
      });
    }
  });
})();
