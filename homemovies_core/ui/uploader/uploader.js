// The Add videos page's uploader (an st.components.v2 module; oci.js is prepended to it).
//
// One standard <input type="file" multiple accept="video/*"> (a phone opens its camera roll)
// and a folder choice; then this person's uploads, as the server lists them (GET
// /api/uploads, polled: any replica answers) with live progress for the ones this tab is
// sending. Nothing here reruns the Streamlit script: progress never costs a page run.
// A local library gets its bytes through the app's tus route (tus-js-client, served by the
// app, 32 MiB chunks); a bucket straight from the browser (oci.js). Choosing a file again
// that was cut short (closed tab, sleeping phone) resumes it: the server matches it by
// name, size and last-modified time. Transfers live on `window`, not in the DOM, so they
// go on while the person looks at another page of the app, and show again on return.

const STATE = Symbol.for("homemovies.uploader.state");
const NEW_FOLDER = "\u0000new";
const TUS_RETRY_MS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];
const RESTART_MS = 30000; // a transfer that gave up (storage down) tries again after this
const POLL_BUSY_MS = 2000;
const POLL_IDLE_MS = 20000;

const registry = (window.__hmUploads = window.__hmUploads || {
  transfers: new Map(), // upload id -> transfer (this tab's)
  failures: [], // files refused before an upload existed: [{key, name, size, label}]
  queue: [], // transfers waiting for their turn (one file at a time)
  busy: false,
  views: new Set(), // redraw callbacks of the mounted uploaders
  polls: new Set(), // and their "ask the server now" callbacks
});

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function size(bytes) {
  let value = bytes;
  for (const unit of ["B", "KB", "MB", "GB"]) {
    if (value < 1000 || unit === "GB") return unit === "B" ? `${value} B` : `${value.toFixed(1)} ${unit}`;
    value /= 1000;
  }
  return "";
}

function timeLeft(seconds) {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s left`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min left`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min left`;
}

function redraw() {
  for (const view of registry.views) view();
}

function makeApi(data) {
  return {
    base: data.api,
    async call(method, url, body, token) {
      const headers = { "X-HM-Upload": token };
      if (body !== null && body !== undefined) headers["Content-Type"] = "application/json";
      const answer = await fetch(url, {
        method, credentials: "same-origin", headers,
        body: body !== null && body !== undefined ? JSON.stringify(body) : undefined,
      });
      let payload = null;
      try {
        payload = answer.status === 204 ? {} : await answer.json();
      } catch (_error) {
        payload = null;
      }
      if (!answer.ok) {
        const error = new Error((payload && payload.error) || `The server answered ${answer.status}.`);
        error.status = answer.status;
        throw error;
      }
      return payload;
    },
  };
}

// -- one transfer ---------------------------------------------------------------------------
function transferOf(file, started) {
  const controller = new AbortController();
  const transfer = {
    id: started.id, name: started.name, size: file.size, file, token: started.token,
    kind: started.kind, tusUrl: started.tus_url, partSize: started.part_size,
    base: started.received || 0, inflight: new Map(), samples: [], note: "", error: "",
    phase: "queued", controller, signal: controller.signal,
  };
  transfer.sent = () => {
    let total = transfer.base;
    for (const loaded of transfer.inflight.values()) total += loaded;
    return Math.min(total, transfer.size);
  };
  transfer.changed = () => {
    const now = performance.now();
    transfer.samples.push([now, transfer.sent()]);
    while (transfer.samples.length > 2 && now - transfer.samples[0][0] > 8000) transfer.samples.shift();
    scheduleRedraw();
  };
  return transfer;
}

// Progress is redrawn at most 4 times a second: often enough to read "41 % · 12 MB/s", and
// the upload's progress events (dozens a second per part in flight) do not redraw the list
// each frame on a phone whose CPU the upload itself needs.
const REDRAW_MS = 250;
let redrawPending = false;
let lastRedraw = -Infinity;
function scheduleRedraw() {
  if (redrawPending) return;
  redrawPending = true;
  setTimeout(() => requestAnimationFrame(() => {
    redrawPending = false;
    lastRedraw = performance.now();
    redraw();
  }), Math.max(0, lastRedraw + REDRAW_MS - performance.now()));
}

function liveLabel(transfer) {
  if (transfer.phase === "queued") return "Queued";
  if (transfer.phase === "finishing" || transfer.phase === "done") return "Finishing";
  if (transfer.error) return transfer.error;
  const percent = Math.floor((transfer.sent() * 100) / transfer.size);
  const parts = [`Uploading ${percent} %`];
  const [first, last] = [transfer.samples[0], transfer.samples[transfer.samples.length - 1]];
  if (first && last && last[0] - first[0] > 500) {
    const speed = ((last[1] - first[1]) * 1000) / (last[0] - first[0]);
    if (speed > 0) {
      parts.push(`${speed >= 1e7 ? Math.round(speed / 1e6) : (speed / 1e6).toFixed(1)} MB/s`);
      parts.push(timeLeft((transfer.size - transfer.sent()) / speed));
    }
  }
  if (transfer.note) parts.push(transfer.note);
  return parts.join(" · ");
}

function loadTus(url) {
  if (!window.__hmTus) {
    window.__hmTus = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = () => (window.tus ? resolve(window.tus) : reject(new Error("no tus")));
      script.onerror = () => reject(new Error("The upload helper could not be loaded."));
      document.head.appendChild(script);
    });
  }
  return window.__hmTus;
}

async function tusSend(transfer, data) {
  const tus = await loadTus(data.tusJs);
  await new Promise((resolve, reject) => {
    const upload = new tus.Upload(transfer.file, {
      uploadUrl: new URL(transfer.tusUrl, window.location.href).href,
      chunkSize: data.tusChunk,
      retryDelays: TUS_RETRY_MS,
      headers: { "X-HM-Upload": transfer.token },
      storeFingerprintForResuming: false,
      onProgress: (sent) => {
        transfer.inflight.set(0, sent - transfer.base);
        transfer.changed();
      },
      onSuccess: resolve,
      onError: (error) => {
        const status = error.originalResponse ? error.originalResponse.getStatus() : 0;
        const text = error.originalResponse ? error.originalResponse.getBody() : "";
        reject(Object.assign(new Error(text || "The connection to the server was lost."), {
          status, retry: status === 0 || status >= 500,
        }));
      },
    });
    transfer.signal.addEventListener("abort", () => {
      upload.abort(false);
      reject(transfer.signal.reason);
    }, { once: true });
    upload.start();
  });
}

async function send(transfer, data, api) {
  transfer.phase = "sending";
  transfer.changed();
  try {
    if (transfer.kind === "oci") await ociSend(transfer, api);
    else await tusSend(transfer, data);
    transfer.phase = "finishing";
    transfer.changed();
    await api.call("POST", `${api.base}/${transfer.id}/complete`, {}, transfer.token);
    transfer.phase = "done"; // shown as "Finishing" until the server's list has it queued
    for (const poll of registry.polls) poll();
  } catch (error) {
    if (transfer.signal.aborted) return;
    transfer.inflight.clear();
    if (error.retry || error.status === 409 || error.status === 503) {
      // Storage or Redis down, or a network gone: wait, then go on from where it got to.
      transfer.error = `Waiting for the server · ${error.message}`;
      setTimeout(() => enqueue(transfer, data, api), RESTART_MS);
    } else {
      transfer.error = `Failed: ${error.message}`;
      transfer.phase = "failed";
    }
  }
  scheduleRedraw();
}

function enqueue(transfer, data, api) {
  if (transfer.signal.aborted) return;
  transfer.error = "";
  transfer.phase = "queued";
  registry.queue.push(() => send(transfer, data, api));
  pump();
}

async function pump() {
  if (registry.busy) return;
  registry.busy = true;
  try {
    for (let next = registry.queue.shift(); next; next = registry.queue.shift()) await next();
  } finally {
    registry.busy = false;
  }
}
