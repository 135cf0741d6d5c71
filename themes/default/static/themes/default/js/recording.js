/*
 * Recording with consent, beside the room client (room.js).
 *
 * Polls GET /api/sessions/<id>/recording-consent/ every few seconds and shows
 * who is recording and who consented; asks this person once per session
 * (POST the same URL with {"decision": "granted"|"declined"}); lets the mentor
 * start and stop. When the room's backend records in the browser (the mesh),
 * a consenting page records its own camera and microphone with MediaRecorder
 * and uploads the pieces in order to the recording's upload URL; a page whose
 * person declined never records anything. Every text comes from the template
 * (translated there).
 */
(() => {
  "use strict";
  const panel = document.getElementById("recording-panel");
  if (!panel) return;
  const $ = (id) => document.getElementById(id);
  const csrf = panel.querySelector("input[name=csrfmiddlewaretoken]").value;
  const POLL_MS = 5000;
  const SLICE_MS = 4000;
  let status = null;
  let recorder = null; // { media, recordingId, take, index, queue, sending, done }

  async function api(url, method = "GET", body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail || String(response.status));
    return data;
  }

  function fill(el, name, values) {
    el.textContent = el.dataset[name].replace(/\{(\w+)\}/g, (_, key) => values[key]);
  }

  function show(id, visible) {
    const el = $(id);
    if (el) el.hidden = !visible;
  }

  function render() {
    const live = status.recording;
    panel.hidden = !(live || status.can_record);
    show("recording-live", !!live);
    if (live) fill($("recording-by"), "template", { name: live.started_by });
    else $("recording-by").textContent = "";
    const who = $("recording-who");
    if (live) {
      if (status.recorded.length) fill(who, "template", { names: status.recorded.join(", ") });
      else who.textContent = who.dataset.none;
    } else who.textContent = "";
    const mine = status.your_decision;
    show("recording-ask", !!live && !mine);
    show("recording-you-granted", !!live && mine === "granted");
    show("recording-you-declined", !!live && mine === "declined");
    show("recording-change-granted", !!live && mine === "granted" && panel.dataset.role !== "mentor");
    show("recording-change-declined", !!live && mine === "declined");
    show("recording-start", !live && status.can_record);
    show("recording-stop", !!live);
  }

  function error(message) {
    const el = $("recording-error");
    el.textContent = message || "";
    el.hidden = !message;
  }

  async function refresh() {
    try {
      status = await api(panel.dataset.statusUrl);
      error("");
      render();
      followRecorder();
    } catch (exc) {
      // The room closed or the person left: stop asking.
      if (recorder) stopRecorder();
    }
  }

  // --- browser recording (mesh) -------------------------------------------------------

  function followRecorder() {
    const live = status.recording;
    const wanted = live && live.location === "browser" && status.your_decision === "granted";
    if (wanted && (!recorder || recorder.recordingId !== live.id)) startRecorder(live);
    if (!wanted && recorder) stopRecorder();
  }

  function startRecorder(live) {
    if (recorder) stopRecorder();
    const room = window.peerlearnRoom;
    const stream = room && room.stream;
    if (!stream || !window.MediaRecorder) return;
    const type = ["video/webm;codecs=vp8,opus", "video/webm"].find((t) => MediaRecorder.isTypeSupported(t));
    const media = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const take = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const state = { media, recordingId: live.id, url: live.upload_url, take, index: 0, queue: [], sending: false };
    // After stop() the recorder is "inactive" before it hands over its last piece: that piece is the final one.
    media.ondataavailable = (event) => {
      // The last piece is sent even when empty: it tells the site this take is complete.
      if (event.data && (event.data.size || media.state === "inactive")) state.queue.push(event.data);
      send(state);
    };
    media.start(SLICE_MS);
    recorder = state;
  }

  function stopRecorder() {
    if (recorder && recorder.media.state !== "inactive") recorder.media.stop();
    recorder = null;
  }

  async function send(state) {
    if (state.sending) return;
    state.sending = true;
    try {
      while (state.queue.length) {
        const blob = state.queue.shift();
        const last = state.media.state === "inactive" && !state.queue.length;
        const url = `${state.url}?take=${state.take}&index=${state.index}${last ? "&final=1" : ""}`;
        const response = await fetch(url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/octet-stream", "X-CSRFToken": csrf },
          body: blob,
        });
        if (!response.ok) {
          const data = await response.json().catch(() => ({}));
          error(data.detail || String(response.status));
          state.queue.length = 0;
          if (state.media.state !== "inactive") state.media.stop();
          break;
        }
        state.index += 1;
      }
    } finally {
      state.sending = false;
    }
  }

  // --- buttons ------------------------------------------------------------------------------

  async function act(promise) {
    try {
      await promise;
      await refresh();
    } catch (exc) {
      error(exc.message);
    }
  }

  const decide = (decision) => act(api(panel.dataset.statusUrl, "POST", { decision }));
  $("recording-consent").addEventListener("click", () => decide("granted"));
  $("recording-decline").addEventListener("click", () => decide("declined"));
  $("recording-change-granted").addEventListener("click", () => decide("declined"));
  $("recording-change-declined").addEventListener("click", () => decide("granted"));
  if ($("recording-start")) $("recording-start").addEventListener("click", () => act(api(panel.dataset.startUrl, "POST")));
  if ($("recording-stop")) $("recording-stop").addEventListener("click", () => act(api(panel.dataset.stopUrl, "POST")));

  refresh();
  setInterval(refresh, POLL_MS);
})();
