// Types of the npm package `chatwire`. Written by hand against the core's serde shapes
// (core/src/event.rs, model.rs, error.rs, read_state.rs, talk/mention.rs, talk/ocs.rs) and kept
// in step by bindings-wasm/tests/typescript.rs, which serializes one instance of every
// variant into npm/test/samples.generated.ts; `tsc` then checks those samples against these
// declarations, both ways (npm/test/types.check.ts: every sample fits, every declared
// variant has a sample). No `any` anywhere.

/** A JSON document as text: a server payload kept as received. `JSON.parse` it to look inside. */
export type RawJson = string;

/** What kind of conversation a chat is; a kind this version does not know keeps its name. */
export type ChatKind =
  | 'direct'
  | 'group'
  | 'channel'
  | 'favorites'
  | 'system'
  | 'task'
  | 'meeting'
  | 'thread'
  | { other: string };

/** A participant's role; unknown names and numeric codes are kept as sent. */
export type Role =
  | 'owner'
  | 'admin'
  | 'user'
  | 'conf_owner'
  | 'conf_moderator'
  | 'favorites_owner'
  | 'writer'
  | 'moderator'
  | 'guest'
  | { code: number }
  | { other: string };

/** Who wrote a message or did an action. */
export interface Author {
  /** Protocol id (TrueConf ID, tada contact JID, Talk actor id). */
  id: string;
  /** The protocol's author kind, as text. */
  kind: string | null;
  display_name: string | null;
}

/** What a message carries, by `type`. */
export type Content =
  | { type: 'text'; text: string; format: string | null }
  | { type: 'forwarded'; raw: RawJson }
  | { type: 'attachment'; name: string | null; raw: RawJson }
  | { type: 'location'; raw: RawJson }
  | { type: 'survey'; raw: RawJson }
  | { type: 'voice'; raw: RawJson }
  | { type: 'deleted' }
  | { type: 'participant_added'; user_id: string | null; role: Role | null }
  | { type: 'participant_removed'; user_id: string | null }
  | { type: 'role_changed'; user_id: string | null; role: Role | null }
  | { type: 'title_changed'; title: string | null }
  | { type: 'avatar_changed'; raw: RawJson }
  | { type: 'history_cleared' }
  | { type: 'system'; code: string; text: string; parameters: RawJson }
  | { type: 'unknown'; kind: string; raw: RawJson };

/** A chat message. */
export interface Message {
  id: string;
  chat_id: string | null;
  author: Author;
  /** Milliseconds since the Unix epoch, when the server says. */
  timestamp_ms: number | null;
  content: Content;
  edited: boolean;
  reply_to: string | null;
  /** Server version (tada `gentime`). */
  version: number | null;
  /** Whether this client's user wrote it. */
  own: boolean;
  raw: RawJson;
}

/** A conversation as last described by the server. */
export interface Chat {
  /** Protocol id (TrueConf `chatId`, tada JID, Talk token). */
  id: string;
  title: string | null;
  kind: ChatKind;
  unread: number | null;
  last_message: Message | null;
  avatar_url: string | null;
  raw: RawJson;
}

/** A member of a chat. */
export interface Participant {
  user_id: string;
  role: Role | null;
  kind: string | null;
}

/** What is known of one chat's read state. */
export interface ReadState {
  unread: number | null;
  unread_notices: number | null;
  last_read_message_id: string | null;
  /** Newest message every participant has read (Talk). */
  last_common_read_id: string | null;
  version: number | null;
}

/** A Talk mention suggestion. */
export interface Mention {
  id: string;
  label: string;
  source: string;
  status: string | null;
  status_icon: string | null;
  status_message: string | null;
}

/** Whether a request cut off by a disconnect may have reached the server. */
export type Delivery = 'not_sent' | 'maybe_delivered';

/** A Nextcloud Talk HTTP status with a documented meaning, by `code`. */
export type TalkHttpError =
  | { code: 'bad_request'; body: string }
  | { code: 'read_only' }
  | { code: 'not_found' }
  | { code: 'lobby' }
  | { code: 'too_long' }
  | { code: 'rate_limited'; retry_after_secs: number | null }
  | { code: 'maintenance' };

/** Everything that can go wrong, by `kind` (the `detail` of a {@link ChatwireError}). */
export type ErrorInfo =
  | { kind: 'timeout' }
  | { kind: 'disconnected'; delivery: Delivery }
  | { kind: 'too_many_pending'; limit: number }
  | { kind: 'queue_full'; limit: number }
  | { kind: 'frame_too_large'; size: number; limit: number }
  | { kind: 'message_too_long'; length: number; limit: number }
  | { kind: 'invalid_argument'; reason: string }
  | { kind: 'invalid_frame'; reason: string }
  | { kind: 'unexpected_response'; reason: string }
  | { kind: 'not_connected' }
  | { kind: 'closed' }
  | { kind: 'connect_failed'; reason: string }
  | { kind: 'auth_failed'; reason: string }
  /** `code`: the TrueConf `errorCode` number. */
  | { kind: 'trueconf'; code: number }
  | { kind: 'not_confirmed'; attempts: number }
  | { kind: 'rejected'; message: string }
  | { kind: 'http'; status: number; body: string }
  | ({ kind: 'talk' } & TalkHttpError);

/** Whose fault an error is, and when it happened. */
export type ErrorFault = 'refused' | 'failed' | 'undecodable';

/** The `kind` of an {@link ErrorInfo}. */
export type ErrorKind = ErrorInfo['kind'];

/**
 * The `detail` of a {@link ChatwireError} after the WebAssembly instance trapped (a bug: a
 * panic inside the wasm, or the engine's call stack running out inside it). Every Promise then
 * pending rejects with it (fault `failed`: a request in flight may or may not have reached the
 * server) and every later call refuses with it (fault `refused`), on every client of that
 * instance; sockets, timers and fetches are let go. Load the package anew (a new page or
 * process) to go on. Never in an event.
 */
export interface InternalError {
  kind: 'internal';
  /**
   * What happened, naming what the wasm threw (`the WebAssembly instance trapped
   * (RuntimeError: unreachable)`, `… (RangeError: Maximum call stack size exceeded)`).
   */
  reason: string;
}

/** The typed answer to a request, by `type`. */
export type Reply =
  | { type: 'authenticated'; user_id: string | null; connection_id: string | null }
  | { type: 'chat_id'; chat_id: string }
  | { type: 'chat_changed'; chat_id: string; timestamp_ms: number | null }
  | { type: 'chat'; chat: Chat }
  | { type: 'chats'; chats: Chat[] }
  | { type: 'participant'; participant: Participant }
  | { type: 'participants'; participants: Participant[] }
  | { type: 'bool'; value: boolean }
  | { type: 'message_sent'; chat_id: string | null; message_id: string; timestamp_ms: number | null }
  | { type: 'message'; message: Message }
  | { type: 'messages'; messages: Message[] }
  | { type: 'empty' }
  | { type: 'raw'; payload: RawJson }
  | { type: 'mentions'; suggestions: Mention[] };

/** One thing that happened, normalized across protocols, by `type`. */
export type ChatEvent =
  | { type: 'connected'; user_id: string | null; connection_id: string | null }
  | { type: 'disconnected'; reason: string }
  | { type: 'connection_dead'; reason: string }
  | { type: 'token_expired' }
  | { type: 'auth_failed'; error: ErrorInfo }
  | { type: 'response'; request: number; reply: Reply }
  | { type: 'request_failed'; request: number; error: ErrorInfo }
  | {
      type: 'connect_failed';
      reason: string;
      /** Retrying cannot help: the client stopped and waits for the app. */
      permanent: boolean;
      retry_in_ms: number | null;
      attempt: number;
    }
  | { type: 'delivered'; request: number; message_id: string | null }
  | { type: 'chat_created'; chat: Chat }
  | { type: 'chat_updated'; chat: Chat }
  | { type: 'chat_removed'; chat_id: string }
  | { type: 'history_cleared'; chat_id: string; for_all: boolean }
  | {
      type: 'participant_added';
      chat_id: string;
      user_id: string;
      role: Role | null;
      by: string | null;
      timestamp_ms: number | null;
    }
  | {
      type: 'participant_removed';
      chat_id: string;
      user_id: string;
      by: string | null;
      timestamp_ms: number | null;
    }
  | {
      type: 'participant_role_changed';
      chat_id: string;
      user_id: string;
      role: Role | null;
      timestamp_ms: number | null;
    }
  | { type: 'message_received'; message: Message }
  | { type: 'message_edited'; message: Message }
  | { type: 'message_removed'; chat_id: string | null; message_id: string; by: string | null }
  | { type: 'read_state_changed'; chat_id: string; state: ReadState }
  | { type: 'protocol_error'; raw: string; reason: string }
  | { type: 'warning'; message: string; original: RawJson }
  | { type: 'counters'; badge: number | null; team_unread: RawJson }
  | { type: 'tada'; name: string; params: RawJson }
  | { type: 'unknown'; name: string | null; raw: RawJson }
  | { type: 'room_stopped'; chat_id: string; error: ErrorInfo };

/** The `type` of a {@link ChatEvent}. */
export type ChatEventType = ChatEvent['type'];

/** The error every Promise of this package rejects with, and every method throws. */
export declare class ChatwireError extends Error {
  readonly name: 'ChatwireError';
  /** What went wrong (`detail.kind`); `internal` after a trap ({@link InternalError}). */
  readonly kind: ErrorKind | 'internal';
  /** The protocol's code: TrueConf `errorCode`, HTTP status, Talk status name; else `null`. */
  readonly code: number | string | null;
  /** For `disconnected`: whether the request may have reached the server; else `null`. */
  readonly delivery: Delivery | null;
  /**
   * Whose fault and when: `refused` at once by this client (fix the call), `failed` when
   * tried (timeout, disconnect, the server said no), `undecodable` answer from the server.
   */
  readonly fault: ErrorFault;
  /** The whole error. */
  readonly detail: ErrorInfo | InternalError;
}

/** A WebSocket constructor: the global one, or the `ws` package's (which sends headers). */
export type WebSocketConstructor = new (
  url: string,
  protocols: string[],
  options: { headers: Record<string, string> },
) => object;

/** Options every client takes. */
export interface ClientOptions {
  /** The server's base URL, `http(s)://host[:port]`; default: the page's origin. */
  server?: string;
  /** Reconnect after drops (default true). */
  reconnect?: boolean;
  /** The WebSocket constructor (Node 20: the `ws` package's); default `globalThis.WebSocket`. */
  webSocket?: WebSocketConstructor;
  /** Whether `webSocket` can send headers (default: true when `webSocket` is given). */
  webSocketHeaders?: boolean;
  /**
   * Resume from an earlier client's `snapshot()` (same protocol, same account): nothing it
   * delivered is delivered again, nothing sent meanwhile is missed. Throws `invalid_argument`
   * when it does not parse.
   */
  snapshot?: string;
}

/** Async iterator over a client's events, from its creation until the client is freed. */
export declare class EventStream implements AsyncIterableIterator<ChatEvent> {
  private constructor();
  next(): Promise<IteratorResult<ChatEvent, undefined>>;
  return(): Promise<IteratorResult<ChatEvent, undefined>>;
  [Symbol.asyncIterator](): EventStream;
  free(): void;
}

/** What every protocol client has. */
declare abstract class ChatClient {
  /**
   * Connects and authenticates; resolves once connected (Talk: at once), rejects with a
   * `ChatwireError` on refused credentials or a permanent failure. Reconnects after drops.
   */
  connect(): Promise<void>;
  /**
   * Lets the connection go: calls in flight reject with `disconnected`, later ones with
   * `closed`. After a trap ({@link InternalError}) it does nothing, as `free()` does.
   */
  close(): void;
  /** Ends the client for good: every pending call rejects with `closed`, iterators end. */
  free(): void;
  [Symbol.dispose](): void;
  /**
   * The session's state to keep (JSON text, no credential) for the `snapshot` option of a
   * later client: read state, cursors, what was already delivered, sends not yet answered.
   */
  snapshot(): string;
  /** Calls `listener` with every event, in order; it may call back into the client. */
  on(listener: (event: ChatEvent) => void): void;
  off(listener: (event: ChatEvent) => void): void;
  /** A new async iterator over the events from now on. */
  events(): EventStream;
  [Symbol.asyncIterator](): EventStream;
  /** Sends a text message; resolves with the server's reply. */
  sendText(chatId: string, text: string, replyTo?: string | null): Promise<Reply>;
  /** Marks `chatId` read up to `messageId`. */
  markRead(chatId: string, messageId: string): Promise<void>;
  /** What is known of `chatId`'s read state, or `null`. */
  readState(chatId: string): ReadState | null;
}

/** Options of a {@link TrueConfClient}: a JWT, or a user and password to get one with. */
export type TrueConfOptions = ClientOptions & {
  /** Ask for messages that arrived while offline (default true). */
  receiveUnread?: boolean;
} & ({ token: string; user?: string; password?: string } | { token?: string; user: string; password: string });

/** A TrueConf Chatbot API client. */
export declare class TrueConfClient extends ChatClient {
  constructor(options: TrueConfOptions);
  /** This bot's TrueConf id once authenticated. */
  readonly userId: string | null;
  createGroupChat(title: string): Promise<string>;
  createChannel(title: string): Promise<string>;
  createP2PChat(userId: string): Promise<string>;
  addParticipant(chatId: string, userId: string): Promise<void>;
  getChats(count?: number, page?: number): Promise<Chat[]>;
  getParticipants(chatId: string, pageSize?: number, pageNumber?: number): Promise<Participant[]>;
  /** Resolves with the new message's id. */
  sendMessage(chatId: string, text: string, replyTo?: string | null): Promise<string>;
  /** Up to `count` messages before `fromMessageId`, oldest first. */
  getHistory(chatId: string, count?: number, fromMessageId?: string | null): Promise<Message[]>;
}

/** Options of a {@link TadaClient}. */
export interface TadaOptions extends ClientOptions {
  /** The team's uid. */
  team: string;
  /** The API token (a header: Node with `ws`). Omit in a page on the tada origin: its session cookie authenticates. */
  token?: string;
}

/** A tada.team client. */
export declare class TadaClient extends ChatClient {
  constructor(options: TadaOptions);
  /** This user's contact jid, once known. */
  readonly me: string | null;
  /** Total unread count, once the server sent one. */
  readonly badge: number | null;
  /** Resolves with the message id once the server confirmed. */
  sendMessage(jid: string, text: string): Promise<string>;
  deleteMessage(messageId: string): Promise<void>;
}

/** Options of a {@link TalkClient}. */
export interface TalkOptions extends ClientOptions {
  /** Login name. */
  user: string;
  /** App password (HTTP Basic). Omit in a page served by the same Nextcloud: its session authenticates. */
  appPassword?: string;
}

/** A Nextcloud Talk client. */
export declare class TalkClient extends ChatClient {
  constructor(options: TalkOptions);
  /**
   * Starts receiving room `token` (history first, then new messages, as events). With
   * `lastReadMessageId` (the room list's `lastReadMessage`) every later message counts as unread.
   */
  joinRoom(token: string, lastReadMessageId?: number | null): void;
  /** Stops receiving room `token`; false when it was not joined. */
  leaveRoom(token: string): boolean;
  joinedRooms(): string[];
  /** Resolves with the new message's id (decimal text). */
  sendMessage(token: string, text: string, replyTo?: number | null, silent?: boolean): Promise<string>;
  mentions(token: string, search: string, limit?: number): Promise<Mention[]>;
  /** The next page of older messages, oldest first. */
  loadOlder(token: string, limit?: number): Promise<Message[]>;
}
