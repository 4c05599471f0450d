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

function buildVideo(data) {
  const video = document.createElement("video");
  video.controls = true;
  video.playsInline = true;
  video.preload = "metadata";
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

  // Start where the viewer left off, unless that is at (or past) the end.
  on(video, "loadedmetadata", () => {
    const start = data.startAt;
    const end = Number.isFinite(video.duration) ? video.duration - 1 : Infinity;
    if (start > 0 && start < end && video.currentTime < start - 0.5) {
      video.currentTime = start;
    }
    autoplay(video);
  });
  on(video, "error", () => fail(video.error ? `media error ${video.error.code}` : "media error"));

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

  if (data.kind === "progressive") {
    video.dataset.engine = "progressive";
    video.src = data.src;
  } else if (!data.forceHlsjs && video.canPlayType(HLS_MIME)) {
    video.dataset.engine = "native";
    video.src = data.src;
  } else {
    video.dataset.engine = "hlsjs";
    loadHlsJs(data.hlsUrl).then(
      (Hls) => {
        if (torn) return;
        if (!Hls.isSupported()) {
          fail("neither native HLS nor Media Source Extensions");
          return;
        }
        hls = new Hls({ startPosition: data.startAt > 0 ? data.startAt : -1 });
        let recoveredMedia = false;
        hls.on(Hls.Events.ERROR, (_event, err) => {
          if (!err.fatal) return;
          // A decoding hiccup is often recoverable once; a missing playlist is not.
          if (err.type === Hls.ErrorTypes.MEDIA_ERROR && !recoveredMedia) {
            recoveredMedia = true;
            hls.recoverMediaError();
            return;
          }
          fail(`hls.js ${err.type}: ${err.details}`);
        });
        hls.loadSource(data.src);
        hls.attachMedia(video);
      },
      (err) => fail(err.message),
    );
  }

  return () => {
    torn = true;
    events.abort();
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
    hlsUrl: String(data.hlsUrl || "/player/hls.min.js"),
  };
}

export default function (component) {
  const { parentElement } = component;
  const root = parentElement.querySelector(".hm-player");
  if (!root) return undefined;
  const data = normalise(component.data);
  const key = JSON.stringify(data);

  const previous = root[STATE];
  // A theme change calls us again with the same data: keep the video playing.
  if (previous && previous.key === key) return previous.teardown;
  if (previous) previous.teardown();

  const teardown = mount(root, data);
  const state = {
    key,
    teardown: () => {
      if (root[STATE] !== state) return;
      root[STATE] = null;
      teardown();
    },
  };
  root[STATE] = state;
  return state.teardown;
}
