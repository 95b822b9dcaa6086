// Type-checked (never run) by scripts/test-npm.sh with `tsc --noEmit -p npm/test`:
// samples.generated.ts (from the Rust types) must fit index.d.ts, and every variant
// index.d.ts declares must have a sample, so the declarations cannot drift either way.
import type {
  ChatEvent,
  ChatKind,
  ChatwireError,
  Content,
  ErrorInfo,
  Reply,
  Role,
  TadaClient,
  TalkClient,
  TrueConfClient,
} from '../index.js';
import { contents, errors, events, kinds, replies, roles } from './samples.generated.js';

/** `true` when `Seen` covers every member of `All`; else names what is missing. */
type Covers<All, Seen> = [Exclude<All, Seen>] extends [never] ? true : { missing: Exclude<All, Seen> };

export const everyEvent: Covers<ChatEvent['type'], (typeof events)[number]['type']> = true;
export const everyReply: Covers<Reply['type'], (typeof replies)[number]['type']> = true;
export const everyError: Covers<ErrorInfo['kind'], (typeof errors)[number]['kind']> = true;
export const everyContent: Covers<Content['type'], (typeof contents)[number]['type']> = true;
type TalkCode = Extract<ErrorInfo, { kind: 'talk' }>['code'];
type SampledTalkCode = Extract<(typeof errors)[number], { kind: 'talk' }>['code'];
export const everyTalkCode: Covers<TalkCode, SampledTalkCode> = true;
type Named<T> = Extract<T, string>;
export const everyKindName: Covers<Named<ChatKind>, Extract<(typeof kinds)[number], string>> = true;
export const everyRoleName: Covers<Named<Role>, Extract<(typeof roles)[number], string>> = true;

/** Narrowing on `type` reaches each variant's fields with their types. */
export function describe(event: ChatEvent): string {
  switch (event.type) {
    case 'message_received':
      return event.message.content.type === 'text' ? event.message.content.text : event.message.id;
    case 'read_state_changed':
      return `${event.chat_id}: ${event.state.unread ?? 0} unread`;
    case 'connect_failed':
      return event.permanent ? `stopped: ${event.reason}` : `retry in ${event.retry_in_ms ?? 0} ms`;
    default:
      return event.type;
  }
}

/** The classes' methods are typed (no `any` leaks into app code). */
export async function use(t: TrueConfClient, d: TadaClient, k: TalkClient): Promise<number> {
  const chat: string = await t.createGroupChat('Ops');
  const id: string = await t.sendMessage(chat, 'hi');
  const sent: string = await d.sendMessage('g-1', 'hi');
  k.joinRoom('room-ab');
  const older = await k.loadOlder('room-ab', 10);
  for await (const event of t) {
    if (event.type === 'disconnected') break;
  }
  try {
    await t.markRead(chat, id);
  } catch (e) {
    const err = e as ChatwireError;
    if (err.detail.kind === 'disconnected') return err.detail.delivery === 'maybe_delivered' ? 1 : 0;
    if (err.detail.kind === 'internal') return err.detail.reason.length;
  }
  return older.length + sent.length;
}
