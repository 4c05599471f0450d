// The uploader's form and list (follows oci.js and uploader.js in one module). The list is
// updated in place, row by row, so a Cancel button under a finger is never replaced while
// progress ticks: every click lands.

function folderChoice(form) {
  if (form.select.value !== NEW_FOLDER) return { folder: form.select.value };
  const name = form.newName.value.trim();
  return name ? { new_folder: name } : null;
}

async function choose(files, view) {
  const { data, api, form } = view;
  const where = folderChoice(form);
  if (!where) {
    view.say("Type a name for the new folder first.");
    form.newName.focus();
    return;
  }
  try {
    localStorage.setItem("homemovies.uploadFolder", form.select.value);
  } catch (_error) {
    // remembered for next time only if the browser lets us
  }
  view.say("");
  for (const file of files) {
    const body = { name: file.name, size: file.size, modified: file.lastModified, type: file.type, ...where };
    try {
      const started = await api.call("POST", api.base, body, view.token());
      const live = registry.transfers.get(started.id);
      if (live && !live.error) continue; // already being sent from this tab
      if (live) live.controller.abort("replaced");
      if (started.state === "uploading" || started.state === "paused") {
        const transfer = transferOf(file, started);
        registry.transfers.set(started.id, transfer);
        enqueue(transfer, data, api);
      }
    } catch (error) {
      registry.failures.unshift({ key: `${file.name}\u0000${Date.now()}`, name: file.name,
        size: file.size, label: `Failed: ${error.message}` });
    }
  }
  view.poll();
}

async function cancel(row, view) {
  const live = registry.transfers.get(row.id);
  if (live) live.controller.abort("cancelled");
  registry.transfers.delete(row.id);
  ociAbort(row.id);
  view.rows = view.rows.filter((r) => r.id !== row.id);
  view.render();
  try {
    await view.api.call("DELETE", `${view.api.base}/${row.id}`, null, row.token || (live && live.token));
  } catch (error) {
    view.say(error.message);
  }
  view.poll();
}

let formCount = 0;

// A visible <label for=…> per control (its whole text is the control's name).
function field(className, text, control) {
  formCount += 1;
  control.id = `hm-up-${formCount}`;
  const box = el("div", `hm-up__field ${className}`);
  const label = el("label", "hm-up__label", text);
  label.htmlFor = control.id;
  box.append(label, control);
  return box;
}

function buildForm(root, data) {
  const form = el("div", "hm-up__form");
  const select = el("select", "hm-up__select");
  const folderLabel = field("", "Folder", select);
  const newName = el("input", "hm-up__text");
  Object.assign(newName, { type: "text", maxLength: 80, autocomplete: "off" });
  const newLabel = field("", "Name of the new folder", newName);
  const input = el("input", "hm-up__file");
  Object.assign(input, { type: "file", multiple: true, accept: "video/*" });
  const pick = field("hm-up__pick", "Videos to add", input);
  form.append(folderLabel, newLabel, pick);
  const message = el("p", "hm-up__message");
  message.setAttribute("role", "status");
  message.setAttribute("aria-live", "polite");
  const list = el("ul", "hm-up__list");
  list.setAttribute("aria-label", "Your uploads");
  root.replaceChildren(form, message, list);
  const parts = { select, newLabel, newName, input, message, list };
  select.addEventListener("change", () => {
    newLabel.hidden = select.value !== NEW_FOLDER;
  });
  fillFolders(parts, data.folders);
  return parts;
}

function fillFolders(form, folders) {
  const keep = form.select.value || localStorage.getItem("homemovies.uploadFolder");
  const options = folders.map((f) => Object.assign(el("option", "", f.title), { value: f.key }));
  options.push(Object.assign(el("option", "", "New folder…"), { value: NEW_FOLDER }));
  form.select.replaceChildren(...options);
  const known = options.some((o) => o.value === keep);
  form.select.value = known ? keep : (folders.length ? folders[0].key : NEW_FOLDER);
  form.newLabel.hidden = form.select.value !== NEW_FOLDER;
}

function rowItem() {
  const li = el("li", "hm-up__item");
  const top = el("div", "hm-up__top");
  const name = el("span", "hm-up__name");
  const bytes = el("span", "hm-up__size");
  top.append(name, bytes);
  const bar = el("progress", "hm-up__bar");
  bar.max = 100;
  const bottom = el("div", "hm-up__bottom");
  const state = el("span", "hm-up__state");
  const link = el("a", "hm-up__link");
  const button = el("button", "hm-up__cancel", "Cancel");
  button.type = "button";
  bottom.append(state, link, button);
  li.append(top, bar, bottom);
  return { li, name, bytes, bar, state, link, button, row: null };
}

function fillRow(item, row, view) {
  const live = registry.transfers.get(row.id);
  const label = live ? liveLabel(live) : row.label;
  const percent = live ? Math.floor((live.sent() * 100) / live.size) : row.percent;
  item.row = row;
  item.name.textContent = row.name;
  item.bytes.textContent = size(row.size);
  item.state.textContent = label;
  item.li.dataset.state = live ? "uploading" : row.state;
  const moving = live || ["uploading", "paused", "processing"].includes(row.state);
  item.bar.hidden = !moving;
  item.bar.value = percent;
  item.bar.setAttribute("aria-label", `${row.name}: ${label}`);
  item.link.hidden = !row.video_key;
  if (row.video_key) {
    item.link.href = `${view.data.watch}?v=${encodeURIComponent(row.video_key)}`;
    item.link.textContent = row.state === "duplicate" ? "Open it" : "Play";
    item.link.setAttribute("aria-label", `${item.link.textContent}: ${row.name}`);
  }
  item.button.hidden = Boolean(row.finished) || !row.id;
  item.button.setAttribute("aria-label", `Cancel ${row.name}`);
}

function render(view) {
  const rows = [...view.rows];
  for (const row of rows) {
    const live = registry.transfers.get(row.id);
    if (live && live.phase === "done" && row.state !== "uploading" && row.state !== "paused") {
      registry.transfers.delete(row.id); // the server has it now: its state is the server's
    }
  }
  for (const transfer of registry.transfers.values()) {
    if (!rows.some((r) => r.id === transfer.id)) {
      rows.unshift({ id: transfer.id, name: transfer.name, size: transfer.size, state: "uploading",
        label: liveLabel(transfer), percent: 0, token: transfer.token, finished: false });
    }
  }
  for (const failure of registry.failures) {
    rows.unshift({ id: "", key: failure.key, name: failure.name, size: failure.size,
      state: "failed", label: failure.label, percent: 0, finished: true });
  }
  const wanted = new Set();
  const nodes = rows.map((row) => {
    const key = row.id || row.key;
    wanted.add(key);
    let item = view.items.get(key);
    if (!item) {
      item = rowItem();
      item.button.addEventListener("click", () => cancel(item.row, view));
      view.items.set(key, item);
    }
    fillRow(item, row, view);
    return item.li;
  });
  for (const key of [...view.items.keys()]) if (!wanted.has(key)) view.items.delete(key);
  // Move nodes only when the order changed: a node moved under the pointer drops its click.
  const current = [...view.form.list.children];
  if (current.length !== nodes.length || current.some((node, i) => node !== nodes[i])) {
    view.form.list.replaceChildren(...nodes);
  }
}

function startPolling(view) {
  let timer = null;
  const poll = async () => {
    clearTimeout(timer);
    if (!view.root.isConnected) {
      registry.views.delete(view.render);
      registry.polls.delete(poll);
      return;
    }
    try {
      const found = await view.api.call("GET", view.api.base, null, view.token());
      view.rows = found.uploads;
      view.render();
    } catch (error) {
      view.say(error.message);
    }
    const busy = registry.transfers.size > 0 || view.rows.some((r) => !r.finished);
    if (document.visibilityState !== "hidden") timer = setTimeout(poll, busy ? POLL_BUSY_MS : POLL_IDLE_MS);
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") poll();
  });
  registry.polls.add(poll);
  return poll;
}

export default function (component) {
  const { parentElement, data } = component;
  const root = parentElement.querySelector(".hm-up");
  if (!root || !data) return undefined;
  if (root[STATE]) {
    root[STATE].data = data; // a rerun: a fresh page token, perhaps new folders
    fillFolders(root[STATE].form, data.folders);
    return undefined;
  }
  const view = { root, data, api: makeApi(data), rows: [], items: new Map() };
  view.form = buildForm(root, data);
  view.token = () => root[STATE].data.token;
  view.say = (text) => {
    view.form.message.textContent = text;
  };
  view.render = () => render(view);
  view.poll = startPolling(view);
  root[STATE] = view;
  registry.views.add(view.render);
  view.form.input.addEventListener("change", () => {
    const files = [...view.form.input.files];
    view.form.input.value = ""; // choosing the same file again must fire "change" again
    if (files.length) choose(files, view);
  });
  view.render();
  view.poll();
  return undefined;
}
