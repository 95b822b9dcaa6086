// The package for Node (ESM): the CommonJS build, re-exported (see node.cjs).
import pkg from './node.cjs';

export const { TrueConfClient, TadaClient, TalkClient, EventStream, ChatwireError } = pkg;
export default pkg;
