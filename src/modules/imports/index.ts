/**
 * The imports module's public surface: what other modules may use. Nothing yet; anything another module
 * needs from imports is exported here, never imported from its files.
 */
export {};
