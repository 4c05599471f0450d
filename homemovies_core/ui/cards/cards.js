// The library's video cards (an st.components.v2 module): one component draws a whole grid.
//
// Each card holds one real <button>, its title: the name a screen reader says and a voice
// user speaks starts with the words on screen ("Beach day, play"), and the card's other
// words (folder, date, length) are its description, heard after the name rather than
// before it. The button's hit area is stretched over the whole card (cards.css), so tapping
// anywhere on a card opens it, as in every media app. A tap sets the trigger value "open" to
// the video's key; the page's callback acts on it before the script runs, so no rerun can
// swallow it. Text goes in with textContent only: names come from files and are never
// parsed as HTML.

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
  box.append(el("span", "hm-card__facts", item.pending));
  return box;
}

function card(item, open) {
  if (item.pending) return pendingCard(item);
  const part = (className, text) => (text ? described(el("span", className, text)) : null);
  const badge = part("hm-card__badge", item.badge);
  const folder = part("hm-card__folder", item.folder && `📁 ${item.folder}`);
  const facts = part("hm-card__facts", item.facts);
  const button = el("button", "hm-card__open", item.title);
  button.type = "button";
  button.dataset.key = item.key;
  button.setAttribute("aria-label", `${item.title}, ${item.download ? "details" : "play"}`);
  // Heard after the name, in the order they matter: where, when and how long, the format.
  const details = [folder, facts, badge].filter(Boolean);
  if (details.length) {
    button.setAttribute("aria-describedby", details.map((node) => node.id).join(" "));
  }
  button.addEventListener("click", () => open(item.key));
  const box = el("div", "hm-card");
  box.append(poster(item, badge));
  if (typeof item.progress === "number") box.append(watched(item.progress));
  box.append(button, ...[folder, facts].filter(Boolean));
  return box;
}

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  const root = parentElement.querySelector(".hm-cards");
  if (!root) return undefined;
  const items = Array.isArray(data && data.cards) ? data.cards : [];
  const key = JSON.stringify(items);
  if (root[STATE] === key) return undefined; // a theme change: nothing to redraw
  root[STATE] = key;
  const open = (videoKey) => setTriggerValue("open", videoKey);
  root.setAttribute("aria-label", (data && data.label) || "Videos");
  root.replaceChildren(...items.map((item) => {
    const li = el("li", "hm-cards__item");
    li.append(card(item, open));
    return li;
  }));
  return undefined;
}
