"""CalDAV calendars (Nextcloud, Radicale, Baikal, Fastmail, iCloud...) as a PeerLearn calendar provider."""
