// GeneRec web page: plain JS, no build step. Talks to the JSON API under /api with the sign-in cookie.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { me: null, items: [], current: null, watching: new Set(), proposal: null, picture: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return node;
}

async function api(path, options = {}) {
  const init = { credentials: "same-origin", ...options, headers: { ...(options.headers || {}) } };
  if (options.json !== undefined) { init.body = JSON.stringify(options.json); init.headers["Content-Type"] = "application/json"; init.method = init.method || "POST"; }
  const res = await fetch(path, init);
  const body = await res.json().catch(() => ({ error: { message: `HTTP ${res.status}` } }));
  if (!res.ok) { const err = new Error(body.error?.message || `HTTP ${res.status}`); err.status = res.status; throw err; }
  return body;
}

function say(role, text) {
  if (!text) return;
  const log = $("chatlog");
  log.append(el("li", { class: role }, el("strong", {}, role === "user" ? "You: " : "GeneRec: "), text));
  log.scrollTop = log.scrollHeight;
}

function badge(item) { return item.ai_generated ? el("span", { class: "badge", title: item.label || "AI-generated" }, "AI-generated") : ""; }

function renderFeed(items, replace = false) {
  state.items = items;
  document.body.dataset.feedVersion = String(Number(document.body.dataset.feedVersion || 0) + 1);
  const feed = $("feed");
  feed.replaceChildren(...items.map((it, i) => el("li", {},
    el("button", { type: "button", "data-id": it.id, "aria-label": `Play ${it.title}${it.ai_generated ? " (AI-generated)" : ""}`, onclick: () => play(it, true) },
      it.thumbnail_url ? el("img", { src: it.thumbnail_url, alt: "", loading: i < 6 ? "eager" : "lazy", width: 150, height: 150 }) : "",
      el("span", { class: "t" }, it.title, " ", badge(it))))));
  const seen = items.map((it) => ({ item_id: it.id, kind: "impression" }));
  if (seen.length) api("/api/events", { json: { events: seen } }).catch(() => {});
  if ((replace || !state.current) && items.length) play(items[0], false);
}

function play(item, clicked) {
  state.current = item;
  $("now-name").textContent = item.title;
  $("now-badge").hidden = !item.ai_generated;
  $("now-why").textContent = item.why || "";
  const player = $("player"), photo = $("photo"), isPhoto = item.modality === "image";
  // A photo (a product, a picture) is shown as an image, not as a video with nothing to play.
  player.hidden = isPhoto; photo.hidden = !isPhoto;
  $("now-verb").textContent = isPhoto ? "Now showing" : "Now playing";
  for (const b of document.querySelectorAll(".video-only")) b.hidden = isPhoto;
  if (isPhoto) {
    player.pause(); player.removeAttribute("src"); player.load();
    photo.classList.remove("small");
    photo.src = item.media_url || item.thumbnail_url || ""; photo.alt = item.title;
  } else if (item.media_url) { photo.removeAttribute("src"); player.src = item.media_url; if (clicked) player.play().catch(() => {}); }
  showCaptions(item);
  showRatings(item).catch(() => {});
  propose(null);
  for (const b of document.querySelectorAll(".feed button")) b.classList.toggle("current", b.dataset.id === item.id);
  if (clicked) api("/api/events", { json: { events: [{ item_id: item.id, kind: "click" }] } }).catch(() => {});
}

async function feedback(kind) {
  const item = state.current;
  if (!item) return;
  const events = [{ item_id: item.id, kind }];
  const dwell = $("player").currentTime;
  if (dwell > 0) events.push({ item_id: item.id, kind: "dwell", value: dwell });
  try {
    await api("/api/events", { json: { events } });
    say("assistant", kind === "like" ? `Noted: you like “${item.title}”.` : `Noted: less like “${item.title}”.`);
    await loadFeed(true);
  } catch (e) { say("assistant", `Could not record that: ${e.message}`); }
}

function showCaptions(item) {
  // Generated and edited videos carry a WebVTT track: what was asked and what was made, timed to the clip.
  const player = $("player");
  for (const t of player.querySelectorAll("track")) t.remove();
  if (!item.captions_url) return;
  const track = el("track", { kind: "captions", src: item.captions_url, srclang: "en", label: "Captions (what was asked, what was made)", default: true });
  player.append(track);
  track.track.mode = "showing";
}

async function showRatings(item) {
  const asked = state.ratingsAsked = (state.ratingsAsked || 0) + 1;
  const r = await api(`/api/items/${item.id}/facets`);
  if (state.current !== item || asked !== state.ratingsAsked) return;  // stale: another item or a newer tap
  for (const b of document.querySelectorAll(".facet")) b.setAttribute("aria-pressed", String(r.ratings[b.dataset.facet] === (b.dataset.liked === "true")));
}

function propose(p) {
  state.proposal = p;
  $("proposal").hidden = !p;
  $("proposal-text").textContent = p ? p.reply : "";
}

async function rateFacet(button) {
  const item = state.current;
  if (!item) return;
  const facet = button.dataset.facet, liked = button.dataset.liked === "true";
  state.ratingsAsked = (state.ratingsAsked || 0) + 1;  // a ratings read still in flight must not undo this tap
  try {
    const r = await api(`/api/items/${item.id}/facets`, { json: { facet, liked } });
    for (const b of document.querySelectorAll(`.facet[data-facet="${facet}"]`)) b.setAttribute("aria-pressed", String(b === button));
    say("assistant", r.reply);
    propose(r.proposal ? { ...r.proposal, reply: r.reply, item } : null);
  } catch (e) { say("assistant", `Could not record that: ${e.message}`); }
}

async function loadFeed(replace = false) {
  const r = await api("/api/feed?k=12");
  if (r.reply) say("assistant", r.reply);
  renderFeed(r.items, replace || r.items.some((it) => it.source === "generated"));
  for (const j of r.jobs) watchJob(j);
}

function renderJob(job) {
  let li = document.querySelector(`#jobs li[data-id="${job.id}"]`);
  const list = $("jobs");
  list.querySelector(".muted")?.remove();
  if (!li) { li = el("li", { "data-id": job.id }); list.prepend(li); }
  const label = job.status === "failed" ? `Failed: ${job.error}` : job.finished ? (job.message || job.status) : job.message;
  li.replaceChildren(el("span", {}, `${job.kind.replace("edit_", "")}: ${label}`),
    el("progress", { max: 1, value: job.progress, "aria-label": `Progress of ${job.kind}` }));
}

function watchJob(job) {
  renderJob(job);
  if (job.finished || state.watching.has(job.id)) return;
  state.watching.add(job.id);
  const done = () => { state.watching.delete(job.id); loadFeed().catch(() => {}); };
  if (window.EventSource) {
    const src = new EventSource(`/api/jobs/${job.id}/events`);
    src.onmessage = (m) => { const j = JSON.parse(m.data); renderJob(j); if (j.finished) { src.close(); done(); } };
    src.onerror = () => { src.close(); pollJob(job.id, done); };
  } else pollJob(job.id, done);
}

function pollJob(id, done) {
  const tick = async () => {
    try { const j = await api(`/api/jobs/${id}`); renderJob(j); if (j.finished) return done(); } catch (e) { return; }
    setTimeout(tick, 1500);
  };
  tick();
}

async function showWhy() {
  const item = state.current;
  if (!item) return;
  const box = $("why");
  try {
    const r = await api(`/api/items/${item.id}/why`);
    const rows = r.verdicts.map((v) => el("tr", {}, el("td", {}, v.check), el("td", { class: v.passed ? "pass" : "fail" }, v.passed ? "passed" : "failed"), el("td", {}, v.evidence)));
    const p = r.provenance;
    box.replaceChildren(
      el("p", {}, el("strong", {}, r.item.title), " ", badge(r.item)),
      el("p", {}, `Who made it: ${r.who}.`),
      p ? el("p", {}, `How: ${p.task} by ${p.made_by}${p.model_id ? ` (model ${p.model_id})` : ""}, from ${p.parents.join(", ") || "nothing"}; author: ${p.author_id} (${p.authorship}).`) : el("p", {}, "Not AI-generated: no generation record."),
      el("p", {}, `Why you see it: ${item.why || "recommended"}`),
      rows.length ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Check"), el("th", {}, "Result"), el("th", {}, "Evidence"))), el("tbody", {}, ...rows)) : el("p", { class: "muted" }, "No checks recorded (human upload)."));
    $("why-panel").focus();
  } catch (e) { box.textContent = e.message; }
}

async function sendChat(ev) {
  ev.preventDefault();
  const input = $("chatinput");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  await ask(text, state.current);
}

async function ask(text, item) {
  const picture = state.picture;
  say("user", picture ? `${text} (with a picture)` : text);
  setPicture(null);
  try {
    const r = await api("/api/chat", { json: { text, focus_item_id: item ? item.id : null, picture_id: picture ? picture.id : null } });
    say("assistant", r.reply);
    renderFeed(r.items, true);
    if (r.job) watchJob(r.job);
  } catch (e) { say("assistant", `Sorry: ${e.message}`); }
}

// A picture for the next chat turn (paper §2, multimodal instructions): checked and stored private to the
// user on selection, so a refused file is said at once; its preview is the server's cover of it.
function setPicture(p) {
  state.picture = p;
  $("picture").hidden = !p;
  if (p) $("picture-preview").src = p.thumbnail_url; else $("picture-preview").removeAttribute("src");
}

async function attachPicture() {
  const input = $("picture-file");
  const file = input.files[0];
  input.value = "";
  if (!file) return;
  const error = $("picture-error");
  error.hidden = true;
  try {
    const r = await api("/api/uploads/picture", { method: "POST", body: file, headers: { "Content-Type": file.type || "application/octet-stream" } });
    setPicture(r.picture);
    $("chatinput").focus();
  } catch (e) {
    setPicture(null);
    error.textContent = `Picture not attached: ${e.message}`;
    error.hidden = false;
  }
}

async function upload(ev) {
  ev.preventDefault();
  const file = $("upload-file").files[0];
  const status = $("upload-status");
  if (!file) return;
  status.textContent = "Uploading…";
  const q = new URLSearchParams({ title: $("upload-title-input").value, allow_ai_edits: $("upload-allow").checked });
  try {
    const r = await api(`/api/uploads?${q}`, { method: "POST", body: file, headers: { "Content-Type": file.type || "video/mp4" } });
    status.textContent = `Uploaded “${r.item.title}”.` + (r.offered_job ? " An AI-edited version is being made for you to review." : "");
    if (r.offered_job) watchJob(r.offered_job);
  } catch (e) { status.textContent = `Upload failed: ${e.message}`; }
}

async function loadBlocked() {
  const r = await api("/api/admin/blocked");
  $("blocked").replaceChildren(...(r.items.length ? r.items.map((it) => el("li", {}, `${it.id} “${it.title}” — failed: ${it.failed.join(", ")}`)) : [el("li", { class: "muted" }, "Nothing blocked.")]));
}

async function start() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("token")) {
    history.replaceState(null, "", location.pathname);  // the token never stays in the address bar or history
    try { await api("/api/auth/login", { json: { token: hash.get("token") } }); } catch (e) { $("signin-error").textContent = e.message; }
  }
  try { state.me = await api("/api/me"); } catch (e) { $("signin").hidden = false; $("token").focus(); return; }
  $("whoami").textContent = `Signed in as ${state.me.name || state.me.id} (${state.me.role})`;
  $("signout").hidden = false;
  $("app").hidden = false;
  $("upload-panel").hidden = !["uploader", "admin"].includes(state.me.role);
  $("admin-panel").hidden = state.me.role !== "admin";
  const turns = await api("/api/chat?limit=20");
  for (const t of turns.turns) say(t.role, t.text);
  await loadFeed();
  const jobs = await api("/api/jobs");
  for (const j of jobs.jobs.filter((j) => !j.finished)) watchJob(j);
}

document.addEventListener("DOMContentLoaded", () => {
  $("like").addEventListener("click", () => feedback("like"));
  $("dislike").addEventListener("click", () => feedback("dislike"));
  $("skip").addEventListener("click", () => feedback("skip"));
  $("whybtn").addEventListener("click", showWhy);
  // A photo smaller than the stage (a 28 px product) is enlarged with its pixels kept, not blurred.
  $("photo").addEventListener("load", () => $("photo").classList.toggle("small", $("photo").naturalWidth < 160));
  for (const b of document.querySelectorAll(".facet")) b.addEventListener("click", () => rateFacet(b));
  // Accepting a proposal asks for it in words, through the instructor, like any request.
  $("proposal-yes").addEventListener("click", () => { const p = state.proposal; propose(null); if (p) ask(p.instruction, p.item); });
  $("proposal-no").addEventListener("click", () => propose(null));
  $("chatform").addEventListener("submit", sendChat);
  $("attach").addEventListener("click", () => $("picture-file").click());
  $("picture-file").addEventListener("change", () => attachPicture());
  $("picture-remove").addEventListener("click", () => { setPicture(null); $("picture-error").hidden = true; });
  $("uploadform").addEventListener("submit", upload);
  $("load-blocked").addEventListener("click", () => loadBlocked().catch((e) => alert(e.message)));
  $("signout").addEventListener("click", async () => { await api("/api/auth/logout", { method: "POST" }).catch(() => {}); location.reload(); });
  $("signinform").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await api("/api/auth/login", { json: { token: $("token").value } }); location.reload(); }
    catch (e) { $("signin-error").textContent = e.message; }
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.target.closest("input, textarea, select") || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const key = { l: "like", d: "dislike", s: "skip" }[ev.key.toLowerCase()];
    if (key) { ev.preventDefault(); feedback(key); } else if (ev.key.toLowerCase() === "w") { ev.preventDefault(); showWhy(); }
  });
  start().catch((e) => say("assistant", `Could not load: ${e.message}`));
});
