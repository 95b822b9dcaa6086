// The package for Node (CommonJS): wasm-bindgen's `nodejs` output, which loads the wasm
// synchronously, with extras.cjs installed. node.mjs re-exports this, so ESM and CommonJS
// users in one process share one instance and one ChatwireError class.
'use strict';
const wasm = require('./dist/node/chatwire.cjs');
const { ChatwireError, install } = require('./dist/extras.cjs');

install(wasm);

module.exports = {
  TrueConfClient: wasm.TrueConfClient,
  TadaClient: wasm.TadaClient,
  TalkClient: wasm.TalkClient,
  EventStream: wasm.EventStream,
  ChatwireError,
};
