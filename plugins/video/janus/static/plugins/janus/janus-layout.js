/*
 * The Janus room's tiles: a grid by default or a speaker view, and the screens shared as feeds of their own.
 *
 * The core's room client draws one tile per person (data-peer = their peer id,
 * data-local for this person); this module adds a tile per shared screen and
 * marks one tile as the stage (data-stage, drawn large by janus-room.css): a
 * shared screen whenever there is one, else in speaker view the active
 * speaker. The active speaker comes from the VideoRoom's "talking" events
 * (the room is created with audiolevel_event), and when Janus sends none, from
 * the audio level measured on the received streams.
 */
export const SCREEN_SUFFIX = ":screen";

const gettext = window.gettext || ((message) => message);
const interpolate = window.interpolate || ((format, values) => format.replace("%s", values[0]));
const TICK_MS = 1000;
const HOLD_MS = 1500; // keep a speaker on the stage at least this long, so the view does not flicker
const EVENTS_TRUSTED_MS = 5000; // after a "talking" event, measured levels are not needed for this long
const SPEAKING_LEVEL = 0.02; // WebRTC audioLevel (0..1) above which a received stream counts as speech

export class Layout {
  constructor(room, transport) {
    this.room = room;
    this.transport = transport;
    this.mode = "grid";
    this.speaker = null; // a peer id, "me" for this person
    this.speakerSince = 0;
    this.lastEvent = 0;
    this.screens = new Map(); // feed id -> tile of a remote screen
    this.ownScreen = null;
    this.timer = null;
    this.button = null;
  }

  /** Once the call is on the page: the stylesheet, the "Speaker view" button, the share button's availability. */
  setup() {
    const tiles = document.getElementById("tiles");
    if (!tiles) return null;
    if (this.button) return tiles;
    if (!document.getElementById("janus-room-css")) {
      const link = document.createElement("link");
      link.id = "janus-room-css";
      link.rel = "stylesheet";
      link.href = new URL("./janus-room.css", import.meta.url).href;
      document.head.appendChild(link);
    }
    const share = document.getElementById("toggle-screen");
    if (share) share.hidden = !(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    const controls = document.querySelector(".room-controls");
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.id = "toggle-layout";
    this.button.className = "btn btn-secondary";
    this.button.addEventListener("click", () => this.setMode(this.mode === "grid" ? "speaker" : "grid"));
    this.labelButton();
    if (controls) controls.insertBefore(this.button, document.getElementById("leave-button"));
    this.timer = setInterval(() => this.tick(), TICK_MS);
    return tiles;
  }

  labelButton() {
    this.button.textContent = this.mode === "grid" ? gettext("Speaker view") : gettext("Grid view");
    this.button.title = this.mode === "grid" ? gettext("Show the person speaking large, the others small") : gettext("Show everyone at the same size");
  }

  setMode(mode) {
    this.mode = mode;
    if (this.button) this.labelButton();
    this.update();
  }

  /** Draw the layout: which tile is the stage, who is speaking. */
  update() {
    const tiles = this.setup();
    if (!tiles) return;
    tiles.dataset.layout = this.mode;
    const stage = this.stageTile(tiles);
    for (const tile of tiles.querySelectorAll(".room-tile")) {
      tile.toggleAttribute("data-stage", tile === stage);
      tile.toggleAttribute("data-speaking", Boolean(this.speaker) && tile === this.personTile(tiles, this.speaker));
    }
  }

  stageTile(tiles) {
    const remote = [...this.screens.values()];
    if (remote.length) return remote[remote.length - 1];
    if (this.ownScreen) return this.ownScreen;
    if (this.mode !== "speaker") return null;
    return (this.speaker && this.personTile(tiles, this.speaker)) || tiles.querySelector(".room-tile[data-peer]:not([data-local])") || tiles.querySelector(".room-tile[data-local]");
  }

  personTile(tiles, peerId) {
    if (peerId === "me") return tiles.querySelector(".room-tile[data-local]");
    return [...tiles.querySelectorAll(".room-tile[data-peer]")].find((tile) => tile.dataset.peer === peerId) || null;
  }

  // --- the active speaker ---------------------------------------------------------------

  /** A VideoRoom "talking" / "stopped-talking" event about feed ``id``. */
  talking(id, on) {
    this.lastEvent = Date.now();
    const peerId = id === this.transport.ownFeedId ? "me" : (this.transport.feeds.get(id) || {}).peerId;
    if (on && peerId) this.setSpeaker(peerId);
  }

  setSpeaker(peerId) {
    const now = Date.now();
    if (peerId === this.speaker || now - this.speakerSince < HOLD_MS) return;
    this.speaker = peerId;
    this.speakerSince = now;
    this.update();
  }

  async tick() {
    this.update();
    if (Date.now() - this.lastEvent < EVENTS_TRUSTED_MS) return;
    let loudest = null;
    let level = SPEAKING_LEVEL;
    for (const feed of this.transport.feeds.values()) {
      const pc = !feed.screen && feed.handle && feed.handle.webrtcStuff && feed.handle.webrtcStuff.pc;
      if (!pc) continue;
      try {
        const report = await pc.getStats();
        report.forEach((entry) => {
          if (entry.type === "inbound-rtp" && entry.kind === "audio" && entry.audioLevel > level) {
            level = entry.audioLevel;
            loudest = feed.peerId;
          }
        });
      } catch (error) {
        // the link closed meanwhile
      }
    }
    if (loudest) this.setSpeaker(loudest);
  }

  // --- screens --------------------------------------------------------------------------

  makeScreenTile(label) {
    const tile = document.createElement("figure");
    tile.className = "room-tile";
    tile.dataset.screen = "";
    const video = document.createElement("video");
    video.autoplay = true;
    video.playsInline = true;
    video.muted = true;
    const caption = document.createElement("figcaption");
    caption.className = "room-label";
    caption.textContent = label;
    tile.append(video, caption);
    document.getElementById("tiles").appendChild(tile);
    return tile;
  }

  /** A remote screen feed got (or lost) a track. */
  showScreen(feed) {
    if (!this.setup()) return;
    let tile = this.screens.get(feed.id);
    if (!tile) {
      const name = (this.room.peerName && this.room.peerName(feed.peerId)) || gettext("Participant");
      tile = this.makeScreenTile(interpolate(gettext("%s (screen)"), [name]));
      tile.dataset.screenFeed = String(feed.id);
      tile.dataset.screenOf = feed.peerId;
      this.screens.set(feed.id, tile);
    }
    const video = tile.querySelector("video");
    if (video.srcObject !== feed.stream) video.srcObject = feed.stream;
    video.play().catch(() => {});
    this.update();
  }

  dropScreen(feed) {
    const tile = this.screens.get(feed.id);
    if (tile) tile.remove();
    this.screens.delete(feed.id);
    this.update();
  }

  /** This person's own screen while they share it (``null``: no longer). */
  showOwnScreen(track) {
    if (this.ownScreen) this.ownScreen.remove();
    this.ownScreen = null;
    if (track && this.setup()) {
      this.ownScreen = this.makeScreenTile(gettext("Your screen"));
      this.ownScreen.dataset.ownScreen = "";
      const video = this.ownScreen.querySelector("video");
      video.srcObject = new MediaStream([track]);
      video.play().catch(() => {});
    }
    this.update();
  }

  screenButton(sharing) {
    const button = document.getElementById("toggle-screen");
    if (!button) return;
    button.setAttribute("aria-pressed", String(sharing));
    button.textContent = sharing ? gettext("Stop sharing") : gettext("Share screen");
  }
}
