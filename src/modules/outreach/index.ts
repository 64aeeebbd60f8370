/**
 * The outreach module's public surface: what other modules may use. Nothing yet; anything another
 * module needs from outreach is exported here, never imported from its files.
 */
export {};
