/*
 * PeerLearn room media through a Janus VideoRoom (an SFU).
 *
 * Loaded by the room page before the core's room client (themes/default/.../room.js),
 * which keeps the lobby, chat, people and the session's state on the core's socket
 * and asks this module for a media transport (window.peerlearnMedia). This module:
 *  - joins the session's VideoRoom with the participant's token, as publisher
 *    "display = core peer id", so every feed maps onto a person of the core's room;
 *  - publishes the camera (simulcast: three layers) and microphone once;
 *  - subscribes to every other publisher, one handle each, and hands the media
 *    back with room.attachRemote(peerId, stream, pc);
 *  - steps down on its own when a link is poor (lower simulcast layer, then
 *    audio only with a notice), back up when it recovers, and offers a
 *    "low bandwidth" switch; reconnects with fresh credentials when Janus drops;
 *  - shares a screen as a second publisher of the same person (its own handle,
 *    feed id ``screenFeedId``, display "<peer id>:screen"), shown to the others
 *    as "<name> (screen)" in a tile of its own (./janus-layout.js);
 *  - lays the tiles out as a grid or a speaker view (the active speaker from
 *    the VideoRoom's "talking" events, else from the received audio level).
 */
import "./vendor/adapter.js";
import Janus from "./vendor/janus.es.js";
import { Layout, SCREEN_SUFFIX } from "./janus-layout.js";

const gettext = window.gettext || ((message) => message);

const TOP_LAYER = 2;
const POOR_STEPS_DOWN_AFTER = 2; // measurements (2 s apart) of a poor link before stepping down
const GOOD_STEPS_UP_AFTER = 5; // of a good one before stepping back up

let ready = null;
function initJanus() {
  ready =
    ready ||
    new Promise((resolve) =>
      Janus.init({ debug: false, dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }), callback: resolve })
    );
  return ready;
}

class JanusTransport {
  constructor(room) {
    this.room = room;
    this.settings = (room.pageConfig && room.pageConfig.janus) || {};
    this.generation = 0;
    this.starts = 0;
    this.janus = null;
    this.publisher = null;
    this.published = { audio: false, video: false };
    this.feeds = new Map(); // feed id -> subscription
    this.lowBandwidth = false;
    this.retryTimer = null;
    this.screen = null; // { track, handle, generation } while this person shares a screen
    this.layout = new Layout(room, this);
  }

  // --- the transport API room.js calls ---------------------------------------------

  async start({ peerId, iceServers }) {
    this.stop();
    const generation = ++this.generation;
    this.peerId = peerId;
    this.iceServers = iceServers || [];
    await initJanus();
    if (this.starts++ > 0 || !this.settings.token) {
      // A rejoin: the token in the page may have been revoked and issued again.
      try {
        const fresh = await this.room.roomConfig();
        if (fresh.page_config && fresh.page_config.janus) this.settings = fresh.page_config.janus;
      } catch (error) {
        this.retry(generation, "Could not reach the site for the video details.");
        return;
      }
    }
    if (generation !== this.generation) return;
    if (!this.settings.token) {
      this.room.notice("The video service did not let you in. Reload the page when the room is open.");
      return;
    }
    this.janus = new Janus({
      server: this.settings.server,
      token: this.settings.token,
      iceServers: this.iceServers,
      success: () => generation === this.generation && this.joinAsPublisher(generation),
      error: (error) => generation === this.generation && this.retry(generation, `Video connection lost (${error}).`),
    });
  }

  stop() {
    this.generation += 1;
    clearTimeout(this.retryTimer);
    this.stopScreen();
    for (const feed of this.feeds.values()) this.dropFeed(feed);
    this.feeds.clear();
    if (this.janus) {
      const janus = this.janus;
      this.janus = null;
      this.publisher = null;
      try {
        janus.destroy({ cleanupHandles: true, notifyDestroyed: false });
      } catch (error) {
        // already gone
      }
    }
    this.published = { audio: false, video: false };
    this.layout.update();
  }

  peerLeft(peerId) {
    for (const [id, feed] of this.feeds) {
      if (feed.peerId === peerId) {
        this.dropFeed(feed);
        this.feeds.delete(id);
      }
    }
    this.layout.update();
  }

  replaceTrack(kind, track) {
    if (!this.publisher) return;
    if (this.published[kind]) {
      this.publisher.replaceTracks({ tracks: [{ type: kind, capture: track || false, recv: false }], error: (e) => console.warn("janus: replace", e) });
    } else if (track) {
      this.offer([{ type: kind, capture: track, recv: false, simulcast: kind === "video" && this.settings.simulcast }]);
    }
  }

  setLowBandwidth(on) {
    this.lowBandwidth = on;
    for (const feed of this.feeds.values()) {
      if (feed.screen) continue; // a screen is sent in one layer, to be read
      feed.poor = feed.good = 0;
      this.setLevel(feed, on ? 0 : TOP_LAYER);
    }
    this.room.notice(on ? "Low bandwidth: you receive the others at a lower quality." : "Full quality again.", { level: "success", timeout: 4000 });
  }

  /** room.js measured a remote participant's link (every 2 s): step its layer down or up. */
  quality(peerId, stats) {
    for (const feed of this.feeds.values()) {
      if (feed.peerId !== peerId || feed.screen || !feed.videoMid) continue;
      if (stats.quality === "poor") {
        feed.good = 0;
        if (++feed.poor >= POOR_STEPS_DOWN_AFTER) {
          feed.poor = 0;
          this.setLevel(feed, feed.level - 1);
        }
      } else if (stats.quality === "good") {
        feed.poor = 0;
        const ceiling = this.lowBandwidth ? 0 : TOP_LAYER;
        if (feed.level < ceiling && ++feed.good >= GOOD_STEPS_UP_AFTER) {
          feed.good = 0;
          this.setLevel(feed, feed.level + 1);
        }
      }
    }
  }

  // --- publishing ------------------------------------------------------------------

  joinAsPublisher(generation, slot = 0) {
    this.janus.attach({
      plugin: "janus.plugin.videoroom",
      opaqueId: `peerlearn-${this.peerId}`,
      success: (handle) => {
        if (generation !== this.generation) return handle.detach();
        this.publisher = handle;
        // Rejoining before Janus noticed our last connection die: take a spare slot of our feed ids.
        const id = slot ? this.settings.feedId + 1 + slot : this.settings.feedId;
        handle.send({
          message: { request: "join", ptype: "publisher", room: this.settings.room, id, display: this.peerId, token: this.settings.token },
        });
      },
      error: (error) => this.retry(generation, `Could not open the video room (${error}).`),
      onmessage: (message, jsep) => this.onPublisherMessage(generation, message, jsep, slot),
      webrtcState: (up) => {
        if (!up && generation === this.generation) this.retry(generation, "Your video connection dropped.");
      },
    });
  }

  onPublisherMessage(generation, message, jsep, slot) {
    if (generation !== this.generation) return;
    if (jsep) this.publisher.handleRemoteJsep({ jsep });
    const event = message.videoroom;
    if (message.error_code === 436 && slot < 7) {
      // "User ID already exists": our previous stay is still listed.
      this.publisher.detach();
      this.publisher = null;
      this.joinAsPublisher(generation, slot + 1);
      return;
    }
    if (message.error) {
      this.room.notice(`The video room refused you: ${message.error}`);
      return;
    }
    if (event === "joined") {
      this.ownFeedId = message.id;
      this.attempts = 0;
      this.room.notice("");
      this.publishOwn();
      for (const publisher of message.publishers || []) this.subscribe(generation, publisher);
    } else if (event === "event") {
      for (const publisher of message.publishers || []) this.subscribe(generation, publisher);
      const gone = message.unpublished || message.leaving;
      if (gone === "ok") {
        this.room.notice(message.reason === "kicked" ? "You were removed from the video room." : "");
      } else if (gone) {
        const feed = this.feeds.get(gone);
        if (feed) {
          this.dropFeed(feed);
          this.feeds.delete(gone);
          this.layout.update();
        }
      }
    } else if (event === "talking" || event === "stopped-talking") {
      this.layout.talking(message.id, event === "talking");
    } else if (event === "destroyed") {
      this.room.notice("The video room was closed.");
    }
  }

  // --- screen share: a second publisher of the same person ------------------------------

  /** The room's "Share screen" button: start or stop publishing a screen as a feed of its own. */
  async toggleScreen() {
    if (this.screen) {
      this.stopScreen();
      return;
    }
    if (!this.janus || !this.publisher) {
      this.room.notice(gettext("Join the video first, then share your screen."), { timeout: 6000 });
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
    } catch (error) {
      if (error && error.name !== "NotAllowedError") {
        this.room.notice(window.interpolate(gettext("Screen sharing failed: %s"), [error.message]), { timeout: 6000 });
      }
      return;
    }
    const track = stream.getVideoTracks()[0];
    const screen = { track, handle: null, generation: this.generation };
    this.screen = screen;
    track.addEventListener("ended", () => this.screen === screen && this.stopScreen());
    this.layout.screenButton(true);
    this.layout.showOwnScreen(track);
    this.janus.attach({
      plugin: "janus.plugin.videoroom",
      opaqueId: `peerlearn-${this.peerId}`,
      success: (handle) => {
        if (this.screen !== screen) return handle.detach();
        screen.handle = handle;
        handle.send({
          message: {
            request: "join",
            ptype: "publisher",
            room: this.settings.room,
            id: this.settings.screenFeedId,
            display: `${this.peerId}${SCREEN_SUFFIX}`,
            token: this.settings.token,
          },
        });
      },
      error: (error) => this.screenFailed(screen, error),
      onmessage: (message, jsep) => {
        if (this.screen !== screen) return;
        if (jsep) screen.handle.handleRemoteJsep({ jsep });
        if (message.error) {
          this.screenFailed(screen, message.error);
        } else if (message.videoroom === "joined") {
          screen.handle.createOffer({
            tracks: [{ type: "video", capture: track, recv: false }],
            success: (offer) => screen.handle.send({ message: { request: "configure", audio: false, video: true, bitrate: this.settings.bitrate }, jsep: offer }),
            error: (error) => this.screenFailed(screen, error.message || error),
          });
        }
      },
    });
  }

  screenFailed(screen, error) {
    if (this.screen !== screen) return;
    this.stopScreen();
    this.room.notice(window.interpolate(gettext("Your screen could not be shared (%s)."), [String(error)]), { timeout: 8000 });
  }

  /** Unpublish the screen (the button, the browser's own "Stop sharing", leaving, a reconnect). */
  stopScreen() {
    const screen = this.screen;
    if (!screen) return;
    this.screen = null;
    screen.track.stop();
    if (screen.handle) {
      try {
        screen.handle.send({ message: { request: "leave" } });
        screen.handle.detach();
      } catch (error) {
        // gone with the session
      }
    }
    this.layout.screenButton(false);
    this.layout.showOwnScreen(null);
  }

  publishOwn() {
    const own = this.room.outgoing();
    const tracks = [];
    if (own.audio) tracks.push({ type: "audio", capture: own.audio, recv: false });
    if (own.video) tracks.push({ type: "video", capture: own.video, recv: false, simulcast: Boolean(this.settings.simulcast) });
    if (tracks.length) this.offer(tracks);
  }

  offer(tracks) {
    const handle = this.publisher;
    handle.createOffer({
      tracks,
      success: (jsep) => {
        for (const track of tracks) this.published[track.type] = true;
        const media = this.room.media();
        handle.send({ message: { request: "configure", audio: media.audio, video: media.video, bitrate: this.settings.bitrate }, jsep });
      },
      error: (error) => this.room.notice(`Your camera could not be sent (${error.message || error}).`),
    });
  }

  // --- subscribing -----------------------------------------------------------------

  subscribe(generation, publisher) {
    if (!publisher || this.feeds.has(publisher.id)) return;
    const display = String(publisher.display || "");
    const screen = display.endsWith(SCREEN_SUFFIX);
    const peerId = screen ? display.slice(0, -SCREEN_SUFFIX.length) : display;
    if (peerId === this.peerId) return;
    const feed = { id: publisher.id, peerId, screen, handle: null, stream: new MediaStream(), videoMid: null, level: this.lowBandwidth ? 0 : TOP_LAYER, audioOnly: false, poor: 0, good: 0 };
    this.feeds.set(publisher.id, feed);
    this.janus.attach({
      plugin: "janus.plugin.videoroom",
      opaqueId: `peerlearn-${this.peerId}`,
      success: (handle) => {
        if (generation !== this.generation || this.feeds.get(publisher.id) !== feed) return handle.detach();
        feed.handle = handle;
        handle.send({ message: { request: "join", ptype: "subscriber", room: this.settings.room, streams: [{ feed: publisher.id }], token: this.settings.token } });
      },
      error: (error) => console.warn("janus: subscribe", error),
      onmessage: (message, jsep) => {
        if (message.streams) {
          const video = message.streams.find((s) => s.type === "video");
          if (video) feed.videoMid = video.mid;
        }
        if (message.videoroom === "attached" && feed.level !== TOP_LAYER) this.setLevel(feed, feed.level);
        if (!jsep) return;
        feed.handle.createAnswer({
          jsep,
          tracks: [{ type: "data" }],
          success: (answer) => feed.handle.send({ message: { request: "start", room: this.settings.room }, jsep: answer }),
          error: (error) => console.warn("janus: answer", error),
        });
      },
      onremotetrack: (track, mid, on) => {
        for (const old of feed.stream.getTracks()) {
          if (old.kind === track.kind && (old !== track || !on)) feed.stream.removeTrack(old);
        }
        if (on) feed.stream.addTrack(track);
        if (feed.screen) {
          // A detached feed still reports its tracks ending: that must not bring its tile back.
          if (feed.dropped || !feed.stream.getVideoTracks().length) this.layout.dropScreen(feed);
          else this.layout.showScreen(feed);
        }
        else this.room.attachRemote(feed.peerId, feed.stream, feed.handle && feed.handle.webrtcStuff.pc);
      },
    });
  }

  /** 2, 1, 0: simulcast layers (high to low); -1: audio only. */
  setLevel(feed, level) {
    level = Math.max(-1, Math.min(TOP_LAYER, level));
    if (!feed.handle || !feed.videoMid) {
      feed.level = level;
      return;
    }
    const stream = { mid: feed.videoMid };
    if (level < 0) {
      stream.send = false;
    } else {
      stream.send = true;
      stream.substream = level;
      stream.temporal = level === 0 ? 0 : 2;
    }
    feed.handle.send({ message: { request: "configure", streams: [stream] } });
    const wasAudioOnly = feed.audioOnly;
    feed.level = level;
    feed.audioOnly = level < 0;
    if (feed.audioOnly && !wasAudioOnly) {
      this.room.notice("Your connection is weak: one participant is shown without video until it recovers.", { timeout: 8000 });
    } else if (!feed.audioOnly && wasAudioOnly) {
      this.room.notice("Your connection recovered: video is back.", { level: "success", timeout: 4000 });
    }
  }

  dropFeed(feed) {
    feed.dropped = true;
    if (feed.screen) this.layout.dropScreen(feed);
    if (feed.handle) {
      try {
        feed.handle.detach();
      } catch (error) {
        // gone with the session
      }
    }
  }

  retry(generation, message) {
    if (generation !== this.generation) return;
    this.room.notice(`${message} Reconnecting the video…`);
    clearTimeout(this.retryTimer);
    const attempt = (this.attempts = (this.attempts || 0) + 1);
    const delay = Math.min(10000, 1000 * 2 ** Math.min(attempt - 1, 4));
    this.retryTimer = setTimeout(() => {
      if (generation === this.generation) this.start({ peerId: this.peerId, iceServers: this.iceServers });
    }, delay);
  }
}

window.peerlearnMedia = {
  create(room) {
    const transport = new JanusTransport(room);
    window.peerlearnJanus = transport; // a debugging handle for the browser tests
    return transport;
  },
};
