// Uploads straight to OCI Object Storage through a write PAR, as Oracle documents it
// ("Pre-Authenticated Request Object URLs", Putting a Large Object):
//   PUT <PAR URL> with `opc-multipart: true`  -> JSON with an upload-specific accessUri
//   PUT <endpoint><accessUri><part number>    -> one part (here 3 at a time, retried)
//   POST <endpoint><accessUri>                -> commit;   DELETE -> abort
// No byte of the video passes through the app. The accessUri and the parts done are kept
// in this browser's localStorage, so a closed tab or a phone that slept resumes with only
// the missing parts when the same file is chosen again.

const OCI_PARALLEL = 3;
const OCI_RETRY_MS = [1000, 2000, 4000, 8000, 15000, 30000, 60000, 60000];

class PartsGone extends Error {} // the upload-specific URL stopped working: start over

const ociKey = (id) => `homemovies.upload.${id}`;

function ociLoad(id) {
  try {
    const found = JSON.parse(localStorage.getItem(ociKey(id)) || "null");
    return found && typeof found.uri === "string" && found.partSize > 0 ? found : null;
  } catch (_error) {
    return null;
  }
}

function ociSave(id, state) {
  try {
    localStorage.setItem(ociKey(id), JSON.stringify(state));
  } catch (_error) {
    // Storage full or off: the upload goes on, it just cannot resume after the tab closes.
  }
}

function ociForget(id) {
  try {
    localStorage.removeItem(ociKey(id));
  } catch (_error) {
    // nothing kept, nothing to forget
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

function online(signal) {
  if (navigator.onLine !== false) return Promise.resolve();
  return new Promise((resolve, reject) => {
    window.addEventListener("online", resolve, { once: true });
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

// One PUT with upload progress (fetch has none); resolves {status, etag}, status 0 on a
// network failure; rejects only when the transfer is cancelled.
function putBlob(url, blob, onProgress, signal) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => resolve({ status: xhr.status, etag: xhr.getResponseHeader("etag") });
    xhr.onerror = () => resolve({ status: 0, etag: null });
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => reject(signal.reason);
    signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(blob);
  });
}

function partRange(transfer, state, number) {
  const start = (number - 1) * state.partSize;
  return [start, Math.min(transfer.size, start + state.partSize)];
}

function partLength(transfer, state, number) {
  const [start, end] = partRange(transfer, state, number);
  return end - start;
}

async function putPart(transfer, state, number, signal) {
  const [start, end] = partRange(transfer, state, number);
  const blob = transfer.file.slice(start, end);
  for (let attempt = 0; ; attempt += 1) {
    await online(signal);
    const result = await putBlob(state.uri + number, blob, (loaded) => {
      transfer.inflight.set(number, loaded);
      transfer.changed();
    }, signal);
    transfer.inflight.delete(number);
    if (result.status >= 200 && result.status < 300) return result.etag || "";
    if (result.status === 404) throw new PartsGone();
    const retryable = result.status === 0 || result.status === 408 || result.status === 429
      || result.status >= 500;
    if (!retryable) throw new Error(`The storage refused part ${number} (${result.status}).`);
    if (attempt >= OCI_RETRY_MS.length) {
      throw Object.assign(new Error("The storage cannot be reached right now."), { retry: true });
    }
    transfer.note = "Connection lost · retrying";
    transfer.changed();
    await sleep(OCI_RETRY_MS[attempt] * (0.75 + Math.random() / 2), signal);
    transfer.note = "";
  }
}

async function ociBegin(transfer, api) {
  const link = await api.call("POST", `${api.base}/${transfer.id}/link`, {}, transfer.token);
  const answer = await fetch(link.url, {
    method: "PUT", headers: { "opc-multipart": "true" }, signal: transfer.signal,
  });
  if (!answer.ok) throw new Error(`The storage refused the upload (${answer.status}).`);
  const made = await answer.json();
  const state = { uri: new URL(link.url).origin + made.accessUri, partSize: link.part_size, done: {} };
  ociSave(transfer.id, state);
  return state;
}

async function ociParts(transfer, state, api) {
  const count = Math.max(1, Math.ceil(transfer.size / state.partSize));
  const todo = [];
  transfer.base = 0;
  for (let number = 1; number <= count; number += 1) {
    if (state.done[number] === undefined) todo.push(number);
    else transfer.base += partLength(transfer, state, number);
  }
  transfer.inflight = new Map();
  transfer.changed();
  // One part failing for good stops the others (and Cancel stops them all).
  const round = new AbortController();
  const stop = () => round.abort(transfer.signal.reason);
  transfer.signal.addEventListener("abort", stop, { once: true });
  const worker = async () => {
    for (let number = todo.shift(); number !== undefined; number = todo.shift()) {
      state.done[number] = await putPart(transfer, state, number, round.signal);
      ociSave(transfer.id, state);
      transfer.base += partLength(transfer, state, number);
      transfer.changed();
      api.call("POST", `${api.base}/${transfer.id}/progress`, { received: transfer.base },
        transfer.token).catch(() => {}); // how others see this upload: best effort
    }
  };
  const workers = Array.from({ length: Math.min(OCI_PARALLEL, todo.length) }, () =>
    worker().catch((error) => {
      round.abort(error);
      throw error;
    }));
  try {
    const results = await Promise.allSettled(workers);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw transfer.signal.aborted ? transfer.signal.reason : round.signal.reason;
  } finally {
    transfer.signal.removeEventListener("abort", stop);
    transfer.inflight.clear();
  }
}

async function ociCommit(transfer, state) {
  const answer = await fetch(state.uri, { method: "POST", signal: transfer.signal });
  // 404: committed already (the answer to an earlier commit was lost); the app checks.
  if (!answer.ok && answer.status !== 404) {
    throw new Error(`The storage could not put the upload together (${answer.status}).`);
  }
}

// The whole upload of `transfer` (see uploader.js), resuming from localStorage if it can.
async function ociSend(transfer, api) {
  for (let round = 0; ; round += 1) {
    const state = ociLoad(transfer.id) || await ociBegin(transfer, api);
    try {
      await ociParts(transfer, state, api);
      await ociCommit(transfer, state);
      ociForget(transfer.id);
      return;
    } catch (error) {
      if (!(error instanceof PartsGone) || round > 0) throw error;
      ociForget(transfer.id); // the URL expired or the upload was swept: once more from 0
    }
  }
}

// Cancel: abort the multipart upload through its URL (the app's sweep would, later).
function ociAbort(id) {
  const state = ociLoad(id);
  ociForget(id);
  if (state) fetch(state.uri, { method: "DELETE" }).catch(() => {});
}
