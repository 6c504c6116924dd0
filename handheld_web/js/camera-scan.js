// The camera view of the scan field, for phones without a scan engine: the rear camera
// full screen, read until a barcode is found or the user cancels. Loaded on first use
// (scan-input.js imports it when the camera button is tapped).
//
// Whatever ends the view (a read, Cancel, Esc or the back gesture, the page hidden) stops
// the camera's tracks: a phone left with a live camera drains its battery and shows the
// camera-in-use light.

import { createBarcodeReader } from "./barcode-reader.js";
import { t } from "./i18n.js";

let readerReady = null; // one reader per page: the WebAssembly compiles once

function barcodeReader() {
  readerReady ??= createBarcodeReader().catch((err) => {
    readerReady = null; // try again on the next open
    throw err;
  });
  return readerReady;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function buildView() {
  const dialog = el("dialog", "camera-view");
  dialog.setAttribute("aria-labelledby", "camera-title");
  const title = el("h2", "camera-title", t("scan.camera.title"));
  title.id = "camera-title";
  const video = el("video", "camera-video");
  video.muted = true;
  video.playsInline = true; // iOS would otherwise open its own full-screen player
  video.setAttribute("aria-hidden", "true");
  const frame = el("div", "camera-frame");
  frame.append(video, el("div", "camera-aim"));
  const status = el("p", "camera-status", t("scan.camera.starting"));
  status.setAttribute("role", "status");
  const cancel = el("button", "camera-cancel", t("scan.camera.cancel"));
  cancel.type = "button";
  dialog.append(title, frame, status, cancel);
  return { dialog, video, status, cancel };
}

function problemText(err) {
  if (err?.name === "NotAllowedError" || err?.name === "SecurityError") return t("scan.camera.denied");
  if (err?.name === "NotFoundError" || err?.name === "OverconstrainedError") return t("scan.camera.missing");
  return t("scan.camera.failed");
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

/**
 * Open the camera and resolve with the text of the first barcode read, or null when the
 * user closes the view first.
 */
export function scanWithCamera() {
  const view = buildView();
  document.body.append(view.dialog);
  view.dialog.showModal();
  view.dialog.dataset.state = "starting";
  let stream = null;
  let done = false;

  return new Promise((resolve) => {
    const stopCamera = () => {
      for (const track of stream?.getTracks() ?? []) track.stop();
      view.video.srcObject = null;
    };
    const finish = (text) => {
      if (done) return;
      done = true;
      stopCamera();
      document.removeEventListener("visibilitychange", onHidden);
      view.dialog.close();
      view.dialog.remove();
      resolve(text);
    };
    const onHidden = () => {
      if (document.visibilityState === "hidden") finish(null);
    };
    document.addEventListener("visibilitychange", onHidden);
    view.cancel.addEventListener("click", () => finish(null));
    view.dialog.addEventListener("cancel", (e) => {
      e.preventDefault(); // close through finish, which stops the camera
      finish(null);
    });

    (async () => {
      // The decoder loads while the camera starts (and the permission prompt is up).
      const readerReady = barcodeReader();
      readerReady.catch(() => {}); // its failure is reported below, once awaited
      try {
        stream = await navigator.mediaDevices.getUserMedia({
          audio: false,
          video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
        });
        if (done) {
          stopCamera(); // closed while the permission prompt was up
          return;
        }
        view.video.srcObject = stream;
        await view.video.play();
        const reader = await readerReady;
        if (done) return;
        view.dialog.dataset.reader = reader.kind;
        view.dialog.dataset.state = "reading";
        view.status.textContent = t("scan.camera.hint");
        while (!done) {
          const text = await reader.read(view.video);
          if (text) finish(text);
          await nextFrame();
        }
      } catch (err) {
        if (done) return;
        stopCamera();
        view.dialog.dataset.state = "error";
        view.status.textContent = problemText(err);
        console.warn("camera scan:", err);
      }
    })();
  });
}
