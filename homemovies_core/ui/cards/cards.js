// The library's video cards (an st.components.v2 module): one component draws a whole grid.
//
// Each card is one real <button> — poster, title and facts together — named "Play <title>"
// for screen readers, so tapping anywhere on a card opens it, as in every media app. A tap
// sets the trigger value "open" to the video's key; the page's callback acts on it before
// the script runs, so no rerun can swallow it. Text goes in with textContent only: names
// come from files and are never parsed as HTML.

const STATE = Symbol.for("homemovies.cards.state");

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function card(item, verb, open) {
  const button = el("button", "hm-card");
  button.type = "button";
  button.dataset.key = item.key;
  button.setAttribute("aria-label", `${verb(item)} ${item.title}`);
  const poster = el("span", "hm-card__poster");
  if (item.poster) {
    const img = el("img");
    img.src = item.poster;
    img.alt = "";
    img.loading = "lazy";
    img.decoding = "async";
    img.onerror = () => img.remove(); // the placeholder behind it shows
    poster.append(img);
  }
  if (item.badge) poster.append(el("span", "hm-card__badge", item.badge));
  button.append(poster);
  if (typeof item.progress === "number") {
    const bar = el("span", "hm-card__bar");
    const percent = Math.round(Math.min(1, Math.max(0, item.progress)) * 100);
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", "Watched");
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-valuenow", String(percent));
    const fill = el("span");
    fill.style.width = `${percent}%`;
    bar.append(fill);
    button.append(bar);
  }
  button.append(el("span", "hm-card__title", item.title));
  if (item.folder) button.append(el("span", "hm-card__folder", `📁 ${item.folder}`));
  if (item.facts) button.append(el("span", "hm-card__facts", item.facts));
  button.addEventListener("click", () => open(item.key));
  return button;
}

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  const root = parentElement.querySelector(".hm-cards");
  if (!root) return undefined;
  const items = Array.isArray(data && data.cards) ? data.cards : [];
  const key = JSON.stringify(items);
  if (root[STATE] === key) return undefined; // a theme change: nothing to redraw
  root[STATE] = key;
  const verb = (item) => (item.download ? "Details of" : "Play");
  const open = (videoKey) => setTriggerValue("open", videoKey);
  root.setAttribute("aria-label", (data && data.label) || "Videos");
  root.replaceChildren(...items.map((item) => {
    const li = el("li", "hm-cards__item");
    li.append(card(item, verb, open));
    return li;
  }));
  return undefined;
}
