// The package for Node (CommonJS): wasm-bindgen's `nodejs` output, which loads the wasm
// synchronously, with extras.cjs installed (the client classes exported are the guarded
// ones it returns). node.mjs re-exports this, so ESM and CommonJS users in one process share
// one instance and one ChatwireError class.
'use strict';
const wasm = require('./dist/node/chatwire.cjs');
const { ChatwireError, install } = require('./dist/extras.cjs');

const classes = install(wasm);

module.exports = {
  TrueConfClient: classes.TrueConfClient,
  TadaClient: classes.TadaClient,
  TalkClient: classes.TalkClient,
  EventStream: classes.EventStream,
  ChatwireError,
};
