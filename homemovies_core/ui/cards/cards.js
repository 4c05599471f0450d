// The library's video cards (an st.components.v2 module): one component draws a whole grid.
//
// Each card holds one real link, its title: the name a screen reader says and a voice user
// speaks starts with the words on screen ("Beach day, play"), and the card's other words
// (folder, date, length) are its description, heard after the name rather than before it.
// The link's hit area is stretched over the whole card (cards.css), so tapping anywhere on a
// card opens it, as in every media app. A plain click opens the page inside the app, as
// Streamlit's own page links do (`follow`); a long press, a middle click or a click with a
// modifier keeps the browser's own meaning (a new tab or window). Text goes in with
// textContent only: names come from files and are never parsed as HTML.

const STATE = Symbol.for("homemovies.cards.state");
// Ids for aria-describedby: unique across every grid on the page, however this module is
// loaded (once for all grids or once per grid).
const ID_PREFIX = `hm-card-${Math.random().toString(36).slice(2, 8)}`;
let lastId = 0;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function described(node) {
  lastId += 1;
  node.id = `${ID_PREFIX}-${lastId}`;
  return node;
}

function poster(item, badge) {
  const box = el("span", "hm-card__poster");
  if (item.poster) {
    const img = el("img");
    img.src = item.poster;
    img.alt = "";
    img.loading = "lazy";
    img.decoding = "async";
    img.onerror = () => img.remove(); // the placeholder behind it shows
    box.append(img);
  }
  if (badge) box.append(badge);
  return box;
}

function watched(progress) {
  const bar = el("span", "hm-card__bar");
  const percent = Math.round(Math.min(1, Math.max(0, progress)) * 100);
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-label", "Watched");
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", "100");
  bar.setAttribute("aria-valuenow", String(percent));
  const fill = el("span");
  fill.style.width = `${percent}%`;
  bar.append(fill);
  return bar;
}

// A video still being added: its title and its state, and nothing to open (no player yet).
function pendingCard(item) {
  const box = el("div", "hm-card hm-card--pending");
  box.append(poster({}, null), el("span", "hm-card__title", item.title));
  box.append(el("span", "hm-card__facts", item.pending || ""));
  return box;
}

// Where a card leads, as an absolute URL of this app; null for anything else (the server
// only ever sends a page of the app, relative to this one: refuse what is not).
function target(href) {
  if (typeof href !== "string" || !href) return null;
  try {
    const url = new URL(href, window.location.href);
    return url.origin === window.location.origin ? url : null;
  } catch {
    return null;
  }
}

// Open the card's page the way Streamlit's own page links do: the address changes through
// the History API, and Streamlit's frontend, which follows history changes (the browser's
// Back and Forward buttons), asks the server for that page and its query string with one
// script run. A click the browser gives another meaning (new tab, new window, download) is
// left to the browser.
function follow(event, url) {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  ) {
    return;
  }
  event.preventDefault();
  window.history.pushState({}, "", url.href);
  window.dispatchEvent(new PopStateEvent("popstate", { state: {} }));
}

function card(item) {
  const url = target(item.href);
  if (item.pending || !url) return pendingCard(item);
  const part = (className, text) => (text ? described(el("span", className, text)) : null);
  const badge = part("hm-card__badge", item.badge);
  const folder = part("hm-card__folder", item.folder && `📁 ${item.folder}`);
  const facts = part("hm-card__facts", item.facts);
  const link = el("a", "hm-card__open", item.title);
  link.href = url.href;
  link.dataset.key = item.key;
  link.setAttribute("aria-label", `${item.title}, ${item.download ? "details" : "play"}`);
  // Heard after the name, in the order they matter: where, when and how long, the format.
  const details = [folder, facts, badge].filter(Boolean);
  if (details.length) {
    link.setAttribute("aria-describedby", details.map((node) => node.id).join(" "));
  }
  link.addEventListener("click", (event) => follow(event, url));
  const box = el("div", "hm-card");
  box.append(poster(item, badge));
  if (typeof item.progress === "number") box.append(watched(item.progress));
  box.append(link, ...[folder, facts].filter(Boolean));
  return box;
}

export default function (component) {
  const { parentElement, data } = component;
  const root = parentElement.querySelector(".hm-cards");
  if (!root) return undefined;
  const items = Array.isArray(data && data.cards) ? data.cards : [];
  const key = JSON.stringify(items);
  if (root[STATE] === key) return undefined; // a theme change: nothing to redraw
  root[STATE] = key;
  root.setAttribute("aria-label", (data && data.label) || "Videos");
  root.replaceChildren(...items.map((item) => {
    const li = el("li", "hm-cards__item");
    li.append(card(item));
    return li;
  }));
  return undefined;
}
