// The Home Movies video player (an st.components.v2 module).
//
// Streamlit calls the default export each time the component mounts and again,
// on the same DOM, whenever its `data` (or the theme) changes. It keeps only the
// cleanup returned by the *last* call and runs it at unmount, so this module
// tears down the previous video itself at the start of every call.

const STATE = Symbol.for("homemovies.player.state");
const HLS_MIME = "application/vnd.apple.mpegurl";
const ERROR_TEXT = "This video could not be played.";
// Seconds of playback between progress reports: often enough to resume close to
// where a viewer stopped, rare enough to be no load on the server.
const PROGRESS_EVERY_S = 10;
// Seek previews: a thumbnails index bigger than this is not read (a 14-hour movie's is ~300 KB).
const THUMBNAILS_MAX_CHARS = 2_000_000;
// Arrow keys on the seek bar move this far; the preview stays up this long after a key.
const KEY_STEP_S = 10;
const KEY_PREVIEW_MS = 1500;

// hls.js is loaded at most once per page, however many players mount; the
// promise lives on window because this module may be evaluated more than once
// (Streamlit imports it from a blob URL that changes when the code changes).
function loadHlsJs(url) {
  if (window.Hls) return Promise.resolve(window.Hls);
  if (!window.__homemoviesHlsJs) {
    window.__homemoviesHlsJs = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = () =>
        window.Hls ? resolve(window.Hls) : reject(new Error("hls.js did not define Hls"));
      script.onerror = () => reject(new Error(`could not load ${url}`));
      document.head.appendChild(script);
    }).catch((err) => {
      // Forget the failure so that a later mount may try again.
      window.__homemoviesHlsJs = null;
      throw err;
    });
  }
  return window.__homemoviesHlsJs;
}

function progressReporter(data, video) {
  if (!data.progressUrl || !data.progressToken) return () => {};
  let lastPosition = null;
  return () => {
    // "pause" and "ended" both fire at the end of a video: report that position once.
    if (video.currentTime === lastPosition) return;
    lastPosition = video.currentTime;
    postProgress(data, video);
  };
}

function postProgress(data, video) {
  const body = JSON.stringify({
    token: data.progressToken,
    position: video.currentTime,
    duration: Number.isFinite(video.duration) ? video.duration : null,
  });
  // keepalive lets the last report (pause, leaving the page) outlive the page.
  fetch(data.progressUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    keepalive: true,
  }).catch(() => {
    // Progress is a convenience; playback must never suffer from a failed report.
  });
}

// A playback URL can stop working before it expires: an OCI PAR dies with its creator, and
// a redeploy replaces the app's replicas, which made it. The app then hands out a new URL
// (POST renewUrl with the page's signed renewToken); null if it has none.
async function renewedSrc(data) {
  if (!data.renewUrl || !data.renewToken) return null;
  try {
    const response = await fetch(new URL(data.renewUrl, document.baseURI), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: data.renewToken, src: data.src }),
    });
    const body = response.ok ? await response.json() : null;
    return body && typeof body.src === "string" && body.src !== data.src ? body.src : null;
  } catch {
    return null;
  }
}

function buildVideo(data) {
  const video = document.createElement("video");
  video.controls = true;
  video.playsInline = true;
  // The player is shown to be played: buffer on at once. ("metadata" stopped loading after
  // the first bytes until play() came, one more round of requests before the first frame.)
  video.preload = "auto";
  if (data.title) {
    video.setAttribute("aria-label", data.title);
    video.title = data.title;
  }
  if (data.poster) video.poster = data.poster;
  if (data.subtitles.length > 0) {
    // Cross-origin <track> files (object storage) load only in CORS mode.
    video.crossOrigin = "anonymous";
  }
  for (const sub of data.subtitles) {
    const track = document.createElement("track");
    track.kind = "subtitles";
    track.src = sub.src;
    track.srclang = sub.language;
    track.label = sub.label;
    video.appendChild(track);
  }
  return video;
}

// -- seek previews ----------------------------------------------------------------------------
// A WebVTT thumbnails index (`thumbs-0001.jpg#xywh=x,y,w,h` cues) is read here rather than
// through a <track kind="metadata">: browsers differ in when (and whether) they load and
// expose such tracks, and this way hls.js and native HLS need nothing different.

function parseTimestamp(text) {
  const match = /^(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})$/.exec(text || "");
  if (!match) return NaN;
  const [, hours, minutes, seconds, fraction] = match;
  return (Number(hours || 0) * 3600 + Number(minutes) * 60 + Number(seconds) +
    Number(fraction.padEnd(3, "0")) / 1000);
}

// Cues in time order: {start, end, url, x, y, w, h}; sprite URLs are resolved against the
// index's own URL (the movie folder's playback URL), so no sprite needs a grant of its own.
function parseThumbnails(text, indexUrl) {
  const cues = [];
  if (!/^\uFEFF?WEBVTT(?:[ \t\n]|$)/.test(text)) return cues;
  for (const block of text.replace(/\r\n?/g, "\n").split(/\n{2,}/)) {
    const lines = block.split("\n").map((line) => line.trim()).filter(Boolean);
    const timing = lines.findIndex((line) => line.includes("-->"));
    if (timing < 0 || timing + 1 >= lines.length) continue;
    const [from, to] = lines[timing].split("-->").map((part) => part.trim().split(/\s+/)[0]);
    const start = parseTimestamp(from);
    const end = parseTimestamp(to);
    if (!(end > start)) continue;
    const payload = lines[timing + 1];
    const mark = payload.indexOf("#xywh=");
    if (mark <= 0) continue;
    const box = payload.slice(mark + 6).replace(/^pixel:/, "").split(",").map(Number);
    if (box.length !== 4 || !box.every((n) => Number.isInteger(n) && n >= 0)) continue;
    if (box[2] === 0 || box[3] === 0) continue;
    let url;
    try {
      url = new URL(payload.slice(0, mark), indexUrl);
    } catch {
      continue;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") continue;
    const [x, y, w, h] = box;
    cues.push({ start, end, url: url.href, x, y, w, h });
  }
  return cues.sort((a, b) => a.start - b.start);
}

function cueAt(cues, time) {
  // The last cue starting at or before `time` (binary search: a long movie has thousands).
  let low = 0;
  let high = cues.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (cues[middle].start <= time) low = middle;
    else high = middle - 1;
  }
  return cues[low];
}

function clockTime(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

async function loadThumbnails(given, signal) {
  const url = new URL(given, document.baseURI).href;
  // The URL itself is the credential (a PAR or a signed path): no cookies, here or cross-origin.
  const response = await fetch(url, { credentials: "omit", signal });
  if (!response.ok) throw new Error(`thumbnails: HTTP ${response.status}`);
  const declared = Number(response.headers.get("content-length"));
  if (declared > THUMBNAILS_MAX_CHARS) throw new Error("thumbnails: index too big");
  const text = await response.text();
  if (text.length > THUMBNAILS_MAX_CHARS) throw new Error("thumbnails: index too big");
  return parseThumbnails(text, response.url || url);
}

function element(tag, className) {
  const el = document.createElement(tag);
  el.className = className;
  return el;
}

// Native controls cannot be styled or measured (where their timeline starts and ends differs
// by browser), so the preview belongs to a seek bar of our own, just below the picture:
// hover (mouse, pen) or drag (touch) shows the tile for that moment above the bar, a click
// or the end of a drag seeks there. Native controls keep working as before.
function seekPreviews(root, video, cues, on) {
  const bar = element("div", "hm-player__scrub");
  bar.tabIndex = 0;
  bar.setAttribute("role", "slider");
  bar.setAttribute("aria-label", "Seek, with previews");
  bar.setAttribute("aria-valuemin", "0");
  const track = element("div", "hm-player__track");
  const played = element("div", "hm-player__played");
  const pointed = element("div", "hm-player__pointed");
  track.append(pointed, played);
  bar.append(track);
  const preview = element("div", "hm-player__preview");
  preview.hidden = true;
  preview.setAttribute("aria-hidden", "true");
  const tile = element("div", "hm-player__tile");
  const label = element("div", "hm-player__time");
  preview.append(tile, label);
  root.append(bar, preview);

  const lastEnd = cues[cues.length - 1].end;
  const duration = () =>
    Number.isFinite(video.duration) && video.duration > 0 ? video.duration : lastEnd;
  const timeAt = (clientX) => {
    const box = track.getBoundingClientRect();
    const fraction = box.width > 0 ? (clientX - box.left) / box.width : 0;
    return Math.min(Math.max(fraction, 0), 1) * duration();
  };

  const show = (time) => {
    const cue = cueAt(cues, time);
    tile.style.width = `${cue.w}px`;
    tile.style.height = `${cue.h}px`;
    // The URL came through new URL(), which percent-encodes quotes: it cannot end the string.
    tile.style.backgroundImage = `url("${cue.url}")`;
    tile.style.backgroundPosition = `${-cue.x}px ${-cue.y}px`;
    label.textContent = clockTime(time);
    preview.dataset.time = time.toFixed(3);
    preview.hidden = false;
    const fraction = time / duration();
    pointed.style.width = `${fraction * 100}%`;
    // Centred over the pointer, never past the player's edges.
    const rootBox = root.getBoundingClientRect();
    const trackBox = track.getBoundingClientRect();
    const width = preview.offsetWidth;
    const centre = trackBox.left - rootBox.left + fraction * trackBox.width;
    const left = Math.min(Math.max(centre - width / 2, 0), Math.max(rootBox.width - width, 0));
    preview.style.left = `${left}px`;
  };
  const hide = () => {
    preview.hidden = true;
    pointed.style.width = "0";
  };
  const seek = (time) => {
    video.currentTime = Math.min(Math.max(time, 0), duration());
    drawPlayed();
  };
  const drawPlayed = () => {
    const whole = duration();
    played.style.width = `${(Math.min(video.currentTime / whole, 1) * 100).toFixed(3)}%`;
    bar.setAttribute("aria-valuemax", String(Math.round(whole)));
    bar.setAttribute("aria-valuenow", String(Math.round(video.currentTime)));
    bar.setAttribute("aria-valuetext", `${clockTime(video.currentTime)} of ${clockTime(whole)}`);
  };
  drawPlayed();
  for (const name of ["timeupdate", "durationchange", "seeking", "loadedmetadata"]) {
    on(video, name, drawPlayed);
  }

  // One pointer at a time drags; a mouse or pen that merely hovers previews too.
  let dragging = null;
  on(bar, "pointerdown", (event) => {
    if (dragging !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    dragging = event.pointerId;
    try {
      bar.setPointerCapture(event.pointerId); // the drag goes on past the bar's ends
    } catch {
      // A pointer the browser no longer knows of: the drag still works while over the bar.
    }
    show(timeAt(event.clientX));
    event.preventDefault(); // no text selection, no emulated mouse events after a touch
  });
  on(bar, "pointermove", (event) => {
    if (event.pointerId === dragging || (dragging === null && event.pointerType !== "touch")) {
      show(timeAt(event.clientX));
    }
  });
  on(bar, "pointerup", (event) => {
    if (event.pointerId !== dragging) return;
    dragging = null;
    seek(timeAt(event.clientX));
    if (event.pointerType === "touch") hide(); // a finger that left the glass hovers nowhere
  });
  on(bar, "pointercancel", (event) => {
    if (event.pointerId !== dragging) return;
    dragging = null;
    hide();
  });
  on(bar, "pointerleave", (event) => {
    if (dragging === null && event.pointerType !== "touch") hide();
  });

  // Keyboard and TV remotes: arrows step through the movie with the preview showing.
  let keyTimer = 0;
  const steps = {
    ArrowLeft: -KEY_STEP_S, ArrowDown: -KEY_STEP_S, ArrowRight: KEY_STEP_S, ArrowUp: KEY_STEP_S,
    PageDown: -6 * KEY_STEP_S, PageUp: 6 * KEY_STEP_S,
  };
  on(bar, "keydown", (event) => {
    let target;
    if (event.key in steps) target = video.currentTime + steps[event.key];
    else if (event.key === "Home") target = 0;
    else if (event.key === "End") target = duration();
    else return;
    event.preventDefault();
    seek(target);
    show(Math.min(Math.max(target, 0), duration()));
    clearTimeout(keyTimer);
    keyTimer = setTimeout(hide, KEY_PREVIEW_MS);
  });
  on(bar, "blur", hide);
  return () => clearTimeout(keyTimer);
}

function mount(root, data) {
  const events = new AbortController();
  const on = (target, name, fn) => target.addEventListener(name, fn, { signal: events.signal });
  let hls = null;
  let torn = false;

  const video = buildVideo(data);
  const message = document.createElement("div");
  message.className = "hm-player__error";
  message.setAttribute("role", "alert");
  message.hidden = true;
  message.textContent = ERROR_TEXT;
  root.replaceChildren(video, message);

  const fail = (why) => {
    if (torn) return;
    console.warn("homemovies player:", why);
    video.dataset.error = "1";
    message.hidden = false;
  };

  // A failed load may be a dead playback URL: ask for a new one (once per URL) and go on
  // from where the viewer was with `replay(src, at)`; otherwise, or if none comes, fail.
  let replay = (src) => {
    video.src = src;
  };
  const renewed = new Set();
  let renewing = false;
  const renewOrFail = (why) => {
    if (renewing) return; // the errors of a dying URL come in bursts: one request
    if (torn || renewed.has(data.src)) return fail(why);
    renewed.add(data.src);
    renewing = true;
    const at = video.currentTime > 0 ? video.currentTime : data.startAt;
    renewedSrc(data).then((src) => {
      renewing = false;
      if (torn) return;
      if (!src) return fail(why);
      video.dataset.renewed = String(renewed.size);
      data.src = src;
      data.startAt = at; // loadedmetadata (below) starts the new URL there
      replay(src, at);
    });
  };

  // Start where the viewer left off, unless that is at (or past) the end: seek once the
  // duration is known, then play. From the beginning, play is also asked for with the
  // source (below), so the browser starts the moment it has a frame.
  on(video, "loadedmetadata", () => {
    const start = data.startAt;
    const end = Number.isFinite(video.duration) ? video.duration - 1 : Infinity;
    if (start > 0 && start < end && video.currentTime < start - 0.5) {
      video.currentTime = start;
    }
    autoplay(video);
  });
  on(video, "error", () =>
    renewOrFail(video.error ? `media error ${video.error.code}` : "media error"),
  );

  // Seek previews, once their index has loaded; without one the player is as it always was.
  let stopPreviews = () => {};
  if (data.thumbnails) {
    loadThumbnails(data.thumbnails, events.signal).then(
      (cues) => {
        if (!torn && cues.length > 0) stopPreviews = seekPreviews(root, video, cues, on);
      },
      (err) => {
        if (!torn) console.warn("homemovies player: no seek previews:", err.message);
      },
    );
  }

  // Progress: every PROGRESS_EVERY_S seconds actually played, and on pause/end.
  const reportProgress = progressReporter(data, video);
  let lastTime = 0;
  let playedSinceReport = 0;
  on(video, "timeupdate", () => {
    const delta = video.currentTime - lastTime;
    lastTime = video.currentTime;
    // Seeks jump by more than a couple of seconds; they are not playback.
    if (delta > 0 && delta < 2) playedSinceReport += delta;
    if (playedSinceReport >= PROGRESS_EVERY_S) {
      playedSinceReport = 0;
      reportProgress();
    }
  });
  on(video, "pause", () => {
    playedSinceReport = 0;
    reportProgress();
  });
  // "ended" follows a "pause" in most browsers but not all.
  on(video, "ended", () => reportProgress());

  const fromTheStart = () => {
    if (data.startAt <= 0) autoplay(video);
  };
  if (data.kind === "progressive") {
    video.dataset.engine = "progressive";
    video.src = data.src;
    fromTheStart();
  } else if (!data.forceHlsjs && video.canPlayType(HLS_MIME)) {
    video.dataset.engine = "native";
    video.src = data.src;
    fromTheStart();
  } else {
    video.dataset.engine = "hlsjs";
    loadHlsJs(data.hlsUrl).then(
      (Hls) => {
        if (torn) return;
        if (!Hls.isSupported()) {
          fail("neither native HLS nor Media Source Extensions");
          return;
        }
        let recoveredMedia = false;
        replay = (src, at) => {
          if (hls) hls.destroy();
          hls = new Hls({ startPosition: at > 0 ? at : -1 });
          hls.on(Hls.Events.ERROR, (_event, err) => {
            if (!err.fatal) return;
            // A decoding hiccup is often recoverable once; a missing playlist is not.
            if (err.type === Hls.ErrorTypes.MEDIA_ERROR && !recoveredMedia) {
              recoveredMedia = true;
              hls.recoverMediaError();
              return;
            }
            const why = `hls.js ${err.type}: ${err.details}`;
            if (err.type === Hls.ErrorTypes.NETWORK_ERROR) renewOrFail(why);
            else fail(why);
          });
          hls.loadSource(src);
          hls.attachMedia(video);
        };
        replay(data.src, data.startAt);
        fromTheStart();
      },
      (err) => fail(err.message),
    );
  }

  return () => {
    torn = true;
    events.abort();
    stopPreviews();
    // Report where the viewer was before the player goes away (new video, page change).
    if (!video.paused && video.currentTime > 0) reportProgress();
    if (hls) hls.destroy();
    video.pause();
    // Dropping src and reloading releases the network connection and decoder now,
    // rather than whenever the element is garbage-collected.
    video.removeAttribute("src");
    video.load();
    root.replaceChildren();
  };
}

function autoplay(video) {
  const attempt = video.play();
  if (!attempt) return;
  attempt.catch((err) => {
    // Browsers refuse unmuted autoplay without a user gesture; muted is allowed.
    // Anything else (an aborted load) is not ours to retry.
    if (err && err.name === "NotAllowedError" && !video.muted) {
      video.muted = true;
      video.play().catch(() => {});
    }
  });
}

function normalise(raw) {
  const data = raw || {};
  return {
    src: String(data.src || ""),
    kind: data.kind === "hls" ? "hls" : "progressive",
    title: String(data.title || ""),
    poster: data.poster || null,
    startAt: Number(data.startAt) || 0,
    forceHlsjs: Boolean(data.forceHlsjs),
    subtitles: Array.isArray(data.subtitles) ? data.subtitles : [],
    progressUrl: data.progressUrl || null,
    progressToken: data.progressToken || null,
    renewUrl: data.renewUrl || null,
    renewToken: data.renewToken || null,
    thumbnails: data.thumbnails ? String(data.thumbnails) : null,
    hlsUrl: String(data.hlsUrl || "/player/hls.min.js"),
    restart: String(data.restart || ""),
  };
}

export default function (component) {
  const { parentElement } = component;
  const root = parentElement.querySelector(".hm-player");
  if (!root) return undefined;
  const data = normalise(component.data);
  // What is playing, without where a visit started and the tokens it sends: a page drawn
  // again by a new session (a reconnect to another replica) computes them anew, and must
  // not make a playing video jump back. "Start over" changes `restart`. A player whose
  // URL was renewed plays on whether the page hands it the old URL or the renewed one.
  const keyOf = (d) =>
    JSON.stringify({ ...d, startAt: null, progressToken: null, renewToken: null });
  const key = keyOf(data);

  const previous = root[STATE];
  // A theme change, or the same video drawn again: keep it playing, with the new tokens.
  if (previous && (previous.key === key || keyOf(previous.data) === key)) {
    previous.data.progressToken = data.progressToken;
    previous.data.renewToken = data.renewToken;
    return previous.teardown;
  }
  if (previous) previous.teardown();

  const teardown = mount(root, data);
  const state = {
    key,
    data,
    teardown: () => {
      if (root[STATE] !== state) return;
      root[STATE] = null;
      teardown();
    },
  };
  root[STATE] = state;
  return state.teardown;
}
