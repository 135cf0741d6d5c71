/*
 * PeerLearn session room: camera preview, a WebRTC mesh and the room protocol
 * (core/rooms/PROTOCOL.md) over the WebSocket named by the page's config.
 *
 * One RTCPeerConnection per other participant. The newcomer offers to everyone
 * already in the room; later renegotiations (screen share without a camera, ICE
 * restarts) use the "perfect negotiation" pattern, the newcomer being the
 * impolite side. When the signalling socket drops, the page reconnects with
 * backoff and offers afresh; when a peer's ICE fails while the socket is up,
 * the newcomer side restarts ICE. `window.peerlearnRoom` is a small debugging
 * handle (snapshot of peers and stats, dropSocket) used by the browser tests.
 *
 * A video plugin may carry the media instead of the mesh (an SFU): its media
 * script registers `window.peerlearnMedia = { create(room) }` before this file
 * runs, and this page keeps everything else (lobby, chat, people, the session's
 * state). `create` gets the small `room` API below and returns a transport with
 * `start({ peerId, iceServers })`, `stop()`, `peerLeft(peerId)`,
 * `replaceTrack(kind, track)` and optionally `setLowBandwidth(on)`; the
 * transport hands each remote participant's media back with
 * `room.attachRemote(peerId, stream, pc)` (see core/rooms/PROTOCOL.md).
 */
(() => {
  "use strict";

  // Django's JavaScript catalogue (/jsi18n/, loaded before this file) defines these; English without it.
  const gettext = window.gettext || ((message) => message);
  const ngettext = window.ngettext || ((one, many, count) => (count === 1 ? one : many));
  const interpolate = window.interpolate || ((format, values, named) => (named
    ? format.replace(/%\((\w+)\)s/g, (match, key) => String(values[key]))
    : format.replace(/%s/g, () => String(values.shift()))));

  const configElement = document.getElementById("room-config");
  if (!configElement) return;
  const config = JSON.parse(configElement.textContent);
  const pageConfig = config.pageConfig || {};
  const $ = (id) => document.getElementById(id);

  const el = {
    notice: $("room-notice"),
    lobby: $("lobby"),
    preview: $("preview"),
    previewOff: $("preview-off"),
    micLevel: $("mic-level"),
    mediaError: $("media-error"),
    cameraSelect: $("camera-select"),
    micSelect: $("mic-select"),
    joinAudio: $("join-audio"),
    joinVideo: $("join-video"),
    opensNote: $("opens-note"),
    joinButton: $("join-button"),
    retryMedia: $("retry-media"),
    call: $("call"),
    tiles: $("tiles"),
    toggleMic: $("toggle-mic"),
    toggleCamera: $("toggle-camera"),
    toggleScreen: $("toggle-screen"),
    toggleLowBandwidth: $("toggle-low-bandwidth"),
    leaveButton: $("leave-button"),
    endButton: $("end-button"),
    participants: $("participants"),
    peopleCount: $("people-count"),
    chatLog: $("chat-log"),
    announcer: $("room-announcer"),
    chatForm: $("chat-form"),
    chatInput: $("chat-input"),
    chatError: $("chat-error"),
    after: $("after"),
    afterTitle: $("after-title"),
    afterText: $("after-text"),
    rejoinButton: $("rejoin-button"),
    status: $("session-status"),
  };

  // Close codes the server uses for good (core/rooms/services.py): do not reconnect.
  const FATAL = {
    4000: [gettext("The session has ended"), gettext("The mentor ended the session. The chat and attendance stay with the session.")],
    4001: [gettext("You joined from somewhere else"), gettext("This room is open in another tab or device; this one was closed.")],
    4400: [gettext("This room uses another video service"), gettext("Reload the page to get the right one.")],
    4401: [gettext("Please log in again"), gettext("Your login has expired. Log in, then come back to this page.")],
    4403: [gettext("You can't join this room"), gettext("Only the session's mentor and its confirmed learners can join.")],
    4404: [gettext("This session does not exist"), ""],
    4408: [gettext("You were disconnected"), gettext("The page did not join in time. Reload it to try again.")],
    4409: [gettext("The room is full"), gettext("The video service of this site carries no more people in one room.")],
    4410: [gettext("The room is closed"), gettext("The session has ended, was cancelled, or was not started in time.")],
    4425: [gettext("The room is not open yet"), gettext("Reload the page when the room opens.")],
    4429: [gettext("Disconnected for sending too much"), gettext("Reload the page to join again.")],
    4503: [gettext("Video is not available"), gettext("No video service is enabled on this site.")],
  };
  const STATUS_LABEL = { scheduled: gettext("Scheduled"), in_progress: gettext("In progress"), completed: gettext("Completed"), cancelled: gettext("Cancelled") };

  const state = {
    stream: new MediaStream(),
    mic: null, // MediaStreamTrack
    camera: null,
    screen: null,
    audioOn: true,
    videoOn: true,
    socket: null,
    peerId: null,
    me: null,
    peers: new Map(), // peer_id -> peer
    iceServers: config.iceServers || [],
    joined: false, // the person wants to be in the call
    everWelcomed: false,
    leaving: false,
    ended: false,
    reconnectAttempt: 0,
    reconnectTimer: null,
    pingTimer: null,
    lastPong: 0,
    failedConnects: 0,
    chatIds: new Set(),
    meter: null,
    noticeTimer: null,
    media: null, // a plugin's media transport (an SFU), else null: the mesh
    pendingRemote: new Map(), // peer_id -> [stream, pc] that arrived before the peer's join
  };

  // --- small helpers ------------------------------------------------------------------

  function text(node, value) {
    if (node) node.textContent = value;
  }

  function show(node, visible = true) {
    if (node) node.hidden = !visible;
  }

  function notice(message, { level = "warning", timeout = 0 } = {}) {
    if (!el.notice) return;
    clearTimeout(state.noticeTimer);
    if (!message) {
      show(el.notice, false);
      return;
    }
    el.notice.className = `room-notice alert alert-${level}`;
    text(el.notice, message);
    show(el.notice, true);
    if (timeout) state.noticeTimer = setTimeout(() => show(el.notice, false), timeout);
  }

  function initials(name) {
    return (name || "?").trim().slice(0, 1).toUpperCase();
  }

  function timeOf(iso) {
    try {
      return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    } catch (error) {
      return "";
    }
  }

  function send(message) {
    const socket = state.socket;
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  // --- camera and microphone -------------------------------------------------------------

  function mediaErrorMessage(error, kind) {
    const audio = kind === "audio";
    switch (error && error.name) {
      case "NotAllowedError":
      case "SecurityError":
        return (audio
          ? gettext("Your browser blocked the microphone. Allow camera and microphone for this site (the icon in the address bar), then press “Try my camera again”. You can also join without them.")
          : gettext("Your browser blocked the camera. Allow camera and microphone for this site (the icon in the address bar), then press “Try my camera again”. You can also join without them."));
      case "NotFoundError":
      case "OverconstrainedError":
        return (audio
          ? gettext("No microphone was found. Connect one and press “Try my camera again”, or join without it: you will still see and hear the others.")
          : gettext("No camera was found. Connect one and press “Try my camera again”, or join without it: you will still see and hear the others."));
      case "NotReadableError":
      case "AbortError":
        return (audio
          ? gettext("Your microphone is busy in another application. Close it there, then press “Try my camera again”.")
          : gettext("Your camera is busy in another application. Close it there, then press “Try my camera again”."));
      default:
        return interpolate(
          audio ? gettext("The microphone could not be started (%s).") : gettext("The camera could not be started (%s)."),
          [(error && error.message) || gettext("unknown error")]
        );
    }
  }

  function videoConstraints(deviceId) {
    const base = Object.assign({ width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } }, pageConfig.video || {});
    if (deviceId) base.deviceId = { exact: deviceId };
    return base;
  }

  async function getTrack(kind, deviceId) {
    const constraints =
      kind === "audio"
        ? { audio: deviceId ? { deviceId: { exact: deviceId }, echoCancellation: true, noiseSuppression: true } : { echoCancellation: true, noiseSuppression: true } }
        : { video: videoConstraints(deviceId) };
    const stream = await navigator.mediaDevices.getUserMedia(constraints);
    return stream.getTracks()[0];
  }

  async function startMedia() {
    const problems = [];
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      problems.push(gettext("This page needs a secure connection (https) to use your camera and microphone. You can still join to see and hear the others."));
    } else {
      if (!state.mic) {
        try {
          setTrack("audio", await getTrack("audio", el.micSelect.value));
        } catch (error) {
          problems.push(mediaErrorMessage(error, "audio"));
        }
      }
      if (!state.camera) {
        try {
          setTrack("video", await getTrack("video", el.cameraSelect.value));
        } catch (error) {
          problems.push(mediaErrorMessage(error, "video"));
        }
      }
      await listDevices();
    }
    if (problems.length) {
      el.mediaError.innerHTML = "";
      for (const problem of [...new Set(problems)]) {
        const p = document.createElement("p");
        p.textContent = problem;
        el.mediaError.appendChild(p);
      }
    }
    show(el.mediaError, problems.length > 0);
    show(el.retryMedia, problems.length > 0);
    el.joinAudio.disabled = !state.mic;
    el.joinVideo.disabled = !state.camera;
    if (!state.mic) el.joinAudio.checked = false;
    if (!state.camera) el.joinVideo.checked = false;
    renderPreview();
    startMeter();
  }

  function setTrack(kind, track) {
    const old = kind === "audio" ? state.mic : state.camera;
    if (old) {
      state.stream.removeTrack(old);
      old.stop();
    }
    if (kind === "audio") state.mic = track;
    else state.camera = track;
    if (track) {
      state.stream.addTrack(track);
      track.enabled = kind === "audio" ? state.audioOn : state.videoOn;
      track.addEventListener("ended", () => {
        if ((kind === "audio" ? state.mic : state.camera) === track) {
          notice(kind === "audio"
            ? gettext("Your microphone stopped (unplugged?). Choose another one in the list.")
            : gettext("Your camera stopped (unplugged?). Choose another one in the list."));
        }
      });
    }
    if (kind === "video" && !state.screen) replaceOutgoing("video", track);
    if (kind === "audio") replaceOutgoing("audio", track);
  }

  async function listDevices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return;
    const devices = await navigator.mediaDevices.enumerateDevices();
    fillSelect(el.cameraSelect, devices.filter((d) => d.kind === "videoinput"), state.camera, gettext("Camera"));
    fillSelect(el.micSelect, devices.filter((d) => d.kind === "audioinput"), state.mic, gettext("Microphone"));
  }

  function fillSelect(select, devices, track, label) {
    const current = track && track.getSettings ? track.getSettings().deviceId : select.value;
    select.innerHTML = "";
    if (!devices.length) {
      select.appendChild(new Option(`No ${label.toLowerCase()} found`, ""));
      select.disabled = true;
      return;
    }
    select.disabled = false;
    devices.forEach((device, index) => {
      select.appendChild(new Option(device.label || `${label} ${index + 1}`, device.deviceId, false, device.deviceId === current));
    });
  }

  function renderPreview() {
    if (el.preview.srcObject !== state.stream) el.preview.srcObject = state.stream;
    const visible = Boolean(state.camera) && el.joinVideo.checked;
    show(el.previewOff, !visible);
    text(el.previewOff, state.camera ? gettext("Your camera is off") : gettext("No camera"));
    el.preview.play().catch(() => {});
  }

  function startMeter() {
    stopMeter();
    if (!state.mic || !window.AudioContext) return;
    try {
      const context = new AudioContext();
      const source = context.createMediaStreamSource(new MediaStream([state.mic]));
      const analyser = context.createAnalyser();
      analyser.fftSize = 256;
      source.connect(analyser);
      const data = new Uint8Array(analyser.frequencyBinCount);
      const tick = () => {
        analyser.getByteTimeDomainData(data);
        let peak = 0;
        for (const value of data) peak = Math.max(peak, Math.abs(value - 128));
        el.micLevel.style.width = `${Math.min(100, (peak / 64) * 100)}%`;
        state.meter.frame = requestAnimationFrame(tick);
      };
      state.meter = { context, frame: requestAnimationFrame(tick) };
    } catch (error) {
      state.meter = null;
    }
  }

  function stopMeter() {
    if (!state.meter) return;
    cancelAnimationFrame(state.meter.frame);
    state.meter.context.close().catch(() => {});
    state.meter = null;
  }

  function outgoingVideo() {
    return state.screen || state.camera;
  }

  function replaceOutgoing(kind, track) {
    if (state.media) {
      state.media.replaceTrack(kind, track);
      renderLocalTile();
      return;
    }
    for (const peer of state.peers.values()) {
      if (!peer.pc) continue;
      for (const transceiver of peer.pc.getTransceivers()) {
        const receiverKind = transceiver.receiver && transceiver.receiver.track && transceiver.receiver.track.kind;
        if (receiverKind !== kind || transceiver.stopped) continue;
        if (track && (transceiver.direction === "recvonly" || transceiver.direction === "inactive")) {
          transceiver.direction = "sendrecv"; // renegotiates through onnegotiationneeded
        }
        transceiver.sender.replaceTrack(track || null).catch(() => {});
      }
    }
    renderLocalTile();
  }

  // --- signalling socket ---------------------------------------------------------------------

  function socketUrl() {
    const target = config.signallingUrl;
    if (/^wss?:\/\//.test(target)) return target;
    return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${target}`;
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    const socket = new WebSocket(socketUrl());
    state.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      state.failedConnects = 0;
      send({ type: "join", audio: Boolean(state.mic && state.audioOn), video: Boolean(state.camera && state.videoOn) });
      state.lastPong = Date.now();
      clearInterval(state.pingTimer);
      state.pingTimer = setInterval(keepAlive, 15000);
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      handle(message).catch((error) => console.warn("room: could not handle", message.type, error));
    });
    socket.addEventListener("close", (event) => {
      if (state.socket !== socket) return;
      clearInterval(state.pingTimer);
      onSocketClose(event, opened);
    });
  }

  function keepAlive() {
    if (Date.now() - state.lastPong > 40000 && state.socket) {
      state.socket.close(); // a half-open socket: the close handler reconnects
      return;
    }
    send({ type: "ping" });
  }

  async function onSocketClose(event, opened) {
    if (state.leaving || state.ended || !state.joined) return;
    const fatal = FATAL[event.code];
    if (fatal) {
      finish(fatal[0], fatal[1], { canRejoin: event.code === 4001 || event.code === 4408 });
      return;
    }
    if (!opened) {
      state.failedConnects += 1;
      // A refused handshake looks like a network error to a browser: ask the API why.
      if (state.failedConnects >= 2 && (await roomClosedForGood())) return;
    }
    state.reconnectAttempt += 1;
    const delay = Math.min(10000, 500 * 2 ** Math.min(state.reconnectAttempt - 1, 5)) + Math.random() * 300;
    notice(interpolate(gettext("Connection to the room lost. Reconnecting in %s s… The call continues where it can."), [Math.ceil(delay / 1000)]));
    state.reconnectTimer = setTimeout(connect, delay);
  }

  async function roomClosedForGood() {
    try {
      const response = await fetch(`/api/sessions/${config.sessionId}/room/`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        finish(gettext("You can't rejoin this room"), body.detail || interpolate(gettext("The server answered %s."), [response.status]));
        return true;
      }
      if (body.state && body.state !== "ready") {
        if (body.state === "ended") show(document.getElementById("rate-session"), true);
        finish(body.state === "ended" ? gettext("The session has ended") : gettext("The room is closed"), body.message || "");
        return true;
      }
    } catch (error) {
      // offline: keep trying
    }
    return false;
  }

  window.addEventListener("online", () => {
    if (state.joined && !state.leaving && !state.ended && (!state.socket || state.socket.readyState > WebSocket.OPEN)) {
      state.reconnectAttempt = 0;
      connect();
    }
  });

  window.addEventListener("pagehide", () => {
    if (state.joined) send({ type: "leave" });
  });

  // --- messages from the server ---------------------------------------------------------------

  async function handle(message) {
    switch (message.type) {
      case "welcome":
        return onWelcome(message);
      case "join":
        addPeer(message.peer);
        renderPeople();
        announce(interpolate(gettext("%s joined the session."), [(message.peer && message.peer.display_name) || gettext("Participant")]));
        return;
      case "leave":
        return onLeave(message);
      case "offer":
        return state.media ? undefined : onOffer(message);
      case "answer":
        return state.media ? undefined : onAnswer(message);
      case "ice":
        return state.media ? undefined : onIce(message);
      case "chat":
        if (message.id && !state.chatIds.has(message.id) && !(state.me && state.me.user_id === message.user_id)) {
          announce(interpolate(gettext("%(name)s says: %(text)s"), { name: message.display_name, text: message.text }, true));
        }
        return addChat(message);
      case "mute": {
        const peer = state.peers.get(message.from);
        if (peer) {
          Object.assign(peer.info, { audio: message.audio, video: message.video });
          renderTile(peer);
          renderPeople();
        }
        return;
      }
      case "screen": {
        const peer = state.peers.get(message.from);
        if (peer) {
          peer.info.screen = message.active;
          renderTile(peer);
          renderPeople();
        }
        return;
      }
      case "session":
        setStatus(message.status);
        return;
      case "end":
        state.ended = true;
        setStatus(message.status);
        // A learner's seat is completed when the session ends: invite the rating right here.
        if (message.status !== "cancelled") show(document.getElementById("rate-session"), true);
        finish(
          message.status === "cancelled" ? gettext("The session was cancelled") : gettext("The session has ended"),
          gettext("Thank you! The chat and attendance stay with the session.")
        );
        return;
      case "error":
        return onError(message);
      case "pong":
        state.lastPong = Date.now();
        return;
      default:
        return;
    }
  }

  function onWelcome(message) {
    const reconnected = state.everWelcomed;
    state.everWelcomed = true;
    state.reconnectAttempt = 0;
    state.peerId = message.peer_id;
    state.me = message.you;
    state.iceServers = message.ice_servers || state.iceServers;
    // Peers of an earlier connection knew us by another peer id: start afresh with everyone.
    for (const peer of [...state.peers.values()]) removePeer(peer.id);
    setStatus(message.session.status);
    show(el.lobby, false);
    show(el.after, false);
    show(el.call, true);
    stopMeter();
    renderLocalTile();
    for (const line of message.chat || []) addChat(line);
    const media = mediaTransport();
    for (const info of message.peers) {
      const peer = addPeer(info);
      if (!media) createConnection(peer, true);
    }
    if (media) {
      media.start({ peerId: state.peerId, iceServers: state.iceServers });
      show(el.toggleLowBandwidth, typeof media.setLowBandwidth === "function");
    }
    renderPeople();
    if (reconnected) notice(gettext("Reconnected."), { level: "success", timeout: 4000 });
    else notice("");
  }

  function onLeave(message) {
    const peer = state.peers.get(message.peer_id);
    if (!peer) return;
    const name = peer.info.display_name;
    removePeer(message.peer_id);
    renderPeople();
    announce(interpolate(gettext("%s left the session."), [name]));
    if (message.reason === "disconnected") notice(interpolate(gettext("%s lost the connection; they will be back when it returns."), [name]), { timeout: 8000 });
  }

  function onError(message) {
    if (message.fatal) {
      const fatal = { replaced: FATAL[4001], full: FATAL[4409] }[message.code];
      finish(fatal ? fatal[0] : gettext("You can't be in this room now"), message.message, { canRejoin: message.code === "replaced" });
      return;
    }
    if (message.ref === "chat" || message.field === "text") {
      text(el.chatError, message.message);
      show(el.chatError, true);
      setTimeout(() => show(el.chatError, false), 6000);
      return;
    }
    notice(message.message, { timeout: 6000 });
  }

  function setStatus(status) {
    if (status && el.status) text(el.status, STATUS_LABEL[status] || status);
  }

  // --- peers and their connections ---------------------------------------------------------------

  function addPeer(info) {
    let peer = state.peers.get(info.peer_id);
    if (peer) {
      Object.assign(peer.info, info);
      renderTile(peer);
      return peer;
    }
    peer = {
      id: info.peer_id,
      info: Object.assign({ display_name: gettext("Participant"), role: "learner", audio: true, video: true, screen: false }, info),
      pc: null,
      polite: true,
      makingOffer: false,
      ignoreOffer: false,
      pendingCandidates: [],
      stream: new MediaStream(),
      tile: null,
      stats: { quality: "connecting", framesDecoded: 0, rtt: null, loss: 0, fps: 0 },
      last: null,
      restartTimer: null,
      statsTimer: null,
    };
    state.peers.set(peer.id, peer);
    const pending = state.pendingRemote.get(peer.id);
    if (pending) {
      state.pendingRemote.delete(peer.id);
      attachRemote(peer.id, pending[0], pending[1]);
    }
    renderTile(peer);
    return peer;
  }

  function removePeer(peerId) {
    state.pendingRemote.delete(peerId);
    const peer = state.peers.get(peerId);
    if (!peer) return;
    state.peers.delete(peerId);
    if (state.media) state.media.peerLeft(peerId);
    clearTimeout(peer.restartTimer);
    clearInterval(peer.statsTimer);
    if (peer.pc && !state.media) {
      peer.pc.ontrack = peer.pc.onicecandidate = peer.pc.onnegotiationneeded = peer.pc.oniceconnectionstatechange = null;
      peer.pc.close();
    }
    if (peer.tile) peer.tile.remove();
  }

  // --- a plugin's media transport (an SFU) ------------------------------------------------------

  function mediaTransport() {
    if (state.media || !config.mediaScript) return state.media;
    if (!window.peerlearnMedia) {
      notice(gettext("The video service's script did not load. Reload the page to try again."));
      return null;
    }
    state.media = window.peerlearnMedia.create({
      config,
      pageConfig,
      outgoing: () => ({ audio: state.mic, video: outgoingVideo() }),
      media: () => ({ audio: Boolean(state.mic && state.audioOn), video: Boolean(state.camera && state.videoOn) }),
      attachRemote,
      peerName: (peerId) => (state.peers.get(peerId) || { info: {} }).info.display_name,
      notice,
      roomConfig: fetchRoomConfig,
    });
    return state.media;
  }

  /** A remote participant's media arrived through the transport; ``pc`` is measured like a mesh link. */
  function attachRemote(peerId, stream, pc) {
    const peer = state.peers.get(peerId);
    if (!peer) {
      state.pendingRemote.set(peerId, [stream, pc]);
      return;
    }
    peer.stream = stream;
    if (pc && peer.pc !== pc) {
      peer.pc = pc;
      pc.addEventListener("iceconnectionstatechange", () => renderTile(peer));
      clearInterval(peer.statsTimer);
      peer.statsTimer = setInterval(() => measure(peer), 2000);
    }
    renderTile(peer);
    renderPeople();
  }

  /** The room's current join details (fresh SFU credentials after a reconnect). */
  async function fetchRoomConfig() {
    const response = await fetch(`/api/sessions/${config.sessionId}/room/`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`room details: ${response.status}`);
    return response.json();
  }

  function createConnection(peer, initiator) {
    const pc = new RTCPeerConnection({ iceServers: state.iceServers, iceTransportPolicy: pageConfig.iceTransportPolicy === "relay" ? "relay" : "all" });
    peer.pc = pc;
    peer.polite = !initiator;
    if (initiator) addLocalTracks(peer, true);
    pc.addEventListener("icecandidate", ({ candidate }) => {
      send({ type: "ice", to: peer.id, candidate: candidate ? candidate.toJSON() : null });
    });
    pc.addEventListener("track", ({ track, streams }) => {
      const stream = streams && streams[0];
      if (stream && peer.stream !== stream) {
        peer.stream = stream;
      } else if (!peer.stream.getTracks().includes(track)) {
        peer.stream.addTrack(track);
      }
      renderTile(peer);
    });
    pc.addEventListener("negotiationneeded", async () => {
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        send({ type: "offer", to: peer.id, sdp: pc.localDescription.sdp, ice_restart: Boolean(peer.restarting) });
      } catch (error) {
        console.warn("room: offer failed", error);
      } finally {
        peer.makingOffer = false;
        peer.restarting = false;
      }
    });
    pc.addEventListener("iceconnectionstatechange", () => onIceState(peer));
    clearInterval(peer.statsTimer);
    peer.statsTimer = setInterval(() => measure(peer), 2000);
    return pc;
  }

  function addLocalTracks(peer, initiator) {
    const pc = peer.pc;
    const tracks = { audio: state.mic, video: outgoingVideo() };
    for (const kind of ["audio", "video"]) {
      if (tracks[kind]) pc.addTrack(tracks[kind], state.stream);
      else if (initiator) pc.addTransceiver(kind, { direction: "recvonly" });
    }
    peer.tracksAdded = true;
  }

  async function onOffer(message) {
    const peer = state.peers.get(message.from) || addPeer({ peer_id: message.from });
    const pc = peer.pc || createConnection(peer, false);
    const collision = peer.makingOffer || pc.signalingState !== "stable";
    peer.ignoreOffer = !peer.polite && collision;
    if (peer.ignoreOffer) return;
    await pc.setRemoteDescription({ type: "offer", sdp: message.sdp });
    if (!peer.tracksAdded) addLocalTracks(peer, false); // reuses the offered transceivers
    await flushCandidates(peer);
    await pc.setLocalDescription();
    send({ type: "answer", to: peer.id, sdp: pc.localDescription.sdp });
  }

  async function onAnswer(message) {
    const peer = state.peers.get(message.from);
    if (!peer || !peer.pc || peer.pc.signalingState !== "have-local-offer") return;
    await peer.pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
    await flushCandidates(peer);
  }

  async function onIce(message) {
    const peer = state.peers.get(message.from) || addPeer({ peer_id: message.from });
    if (!peer.pc || !peer.pc.remoteDescription) {
      peer.pendingCandidates.push(message.candidate);
      return;
    }
    try {
      await peer.pc.addIceCandidate(message.candidate || null);
    } catch (error) {
      if (!peer.ignoreOffer) console.warn("room: bad candidate", error);
    }
  }

  async function flushCandidates(peer) {
    const queued = peer.pendingCandidates.splice(0);
    for (const candidate of queued) {
      try {
        await peer.pc.addIceCandidate(candidate || null);
      } catch (error) {
        // a candidate of an offer we ignored
      }
    }
  }

  function onIceState(peer) {
    const status = peer.pc.iceConnectionState;
    if (status === "connected" || status === "completed") {
      clearTimeout(peer.restartTimer);
      peer.restartTimer = null;
      if (peer.interrupted) {
        peer.interrupted = false;
        notice(interpolate(gettext("Connection to %s is back."), [peer.info.display_name]), { level: "success", timeout: 4000 });
      }
    } else if (status === "disconnected" || status === "failed") {
      peer.interrupted = true;
      notice(interpolate(gettext("Connection to %s interrupted. Reconnecting…"), [peer.info.display_name]));
      if (!peer.restartTimer) {
        // The newcomer side restarts at once on failure; the other side gives it a head start.
        const wait = (status === "failed" ? 0 : 3000) + (peer.polite ? 4000 : 0);
        peer.restartTimer = setTimeout(() => restartIce(peer), wait);
      }
    }
    renderTile(peer);
    renderPeople();
  }

  function restartIce(peer) {
    peer.restartTimer = null;
    if (!peer.pc || !state.peers.has(peer.id)) return;
    const status = peer.pc.iceConnectionState;
    if (status === "connected" || status === "completed") return;
    if (!state.socket || state.socket.readyState !== WebSocket.OPEN) {
      peer.restartTimer = setTimeout(() => restartIce(peer), 2000);
      return;
    }
    peer.restarting = true;
    peer.pc.restartIce();
    peer.restartTimer = setTimeout(() => restartIce(peer), 10000); // again, if this one did not help
  }

  async function measure(peer) {
    if (!peer.pc || peer.pc.connectionState === "closed") return;
    let report;
    try {
      report = await peer.pc.getStats();
    } catch (error) {
      return;
    }
    let rtt = null;
    let packetsReceived = 0;
    let packetsLost = 0;
    let framesDecoded = 0;
    let fps = 0;
    let bytesReceived = 0;
    let selectedPair = null;
    report.forEach((stat) => {
      if (stat.type === "transport" && stat.selectedCandidatePairId) selectedPair = stat.selectedCandidatePairId;
    });
    report.forEach((stat) => {
      if (stat.type === "candidate-pair" && (stat.id === selectedPair || (!selectedPair && stat.nominated && stat.state === "succeeded"))) {
        if (typeof stat.currentRoundTripTime === "number") rtt = stat.currentRoundTripTime;
      }
      if (stat.type === "inbound-rtp") {
        packetsReceived += stat.packetsReceived || 0;
        packetsLost += stat.packetsLost || 0;
        bytesReceived += stat.bytesReceived || 0;
        if (stat.kind === "video") {
          framesDecoded += stat.framesDecoded || 0;
          fps = stat.framesPerSecond || fps;
        }
      }
    });
    const last = peer.last || { packetsReceived: 0, packetsLost: 0, bytesReceived: 0 };
    const received = packetsReceived - last.packetsReceived;
    const lost = Math.max(0, packetsLost - last.packetsLost);
    const loss = received + lost > 0 ? lost / (received + lost) : 0;
    const flowing = bytesReceived > last.bytesReceived;
    peer.last = { packetsReceived, packetsLost, bytesReceived };
    const ice = peer.pc.iceConnectionState;
    let quality = "connecting";
    if (ice === "connected" || ice === "completed") {
      if (!flowing) quality = "poor";
      else if ((rtt === null || rtt < 0.3) && loss < 0.02) quality = "good";
      else if ((rtt === null || rtt < 0.6) && loss < 0.08) quality = "fair";
      else quality = "poor";
    } else if (ice === "disconnected" || ice === "failed") {
      quality = "poor";
    }
    peer.stats = { quality, framesDecoded, rtt, loss: Math.round(loss * 1000) / 10, fps };
    if (state.media && state.media.quality) state.media.quality(peer.id, peer.stats);
    renderTile(peer);
    renderPeople();
  }

  // --- rendering --------------------------------------------------------------------------------

  function makeTile(id, local) {
    const tile = document.createElement("figure");
    tile.className = "room-tile";
    tile.dataset.peer = id;
    if (local) tile.dataset.local = "";
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    if (local) video.muted = true;
    const placeholder = document.createElement("div");
    placeholder.className = "room-placeholder";
    const avatar = document.createElement("span");
    avatar.className = "room-avatar";
    placeholder.appendChild(avatar);
    const label = document.createElement("figcaption");
    label.className = "room-label";
    const quality = document.createElement("span");
    quality.className = "room-quality";
    tile.append(video, placeholder, label, quality);
    el.tiles.appendChild(tile);
    return tile;
  }

  function renderLocalTile() {
    if (!el.tiles) return;
    let tile = el.tiles.querySelector("[data-local]");
    if (!tile) tile = makeTile("me", true);
    const video = tile.querySelector("video");
    if (video.srcObject !== state.stream) video.srcObject = state.stream;
    video.play().catch(() => {});
    const cameraVisible = Boolean(state.screen || (state.camera && state.videoOn));
    tile.querySelector(".room-placeholder").hidden = cameraVisible;
    if (state.screen) {
      tile.dataset.screen = "";
      video.srcObject = new MediaStream([state.screen]);
    } else {
      delete tile.dataset.screen;
    }
    const name = (state.me && state.me.display_name) || config.you.display_name;
    text(tile.querySelector(".room-avatar"), initials(name));
    text(tile.querySelector(".room-label"), `${name} (you)${state.mic && state.audioOn ? "" : " · muted"}`);
    tile.querySelector(".room-quality").hidden = true;
  }

  function renderTile(peer) {
    if (!el.tiles) return;
    if (!peer.tile) peer.tile = makeTile(peer.id, false);
    const tile = peer.tile;
    const video = tile.querySelector("video");
    if (video.srcObject !== peer.stream) {
      video.srcObject = peer.stream;
    }
    if (video.paused && peer.stream.getTracks().length) {
      video.play().catch(() => {
        // Autoplay with sound was refused: play muted and let a click unmute.
        video.muted = true;
        video.play().catch(() => {});
        notice(gettext("Click anywhere on the page to hear the others."), { timeout: 8000 });
        document.addEventListener("click", () => (video.muted = false), { once: true });
      });
    }
    const hasVideo = peer.stream.getVideoTracks().length > 0 && peer.info.video !== false;
    tile.querySelector(".room-placeholder").hidden = hasVideo || peer.info.screen;
    if (peer.info.screen) tile.dataset.screen = "";
    else delete tile.dataset.screen;
    text(tile.querySelector(".room-avatar"), initials(peer.info.display_name));
    const role = peer.info.role === "mentor" ? " · " + gettext("mentor") : "";
    const muted = peer.info.audio === false ? " · " + gettext("muted") : "";
    const sharing = peer.info.screen ? " · " + gettext("sharing screen") : "";
    text(tile.querySelector(".room-label"), `${peer.info.display_name}${role}${muted}${sharing}`);
    const quality = tile.querySelector(".room-quality");
    quality.dataset.quality = peer.stats.quality;
    text(quality, { good: gettext("Good connection"), fair: gettext("Fair connection"), poor: gettext("Poor connection"), connecting: gettext("Connecting…") }[peer.stats.quality]);
  }

  function renderPeople() {
    if (!el.participants) return;
    el.participants.innerHTML = "";
    const rows = [];
    if (state.me) rows.push({ name: `${state.me.display_name} (you)`, role: state.me.role, audio: state.mic && state.audioOn, video: state.camera && state.videoOn, quality: "" });
    for (const peer of state.peers.values()) {
      rows.push({ name: peer.info.display_name, role: peer.info.role, audio: peer.info.audio, video: peer.info.video, quality: peer.stats.quality, id: peer.id });
    }
    for (const row of rows) {
      const item = document.createElement("li");
      if (row.id) item.dataset.peer = row.id;
      const who = document.createElement("span");
      who.textContent = `${row.name}${row.role === "mentor" ? " · mentor" : ""}`;
      const what = document.createElement("small");
      const media = [row.audio ? "mic on" : "muted", row.video ? "camera on" : "camera off"];
      if (row.quality) media.push({ good: "good connection", fair: "fair connection", poor: "poor connection", connecting: "connecting" }[row.quality]);
      what.textContent = media.join(" · ");
      if (row.quality) what.dataset.quality = row.quality;
      item.append(who, what);
      el.participants.appendChild(item);
    }
    text(el.peopleCount, `(${rows.length})`);
  }

  // Screen readers hear joins, leaves and others' chat lines through one polite live region
  // (#room-announcer); the chat log itself is not live, so history on (re)joining is not read out.
  function announce(message) {
    if (!el.announcer || !message) return;
    el.announcer.textContent = "";
    window.setTimeout(() => { el.announcer.textContent = message; }, 50);
  }

  function addChat(line) {
    if (!line || state.chatIds.has(line.id)) return;
    state.chatIds.add(line.id);
    const item = document.createElement("li");
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = line.display_name;
    const when = document.createElement("time");
    when.dateTime = line.sent_at;
    when.textContent = timeOf(line.sent_at);
    const body = document.createElement("p");
    body.textContent = line.text;
    item.append(who, when, body);
    el.chatLog.appendChild(item);
    el.chatLog.scrollTop = el.chatLog.scrollHeight;
  }

  function finish(title, detail, { canRejoin = false } = {}) {
    state.joined = false;
    if (state.media) state.media.stop();
    clearTimeout(state.reconnectTimer);
    clearInterval(state.pingTimer);
    for (const peer of [...state.peers.values()]) removePeer(peer.id);
    if (state.socket && state.socket.readyState <= WebSocket.OPEN) state.socket.close(1000);
    state.socket = null;
    if (state.screen) stopScreen(false);
    show(el.call, false);
    show(el.lobby, false);
    notice("");
    text(el.afterTitle, title);
    text(el.afterText, detail || "");
    show(el.rejoinButton, canRejoin && !state.ended);
    show(el.after, true);
    if (!canRejoin) {
      for (const track of state.stream.getTracks()) track.stop();
      state.mic = state.camera = null;
    }
  }

  // --- controls -------------------------------------------------------------------------------

  function setAudio(on) {
    state.audioOn = on;
    if (state.mic) state.mic.enabled = on;
    el.toggleMic.setAttribute("aria-pressed", String(!on));
    text(el.toggleMic, on ? gettext("Mute") : gettext("Unmute"));
    send({ type: "mute", audio: Boolean(state.mic && on), video: Boolean(state.camera && state.videoOn) });
    renderLocalTile();
    renderPeople();
  }

  function setVideo(on) {
    state.videoOn = on;
    if (state.camera) state.camera.enabled = on;
    el.toggleCamera.setAttribute("aria-pressed", String(!on));
    text(el.toggleCamera, on ? gettext("Turn camera off") : gettext("Turn camera on"));
    send({ type: "mute", audio: Boolean(state.mic && state.audioOn), video: Boolean(state.camera && on) });
    renderLocalTile();
    renderPeople();
  }

  async function startScreen() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) {
      notice(gettext("This browser cannot share a screen."), { timeout: 6000 });
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
    } catch (error) {
      if (error && error.name !== "NotAllowedError") notice(interpolate(gettext("Screen sharing failed: %s"), [error.message]), { timeout: 6000 });
      return;
    }
    state.screen = stream.getVideoTracks()[0];
    state.screen.addEventListener("ended", () => stopScreen(true));
    replaceOutgoing("video", state.screen);
    el.toggleScreen.setAttribute("aria-pressed", "true");
    text(el.toggleScreen, gettext("Stop sharing"));
    send({ type: "screen", active: true });
  }

  function stopScreen(tell) {
    if (!state.screen) return;
    const track = state.screen;
    state.screen = null;
    track.stop();
    replaceOutgoing("video", state.camera);
    el.toggleScreen.setAttribute("aria-pressed", "false");
    text(el.toggleScreen, gettext("Share screen"));
    if (tell) send({ type: "screen", active: false });
  }

  function join() {
    state.audioOn = el.joinAudio.checked && Boolean(state.mic);
    state.videoOn = el.joinVideo.checked && Boolean(state.camera);
    if (state.mic) state.mic.enabled = state.audioOn;
    if (state.camera) state.camera.enabled = state.videoOn;
    el.toggleMic.setAttribute("aria-pressed", String(!state.audioOn));
    text(el.toggleMic, state.audioOn ? gettext("Mute") : gettext("Unmute"));
    el.toggleMic.disabled = !state.mic;
    el.toggleCamera.setAttribute("aria-pressed", String(!state.videoOn));
    text(el.toggleCamera, state.videoOn ? gettext("Turn camera off") : gettext("Turn camera on"));
    el.toggleCamera.disabled = !state.camera;
    state.joined = true;
    state.leaving = false;
    el.joinButton.disabled = true;
    text(el.joinButton, gettext("Joining…"));
    connect();
  }

  el.joinButton.addEventListener("click", join);
  el.retryMedia.addEventListener("click", () => startMedia());
  el.joinVideo.addEventListener("change", renderPreview);
  el.cameraSelect.addEventListener("change", async () => {
    try {
      setTrack("video", await getTrack("video", el.cameraSelect.value));
      renderPreview();
    } catch (error) {
      notice(mediaErrorMessage(error, "video"), { timeout: 8000 });
    }
  });
  el.micSelect.addEventListener("change", async () => {
    try {
      setTrack("audio", await getTrack("audio", el.micSelect.value));
      if (!el.lobby.hidden) startMeter();
    } catch (error) {
      notice(mediaErrorMessage(error, "audio"), { timeout: 8000 });
    }
  });
  el.toggleMic.addEventListener("click", () => setAudio(!state.audioOn));
  el.toggleCamera.addEventListener("click", () => setVideo(!state.videoOn));
  el.toggleScreen.addEventListener("click", () => {
    // A transport that publishes a screen as a feed of its own (an SFU) takes the button over.
    if (state.media && state.media.toggleScreen) return state.media.toggleScreen();
    return state.screen ? stopScreen(true) : startScreen();
  });
  if (el.toggleLowBandwidth) {
    el.toggleLowBandwidth.addEventListener("click", () => {
      const on = el.toggleLowBandwidth.getAttribute("aria-pressed") !== "true";
      el.toggleLowBandwidth.setAttribute("aria-pressed", String(on));
      text(el.toggleLowBandwidth, on ? gettext("Full quality") : gettext("Low bandwidth"));
      if (state.media && state.media.setLowBandwidth) state.media.setLowBandwidth(on);
    });
  }
  el.leaveButton.addEventListener("click", () => {
    state.leaving = true;
    send({ type: "leave" });
    finish(gettext("You left the session"), gettext("You can join again while the session is running."), { canRejoin: true });
  });
  if (el.endButton) {
    el.endButton.addEventListener("click", () => {
      if (window.confirm(gettext("End the session for everyone? This cannot be undone."))) send({ type: "end" });
    });
  }
  el.rejoinButton.addEventListener("click", async () => {
    show(el.after, false);
    await startMedia();
    join();
  });
  el.chatForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = el.chatInput.value.trim();
    if (!value) return;
    if (send({ type: "chat", text: value })) {
      el.chatInput.value = "";
      show(el.chatError, false);
    } else {
      text(el.chatError, gettext("Not connected: the message was not sent."));
      show(el.chatError, true);
    }
  });
  el.chatInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      el.chatForm.requestSubmit();
    }
  });
  if (navigator.mediaDevices && navigator.mediaDevices.addEventListener) {
    navigator.mediaDevices.addEventListener("devicechange", () => listDevices().catch(() => {}));
  }

  // --- the room's opening time ------------------------------------------------------------------

  if (config.state === "too_early") {
    const opensAt = new Date(config.opensAt).getTime();
    const tick = () => {
      const left = opensAt - Date.now();
      if (left <= 0) {
        el.joinButton.disabled = false;
        show(el.opensNote, false);
        return;
      }
      const minutes = Math.ceil(left / 60000);
      text(el.opensNote, interpolate(
        ngettext(
          "The room opens at %(time)s (in %(minutes)s minute). The join button turns on then.",
          "The room opens at %(time)s (in %(minutes)s minutes). The join button turns on then.",
          minutes
        ),
        { time: timeOf(config.opensAt), minutes: minutes },
        true
      ));
      setTimeout(tick, Math.min(left, 15000));
    };
    tick();
  }

  window.peerlearnRoom = {
    config,
    get peerId() {
      return state.peerId;
    },
    /** The local camera and microphone (js/recording.js records it when the backend records in browsers). */
    get stream() {
      return state.stream;
    },
    snapshot() {
      return [...state.peers.values()].map((peer) => {
        const video = peer.tile && peer.tile.querySelector("video");
        return {
          peerId: peer.id,
          name: peer.info.display_name,
          role: peer.info.role,
          ice: peer.pc ? peer.pc.iceConnectionState : "new",
          quality: peer.stats.quality,
          framesDecoded: peer.stats.framesDecoded,
          videoWidth: video ? video.videoWidth : 0,
        };
      });
    },
    async framesDecoded() {
      const result = {};
      for (const peer of state.peers.values()) {
        if (!peer.pc) continue;
        const report = await peer.pc.getStats();
        let frames = 0;
        report.forEach((stat) => {
          if (stat.type === "inbound-rtp" && stat.kind === "video") frames += stat.framesDecoded || 0;
        });
        result[peer.id] = frames;
      }
      return result;
    },
    dropSocket() {
      if (state.socket) state.socket.close(4999, "test drop");
    },
  };

  startMedia();
})();
